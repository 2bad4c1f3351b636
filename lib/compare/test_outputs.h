#pragma once
// What `s2s compare` keeps of each model's test-set translations and derives
// from them across models: the saved hypothesis files (so any other scorer can
// be run on them), the references they were scored against, paired-bootstrap
// significance of every pairwise difference, and side-by-side examples.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace s2s {

// The test set as compare scores it: the source, the primary reference, and an optional
// second reference (the World English Bible for the Bible corpus).
struct TestSet {
  std::vector<std::string> sources;
  std::vector<std::string> references;         // primary (KJV for the Bible)
  std::vector<std::string> second_references;  // empty when there is none
  std::string second_reference_name;           // "World English Bible" or ""
  size_t second_reference_substituted = 0;     // lines the second reference lacked: the primary stands in

  // {references} or {references, second_references}.
  std::vector<std::vector<std::string>> all_references() const;
  nlohmann::json describe() const;
};

// The prepared corpus's test split, cut to `max_sentences` (0 = all). The second reference is
// raw/test.en2 of a Bible corpus, used only when raw/test.en equals test.trg line for line (so
// the verses are known to align); an empty line in it is replaced by the primary reference,
// which leaves BLEU and chrF of that line as with one reference.
TestSet read_test_set(const std::string& corpus_dir, size_t max_sentences);

// DIR/outputs/MODEL.greedy.txt or MODEL.beamK.txt.
std::string output_path(const std::string& outputs_dir, const std::string& model, int beam);

// Writes test.src.txt, test.ref.txt and (if any) test.ref2.txt into outputs_dir.
void save_test_set(const std::string& outputs_dir, const TestSet& test);

// Reads a saved hypothesis file; throws s2s::Error unless it has one line per test sentence.
std::vector<std::string> read_outputs(const std::string& path, size_t sentences);

// Every pair of models (a listed before b), for greedy and beam decoding, BLEU and chrF against
// the primary reference: {"method", "resamples", "seed", "alpha", "sentences", "pairs": [{"decoding",
// "a", "b", "BLEU": {"a","b","difference","lower","upper","p_value","significant"}, "chrF2": {...},
// and for greedy "bleu_by_length": [{"bucket", "sentences", ...the same BLEU fields}]}]}.
// A zero difference is never significant, whatever the p-value.
nlohmann::json pairwise_significance(const std::vector<std::string>& models, const std::string& outputs_dir,
                                     const TestSet& test, int beam);

// Side-by-side greedy translations of a few test sentences chosen by a fixed rule: the first
// `short_count` sentences of 6-12 source words in test order, then the `long_count` longest.
nlohmann::json side_by_side_examples(const std::vector<std::string>& models, const std::string& outputs_dir,
                                     const TestSet& test, size_t short_count = 3, size_t long_count = 2);

}  // namespace s2s
