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
#include "run/model_bundle.h"
#include "search/search.h"

namespace s2s {

// Over-long sources: a line of more than max_source_tokens subword tokens is
// truncated to its first max_source_tokens, with a warning on stderr naming
// input_name:line. 0 means the default, kDefaultMaxSourceTokens. A model with a
// position table (model.max_positions = P) lowers the limit further so that the
// source plus EOS and its longest allowed output, floor(a * (S + 1)) + b tokens,
// both fit in P positions. The native and the exported translator apply the
// same rule (in plan_decoding), for every architecture.
constexpr int64_t kDefaultMaxSourceTokens = 1024;

struct TranslationOptions {
  SearchOptions search;
  int64_t batch_tokens = 2000;   // source tokens per decoding batch
  int64_t max_source_tokens = 0; // see above; 0 = kDefaultMaxSourceTokens
  std::string input_name = "input";  // named in warnings about truncated lines
};

// The source token limit the rule above gives for a model config and options;
// s2s::UsageError when not even a one-token source fits.
int64_t source_token_limit(const nlohmann::json& model_config, const TranslationOptions& options);

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
// `first_line` is the line number of lines[0] in options.input_name.
DecodingPlan plan_decoding(const Tokenizer& source, const std::vector<std::string>& lines,
                           const TranslationOptions& options, const nlohmann::json& model_config,
                           int64_t first_line = 1);

class Translator {
 public:
  Translator(ModelBundle& bundle, TranslationOptions options);
  // Translates `lines` (any order of lengths); results in input order. Empty
  // lines give empty translations without running the model.
  // `first_line`: the line number of lines[0] in options.input_name (for warnings).
  std::vector<Translation> translate(const std::vector<std::string>& lines, int64_t first_line = 1);
  std::vector<std::string> translate_text(const std::vector<std::string>& lines);

 private:
  ModelBundle& bundle_;
  TranslationOptions options_;
};

}  // namespace s2s
