#include "train/validation.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>

#include "data/batching.h"
#include "metrics/bleu.h"
#include "train/loss.h"
#include "translate/translator.h"
#include "util/runtime.h"

namespace s2s {

DevSet load_dev_set(const std::string& corpus_dir, const CorpusTokenizers& tokenizers, int64_t max_sentences) {
  DevSet dev;
  dev.encoded = load_encoded_split(corpus_dir, "dev", tokenizers, 0);
  std::ifstream src(corpus_dir + "/dev.src"), trg(corpus_dir + "/dev.trg");
  std::string a, b;
  while (std::getline(src, a) && std::getline(trg, b)) {
    if (max_sentences > 0 && static_cast<int64_t>(dev.sources.size()) >= max_sentences) break;
    dev.sources.push_back(a);
    dev.references.push_back(b);
  }
  return dev;
}

void validate(const ModelPtr& weights, const DevSet& dev, const nlohmann::json& config, const TrainSettings& settings,
              const CorpusTokenizers& tokenizers, const torch::Device& device, const std::string& suffix,
              nlohmann::json& result) {
  // Dev loss over every dev pair (plain NLL per token).
  BatchingOptions batching;
  batching.max_tokens = settings.data.max_tokens;
  for (size_t i = 0; i < dev.encoded.ids.size(); ++i) batching.max_tokens = std::max(batching.max_tokens, pair_cost(dev.encoded.ids, i));
  batching.shuffle = false;
  // Summed on the device and read once, so no batch waits for the one before.
  torch::Tensor nll_sum = torch::zeros({}, torch::TensorOptions().device(device).dtype(torch::kDouble));
  int64_t tokens = 0;
  for (const auto& indices : make_batches(dev.encoded.ids, batching, 0)) {
    Batch batch = collate(dev.encoded.ids, indices);
    auto encoded = weights->encode(to_device(batch.src, device), to_device(batch.src_lengths, device));
    auto out = weights->decode(encoded, to_device(batch.trg_in, device));
    nll_sum += label_smoothed_loss(out.logits, to_device(batch.trg_out, device), 0.0).nll.to(torch::kDouble);
    tokens += batch.target_tokens;
  }
  const double nll = nll_sum.item<double>();
  if (tokens > 0) {
    result["dev_loss" + suffix] = nll / tokens;
    result["dev_perplexity" + suffix] = std::exp(nll / tokens);
  }
  if (settings.eval.bleu && !dev.sources.empty()) {
    ModelBundle bundle{weights, tokenizers, config, device, "", {}};
    TranslationOptions translation;
    translation.search.beam = settings.eval.beam;
    translation.search.max_length_a = settings.eval.max_length_a;
    translation.search.max_length_b = settings.eval.max_length_b;
    translation.input_name = settings.data.dir + "/dev.src";
    const auto start = std::chrono::steady_clock::now();
    auto hyps = Translator(bundle, translation).translate_text(dev.sources);
    result["dev_bleu" + suffix] = corpus_bleu(hyps, {dev.references}).score;
    result["dev_decode_seconds" + suffix] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
}

}  // namespace s2s
