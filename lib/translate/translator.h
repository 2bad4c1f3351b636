#pragma once
// Text in, text out: tokenises lines, batches them by length under a token
// budget, runs the search, restores the input order and detokenises. Used by
// `s2s translate`, `s2s evaluate`, the trainer's validation and `s2s compare`.
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "models/seq2seq.h"
#include "search/search.h"

namespace s2s {

// A trained model with everything needed to use it.
struct ModelBundle {
  ModelPtr model;
  CorpusTokenizers tokenizers;
  nlohmann::json config;  // the resolved training config
  torch::Device device{torch::kCPU};
  std::string checkpoint_path;
};

// Loads a training directory: its config.json, tokenizer model(s) and
// checkpoint (`which` = best | last; best falls back to last when absent).
ModelBundle load_model_bundle(const std::string& run_dir, const std::string& which, const torch::Device& device);

struct TranslationOptions {
  SearchOptions search;
  int64_t batch_tokens = 2000;  // source tokens per decoding batch
};

struct Translation {
  std::string text;                       // detokenised best hypothesis
  std::vector<Hypothesis> nbest;          // as search() returned them
  std::vector<std::string> nbest_texts;   // detokenised, one per nbest entry
  std::vector<std::string> source_pieces; // subword pieces of the source (+ "</s>")
  std::vector<std::string> target_pieces; // of the best hypothesis (+ "</s>")
};

// Lines encoded and grouped into decoding batches: longest first, at most
// batch_tokens / (longest source × beam) sentences each. Both the native and
// the exported translator decode these same batches, so both pad and batch
// alike (another batch changes the float results slightly, which at a near tie
// can change a token).
struct DecodingPlan {
  std::vector<Translation> results;                 // one per line; empty lines are already final
  std::vector<std::vector<int32_t>> encoded;        // source ids per line (without EOS)
  std::vector<std::vector<int64_t>> batches;        // line indices per batch
};
DecodingPlan plan_decoding(const Tokenizer& source, const std::vector<std::string>& lines,
                           const TranslationOptions& options);

class Translator {
 public:
  Translator(ModelBundle& bundle, TranslationOptions options);
  // Translates `lines` (any order of lengths); results in input order. Empty
  // lines give empty translations without running the model.
  std::vector<Translation> translate(const std::vector<std::string>& lines);
  std::vector<std::string> translate_text(const std::vector<std::string>& lines);

 private:
  ModelBundle& bundle_;
  TranslationOptions options_;
};

}  // namespace s2s
