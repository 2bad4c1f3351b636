#pragma once
// The tables of the compare report, built once from results.json and rendered both
// as HTML and as Markdown, so the two files always show the same numbers.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "report/report_format.h"

namespace s2s::report {

struct Table {
  std::string caption;
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row_colors;  // optional colour swatch per row (HTML only)
  std::size_t swatch_column = 0;        // the cell the swatch goes before
  std::size_t text_columns = 1;         // leading columns aligned left; the rest are numbers
  std::vector<std::size_t> other_text_columns;  // further left-aligned columns

  bool is_text_column(std::size_t c) const {
    if (c < text_columns) return true;
    for (std::size_t o : other_text_columns)
      if (o == c) return true;
    return false;
  }
};

// Model, setup, parameters, steps, time, throughput, loss, BLEU and chrF per model.
Table headline_table(const std::vector<ModelInfo>& models);

// BLEU per source-length bucket, one column per model.
Table by_length_table(const std::vector<ModelInfo>& models);

// Every pairwise difference the compare run tested (results["significance"]): decoding, pair,
// BLEU and chrF difference with 95% interval and p-value, and the verdict. No rows without tests.
Table significance_table(const nlohmann::json& results);

// Test BLEU/chrF against the primary reference and against both references, when the run has two.
Table references_table(const std::vector<ModelInfo>& models, const nlohmann::json& results);

// One side-by-side example (results["examples"][i]): source, reference and each model's translation.
Table example_table(const nlohmann::json& example);

// "Test set: 1,003 sentences, all of it; second reference: World English Bible (0 lines missing)", or "".
std::string test_set_sentence(const nlohmann::json& results);

// Milliseconds per measurement, model and length.
Table latency_table(const std::vector<ModelInfo>& models);

// Machine, corpus, budget, seed, version and timing of the run.
Table run_table(const nlohmann::json& results);

// The sacreBLEU-style signatures, each with the model/decoding pairs that share it.
struct Signature {
  std::string signature;
  std::vector<std::string> used_by;
};
std::vector<Signature> signatures(const std::vector<ModelInfo>& models);

// "at most 600 steps or 4 minutes per model, whichever comes first", or "" when unknown.
std::string budget_sentence(const nlohmann::json& results);

// "bible-es-en: 29,000 training, 1,000 dev and 1,000 test pairs, vocabulary 8,000", or "".
std::string corpus_sentence(const nlohmann::json& results);

// Milliseconds with decimals by magnitude ("0.90", "13.1", "271"); kDash when missing.
std::string milliseconds(std::optional<double> ms);

// Seconds as "1,100.5 s (18.3 min)".
std::string duration(std::optional<double> seconds);

// Lengths measured by any model for one latency kind, ascending.
std::vector<double> latency_lengths(const std::vector<ModelInfo>& models, const std::string& kind);

// Bucket names in first-seen order across models.
std::vector<std::string> bucket_names(const std::vector<ModelInfo>& models);

// The entry of model's test/bleu_by_length whose "bucket" is `bucket`, or nullptr.
const nlohmann::json* bucket_entry(const ModelInfo& model, const std::string& bucket);

// The latency kinds, in report order, with their display names.
struct LatencyKind {
  const char* key;
  const char* title;
  const char* length_label;
};
const std::vector<LatencyKind>& latency_kinds();

}  // namespace s2s::report
