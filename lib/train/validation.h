#pragma once
// Validation during training: dev loss and perplexity over every dev pair, and
// BLEU of the translated dev sources (eval.bleu), for any set of weights (the
// model, or its moving average). Apart from the trainer so that what a
// "dev BLEU" means is read in one place.
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "models/seq2seq.h"
#include "run/run_config.h"

namespace s2s {

struct DevSet {
  EncodedSplit encoded;                 // dev.* as ids (no length filter)
  std::vector<std::string> sources;     // dev.src lines translated for BLEU (at most eval.max_sentences)
  std::vector<std::string> references;  // the matching dev.trg lines
};

// Loads CORPUS_DIR/dev.*; `max_sentences` > 0 caps the lines translated for BLEU.
DevSet load_dev_set(const std::string& corpus_dir, const CorpusTokenizers& tokenizers, int64_t max_sentences);

// Adds dev_loss, dev_perplexity (and dev_bleu, dev_decode_seconds when
// eval.bleu) of `weights` to `result`, each key suffixed with `suffix`.
// `config`: the resolved training config (its model section bounds the dev
// translations' lengths); `settings`: the same, typed (data.max_tokens, eval.*).
void validate(const ModelPtr& weights, const DevSet& dev, const nlohmann::json& config, const TrainSettings& settings,
              const CorpusTokenizers& tokenizers, const torch::Device& device, const std::string& suffix,
              nlohmann::json& result);

}  // namespace s2s
