#include "models/seq2seq.h"

#include "models/rnn.h"
#include "models/transformer.h"
#include "util/config.h"
#include "util/error.h"

namespace s2s {

namespace {

void select(torch::Tensor& tensor, const torch::Tensor& index) {
  if (tensor.defined()) tensor = tensor.index_select(0, index);
}

void select(std::vector<torch::Tensor>& tensors, const torch::Tensor& index) {
  for (auto& tensor : tensors) select(tensor, index);
}

void select_hypotheses(DecoderState& state, const torch::Tensor& index) {
  for (auto* tensor : {&state.hidden, &state.cell, &state.attentional, &state.attention, &state.head_attention}) {
    select(*tensor, index);
  }
  select(state.self_keys, index);
  select(state.self_values, index);
  select(state.opaque, index);
}

}  // namespace

void Seq2SeqModel::reorder(DecoderState& state, const torch::Tensor& index) {
  select_hypotheses(state, index);
  for (auto& member : state.members) reorder(member, index);
}

void Seq2SeqModel::select_rows(DecoderState& state, const torch::Tensor& index) {
  select_hypotheses(state, index);
  for (auto* tensor : {&state.memory, &state.src_mask, &state.memory_keys, &state.cross_bias}) select(*tensor, index);
  select(state.cross_keys, index);
  select(state.cross_values, index);
  for (auto& member : state.members) select_rows(member, index);
}

int64_t Seq2SeqModel::parameter_count() const {
  int64_t count = 0;
  // Tied weights appear once: count distinct storages.
  std::vector<const void*> seen;
  for (const auto& p : parameters()) {
    const void* data = p.data_ptr();
    if (std::find(seen.begin(), seen.end(), data) != seen.end()) continue;
    seen.push_back(data);
    count += p.numel();
  }
  return count;
}

nlohmann::json default_model_config(const std::string& architecture) {
  if (architecture == "rnn") return RnnOptions{}.to_json();
  if (architecture == "transformer") return TransformerOptions{}.to_json();
  throw UsageError("config key model.architecture must be \"rnn\" or \"transformer\", not \"" + architecture + "\"");
}

void validate_model_config(const nlohmann::json& model_config) {
  const std::string architecture = model_config.value("architecture", std::string("transformer"));
  nlohmann::json resolved = merge_checked(default_model_config(architecture), model_config, "model");
  if (architecture == "rnn") {
    RnnOptions::from_json(resolved);
  } else {
    TransformerOptions::from_json(resolved);
  }
}

ModelPtr build_model(const nlohmann::json& model_config, int64_t src_vocab, int64_t trg_vocab) {
  const std::string architecture = model_config.value("architecture", std::string("transformer"));
  nlohmann::json resolved = merge_checked(default_model_config(architecture), model_config, "model");
  if (architecture == "rnn") {
    return std::make_shared<RnnSeq2Seq>(RnnOptions::from_json(resolved), src_vocab, trg_vocab);
  }
  return std::make_shared<Transformer>(TransformerOptions::from_json(resolved), src_vocab, trg_vocab);
}

}  // namespace s2s
