#pragma once
// How an experiment finds its pieces: bare preset names looked up in the
// experiment's folder and then in the toolkit's own models/, and an experiment
// made for a user's own corpus from the demo's settings, scaled by a documented
// rule, so that `s2s compare --train-src A --train-trg B --out DIR` needs no JSON.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace s2s {

// The toolkit's preset folders, in lookup order: $S2S_MODELS_DIR, then share/s2s/models beside the
// program (an installed s2s), then the source tree's models/.
std::vector<std::string> toolkit_model_dirs();

// A preset file for `preset`: an absolute path as is; a relative one in `experiment_dir` (when not
// empty), then in each toolkit folder. Throws s2s::Error listing every place tried.
std::string resolve_preset(const std::string& experiment_dir, const std::string& preset);

// The settings that depend on the corpus size.
struct CorpusScale {
  int vocab_size = 4000;
  int max_tokens = 1500;
  size_t dev_size = 0, test_size = 0;  // pairs to carve out of train when not given
};
// The rule (see the README, "compare on your own data"): vocabulary 4,000 for 30,000 training pairs,
// scaled with the square root of the pair count, rounded to 500, within [2,000, 16,000]; batches of
// 1,500 target tokens (the demo's 2-core setting), fewer for small corpora so that an epoch has at
// least 100 batches (never below 300); dev and test carved as 1/30 of the pairs each, within [100, 1,000].
CorpusScale scale_for_corpus(size_t train_pairs, double average_target_words);

struct OwnCorpus {
  std::string train_src, train_trg, dev_src, dev_trg, test_src, test_trg;
  std::string corpus_dir;        // or a prepared corpus (s2s prepare --out DIR)
  double budget_minutes = 0;     // 0 = the demo's budget
};

// The experiment `s2s compare` runs on `corpus`: the three standard models with the demo's settings
// (the toolkit's compare-demo.json), the corpus section pointing at the user's files (absolute
// paths), and the size-dependent settings from scale_for_corpus; "scaling" records the rule's inputs
// and outputs. Throws s2s::Error naming a file that cannot be read.
nlohmann::json experiment_for_corpus(const OwnCorpus& corpus);

}  // namespace s2s
