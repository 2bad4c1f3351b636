#pragma once
// Scoring a set of translations the way `s2s evaluate` and `s2s compare`
// report them: corpus BLEU and chrF (sacreBLEU-exact) and BLEU by source
// length, the measurement behind the "fixed-length bottleneck" claim.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace s2s {

// The source-length buckets (in source words) of Bahdanau et al.'s Fig. 2 style plot.
struct LengthBucket {
  std::string name;
  int64_t min_words, max_words;  // inclusive; max_words < 0 = no upper bound
};
const std::vector<LengthBucket>& length_buckets();

// {"bleu": {..., "interval"}, "chrf": {..., "interval"}, "bleu_by_length": [{"bucket", "sentences",
// "bleu"?, "bleu_lower"?, "bleu_upper"?}], "sentences": N}. refs[k][i]: k-th reference stream.
// Each "interval" is the 95% bootstrap interval {"lower","upper","mean","ci","resamples","seed"}
// (1000 resamples, seed 12345, as `s2s bleu --paired-bs`); buckets without sentences have no "bleu".
nlohmann::json score_translations(const std::vector<std::string>& sources, const std::vector<std::string>& hyps,
                                  const std::vector<std::vector<std::string>>& refs);

}  // namespace s2s
