#include "translate/translator.h"

#include <algorithm>
#include <iostream>
#include <numeric>

#include "util/config.h"
#include "util/error.h"
#include "util/paths.h"

namespace s2s {

Translator::Translator(ModelBundle& bundle, TranslationOptions options) : bundle_(bundle), options_(options) {}

int64_t source_token_limit(const nlohmann::json& model_config, const TranslationOptions& options) {
  int64_t limit = options.max_source_tokens > 0 ? options.max_source_tokens : kDefaultMaxSourceTokens;
  if (!model_config.is_object() || !model_config.contains("max_positions")) return limit;
  const int64_t positions = model_config["max_positions"].get<int64_t>();
  const double a = options.search.max_length_a;
  const int64_t b = options.search.max_length_b;
  auto output_limit = [&](int64_t source_tokens) { return static_cast<int64_t>(a * (source_tokens + 1)) + b; };
  limit = std::min(limit, positions - 1);
  if (output_limit(limit) > positions) {
    // The largest S with floor(a * (S + 1)) + b <= P (a > 0 here, else the output limit does not grow).
    limit = a > 0 ? std::min<int64_t>(limit, static_cast<int64_t>((positions - b) / a)) : limit;
    while (limit > 0 && output_limit(limit) > positions) --limit;
  }
  if (limit < 1) {
    throw UsageError("the output length limit (max-length-a " + std::to_string(a) + ", max-length-b " +
                     std::to_string(b) + ") does not fit the model's " + std::to_string(positions) +
                     " positions (model.max_positions)");
  }
  return limit;
}

DecodingPlan plan_decoding(const Tokenizer& source, const std::vector<std::string>& lines,
                           const TranslationOptions& options, const nlohmann::json& model_config,
                           int64_t first_line) {
  const int64_t max_tokens = source_token_limit(model_config, options);
  const int64_t n = static_cast<int64_t>(lines.size());
  DecodingPlan plan;
  plan.results.resize(n);
  plan.encoded.resize(n);
  std::vector<int64_t> order;
  for (int64_t i = 0; i < n; ++i) {
    if (lines[i].find_first_not_of(" \t\r") == std::string::npos) {  // empty in, empty out
      plan.results[i].nbest_texts.push_back("");
      plan.results[i].nbest.push_back(Hypothesis{});
      continue;
    }
    auto ids = source.encode(lines[i]);
    if (static_cast<int64_t>(ids.size()) > max_tokens) {
      std::cerr << "s2s: warning: " << options.input_name << ":" << first_line + i << ": the line has " << ids.size()
                << " subword tokens; only its first " << max_tokens
                << " are translated (the limit: --max-source-tokens and the model's positions)\n";
      ids.resize(max_tokens);
    }
    plan.encoded[i].assign(ids.begin(), ids.end());
    order.push_back(i);
  }
  // Longest first, so the first batch shows the memory peak early.
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return plan.encoded[a].size() > plan.encoded[b].size(); });
  const int64_t beam = std::max(1, options.search.beam);
  size_t start = 0;
  while (start < order.size()) {
    const int64_t longest = static_cast<int64_t>(plan.encoded[order[start]].size()) + 1;
    size_t count = std::max<int64_t>(1, options.batch_tokens / (longest * beam));
    count = std::min(count, order.size() - start);
    plan.batches.emplace_back(order.begin() + start, order.begin() + start + count);
    start += count;
  }
  return plan;
}

std::vector<Translation> Translator::translate(const std::vector<std::string>& lines, int64_t first_line) {
  torch::NoGradGuard no_grad;
  bundle_.model->eval();
  DecodingPlan plan = plan_decoding(*bundle_.tokenizers.source, lines, options_, bundle_.config.value("model", nlohmann::json()),
                                    first_line);
  auto& results = plan.results;
  for (const auto& batch : plan.batches) {
    const size_t count = batch.size();
    std::vector<std::vector<int32_t>> sources;
    for (int64_t i : batch) sources.push_back(plan.encoded[i]);
    auto [src, lengths] = collate_sources(sources);
    auto hyps = search(*bundle_.model, src.to(bundle_.device), lengths.to(bundle_.device), options_.search);
    for (size_t j = 0; j < count; ++j) {
      Translation& t = results[batch[j]];
      t.nbest = std::move(hyps[j]);
      const auto& best = t.nbest.front().tokens;
      for (const auto& h : t.nbest) {
        t.nbest_texts.push_back(bundle_.tokenizers.target->decode(std::vector<int>(h.tokens.begin(), h.tokens.end())));
      }
      t.text = t.nbest_texts.front();
      if (options_.search.keep_attention) {
        for (int32_t id : sources[j]) t.source_pieces.push_back(bundle_.tokenizers.source->id_to_piece(id));
        t.source_pieces.push_back("</s>");
        for (int64_t id : best) t.target_pieces.push_back(bundle_.tokenizers.target->id_to_piece(static_cast<int>(id)));
        t.target_pieces.push_back("</s>");
      }
    }
  }
  return results;
}

std::vector<std::string> Translator::translate_text(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (auto& t : translate(lines)) out.push_back(std::move(t.text));
  return out;
}

}  // namespace s2s
