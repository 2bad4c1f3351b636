#include "models/ensemble.h"

#include "util/error.h"

namespace s2s {

namespace {

// The mean of the defined tensors of `parts` (undefined when none is).
torch::Tensor mean_of_defined(const std::vector<torch::Tensor>& parts) {
  torch::Tensor sum;
  int64_t count = 0;
  for (const auto& part : parts) {
    if (!part.defined()) continue;
    sum = sum.defined() ? sum + part : part.clone();
    ++count;
  }
  return count > 0 ? sum / static_cast<double>(count) : sum;
}

}  // namespace

EnsembleModel::EnsembleModel(std::vector<ModelPtr> members) : members_(std::move(members)) {
  if (members_.empty()) throw UsageError("an ensemble needs at least one model");
  for (size_t i = 0; i < members_.size(); ++i) {
    if (members_[i]->target_vocab_size() != members_.front()->target_vocab_size()) {
      throw Error("ensemble: model " + std::to_string(i + 1) + " has " +
                  std::to_string(members_[i]->target_vocab_size()) + " target tokens but model 1 has " +
                  std::to_string(members_.front()->target_vocab_size()));
    }
    register_module("member_" + std::to_string(i), members_[i]);
  }
}

EncoderOutput EnsembleModel::encode(const torch::Tensor& src, const torch::Tensor& src_lengths) {
  EncoderOutput packed;
  summary_counts_.clear();
  for (auto& member : members_) {
    EncoderOutput own = member->encode(src, src_lengths);
    if (!packed.memory.defined()) {
      packed.memory = own.memory;
      packed.src_mask = own.src_mask;
    }
    packed.summary.push_back(own.memory);
    packed.summary.push_back(own.src_mask);
    for (auto& s : own.summary) packed.summary.push_back(s);
    summary_counts_.push_back(own.summary.size());
  }
  return packed;
}

std::vector<EncoderOutput> EnsembleModel::unpack_encoded(const EncoderOutput& packed) const {
  if (summary_counts_.size() != members_.size()) throw Error("ensemble: decoding before encode()");
  std::vector<EncoderOutput> out(members_.size());
  size_t at = 0;
  for (size_t i = 0; i < members_.size(); ++i) {
    out[i].memory = packed.summary.at(at++);
    out[i].src_mask = packed.summary.at(at++);
    for (size_t k = 0; k < summary_counts_[i]; ++k) out[i].summary.push_back(packed.summary.at(at++));
  }
  return out;
}

DecodeOutput EnsembleModel::decode(const EncoderOutput& encoded, const torch::Tensor& trg_in) {
  auto parts = unpack_encoded(encoded);
  std::vector<torch::Tensor> log_probs, attention;
  torch::Tensor logits_of_single, head_attention_of_single;
  for (size_t i = 0; i < members_.size(); ++i) {
    DecodeOutput own = members_[i]->decode(parts[i], trg_in);
    logits_of_single = own.logits;
    head_attention_of_single = own.head_attention;
    log_probs.push_back(torch::log_softmax(own.logits, -1));
    attention.push_back(own.attention);
  }
  DecodeOutput out;
  // One member: its own logits, so a one-model ensemble is that model bit for bit.
  out.logits = members_.size() == 1 ? logits_of_single : mean_of_defined(log_probs);
  out.attention = mean_of_defined(attention);
  if (members_.size() == 1) out.head_attention = head_attention_of_single;
  return out;
}

DecoderState EnsembleModel::start(const EncoderOutput& encoded) {
  auto parts = unpack_encoded(encoded);
  DecoderState state;
  for (size_t i = 0; i < members_.size(); ++i) state.members.push_back(members_[i]->start(parts[i]));
  state.position = state.members.front().position;
  return state;
}

torch::Tensor EnsembleModel::step(DecoderState& state, const torch::Tensor& prev_tokens) {
  if (state.members.size() != members_.size()) throw Error("ensemble: step() before start()");
  std::vector<torch::Tensor> log_probs, attention;
  torch::Tensor logits_of_single, head_attention_of_single;
  for (size_t i = 0; i < members_.size(); ++i) {
    DecoderState& own = state.members[i];
    logits_of_single = members_[i]->step(own, prev_tokens);
    log_probs.push_back(torch::log_softmax(logits_of_single, -1));
    attention.push_back(own.attention);
    head_attention_of_single = own.head_attention;
  }
  state.position = state.members.front().position;
  state.attention = mean_of_defined(attention);
  state.head_attention = members_.size() == 1 ? head_attention_of_single : torch::Tensor();
  return members_.size() == 1 ? logits_of_single : mean_of_defined(log_probs);
}

std::string EnsembleModel::describe() const {
  if (members_.size() == 1) return members_.front()->describe();
  std::string text = "ensemble of " + std::to_string(members_.size()) + " (";
  for (size_t i = 0; i < members_.size(); ++i) text += (i ? "; " : "") + members_[i]->describe();
  return text + ")";
}

int64_t EnsembleModel::target_vocab_size() const { return members_.front()->target_vocab_size(); }

void EnsembleModel::define_torchscript(torch::jit::Module& root) const {
  (void)root;
  throw Error("an ensemble cannot be exported as one model; export each of its " + std::to_string(members_.size()) +
              " runs on its own");
}

std::string EnsembleModel::attention_description() const {
  if (members_.size() == 1) return members_.front()->attention_description();
  return "ensemble";
}

}  // namespace s2s
