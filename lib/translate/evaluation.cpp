#include "translate/evaluation.h"

#include "data/corpus.h"
#include "metrics/bleu.h"
#include "metrics/chrf.h"
#include "util/error.h"

namespace s2s {

const std::vector<LengthBucket>& length_buckets() {
  static const std::vector<LengthBucket> buckets = {{"1-10", 1, 10},  {"11-20", 11, 20}, {"21-30", 21, 30},
                                                    {"31-40", 31, 40}, {"41-60", 41, 60}, {"61+", 61, -1}};
  return buckets;
}

nlohmann::json score_translations(const std::vector<std::string>& sources, const std::vector<std::string>& hyps,
                                  const std::vector<std::vector<std::string>>& refs) {
  for (const auto& stream : refs) {
    if (stream.size() != hyps.size()) {
      throw Error("the reference has " + std::to_string(stream.size()) + " lines but there are " +
                  std::to_string(hyps.size()) + " translations");
    }
  }
  nlohmann::json out;
  out["sentences"] = hyps.size();
  out["bleu"] = corpus_bleu(hyps, refs).to_json();
  out["chrf"] = corpus_chrf(hyps, refs).to_json();
  nlohmann::json by_length = nlohmann::json::array();
  for (const auto& bucket : length_buckets()) {
    std::vector<std::string> bucket_hyps;
    std::vector<std::vector<std::string>> bucket_refs(refs.size());
    for (size_t i = 0; i < sources.size(); ++i) {
      const int64_t words = static_cast<int64_t>(count_words(sources[i]));
      if (words < bucket.min_words || (bucket.max_words >= 0 && words > bucket.max_words)) continue;
      bucket_hyps.push_back(hyps[i]);
      for (size_t k = 0; k < refs.size(); ++k) bucket_refs[k].push_back(refs[k][i]);
    }
    nlohmann::json entry = {{"bucket", bucket.name}, {"sentences", bucket_hyps.size()}};
    if (!bucket_hyps.empty()) entry["bleu"] = corpus_bleu(bucket_hyps, bucket_refs).score;
    by_length.push_back(entry);
  }
  out["bleu_by_length"] = by_length;
  return out;
}

}  // namespace s2s
