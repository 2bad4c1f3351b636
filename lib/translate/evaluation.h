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

// {"bleu": {...}, "chrf": {...}, "bleu_by_length": [{"bucket","sentences","bleu"?}], "sentences": N}
// refs[k][i]: k-th reference stream. Buckets without sentences have no "bleu".
nlohmann::json score_translations(const std::vector<std::string>& sources, const std::vector<std::string>& hyps,
                                  const std::vector<std::vector<std::string>>& refs);

}  // namespace s2s
