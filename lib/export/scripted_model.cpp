#include "export/scripted_model.h"

#include "export/torchscript_export.h"
#include "util/error.h"

namespace s2s {
namespace {

std::vector<torch::Tensor> to_tensors(const c10::IValue& value) {
  std::vector<torch::Tensor> out;
  for (const auto& item : value.toTensorList()) out.push_back(item);
  return out;
}

c10::List<torch::Tensor> to_list(const std::vector<torch::Tensor>& tensors) {
  c10::List<torch::Tensor> list;
  for (const auto& t : tensors) list.push_back(t);
  return list;
}

}  // namespace

ScriptedSeq2Seq::ScriptedSeq2Seq(torch::jit::Module module, std::string origin, int64_t target_vocab_size,
                                 std::string description, std::string attention_description)
    : module_(std::move(module)),
      origin_(std::move(origin)),
      target_vocab_size_(target_vocab_size),
      description_(std::move(description)),
      attention_description_(std::move(attention_description)) {}

c10::IValue ScriptedSeq2Seq::call(const char* method, std::vector<c10::IValue> arguments) {
  try {
    return module_.get_method(method)(std::move(arguments));
  } catch (const c10::Error& e) {
    throw Error(origin_ + ": " + method + " failed: " + first_line(e.what_without_backtrace()));
  }
}

EncoderOutput ScriptedSeq2Seq::encode(const torch::Tensor& src, const torch::Tensor& src_lengths) {
  // [memory (B, S, M), mask (B, S), summaries (B, ...)...]
  auto parts = to_tensors(call("encode", {src, src_lengths}));
  EncoderOutput out;
  out.memory = parts.at(0);
  out.src_mask = parts.at(1);
  out.summary.assign(parts.begin() + 2, parts.end());
  return out;
}

DecodeOutput ScriptedSeq2Seq::decode(const EncoderOutput&, const torch::Tensor&) {
  throw UsageError("an exported model decodes step by step with its cache; --no-cache needs a training directory");
}

DecoderState ScriptedSeq2Seq::start(const EncoderOutput& encoded) {
  std::vector<torch::Tensor> parts = {encoded.memory, encoded.src_mask};
  parts.insert(parts.end(), encoded.summary.begin(), encoded.summary.end());
  DecoderState state;
  state.opaque = to_tensors(call("start", {to_list(parts)}));
  return state;
}

torch::Tensor ScriptedSeq2Seq::step(DecoderState& state, const torch::Tensor& prev_tokens) {
  auto result = call("step_attend", {to_list(state.opaque), prev_tokens, state.position}).toTuple();
  state.opaque = to_tensors(result->elements()[1]);
  state.position += 1;
  // (B, H, S), or (B, 1, 0) without attention.
  auto attention = result->elements()[2].toTensor();
  if (attention.size(-1) == 0) {
    state.attention = torch::Tensor();
    state.head_attention = torch::Tensor();
  } else {
    state.attention = attention.mean(1);
    state.head_attention = attention_description_ == "multi-head" ? attention : torch::Tensor();
  }
  return result->elements()[0].toTensor();
}

void ScriptedSeq2Seq::define_torchscript(torch::jit::Module&) const {
  throw Error("this model is already an export; export its training directory instead");
}

ModelBundle load_exported_bundle(const std::string& path, const torch::Device& device) {
  auto exported = ExportedModel::load(path, device);
  const auto& metadata = exported.metadata();
  ModelBundle bundle;
  bundle.tokenizers = exported.tokenizers();
  bundle.config = exported.config();
  if (!bundle.config.is_object()) bundle.config = nlohmann::json::object();
  bundle.device = device;
  bundle.checkpoint_path = path;
  bundle.model = std::make_shared<ScriptedSeq2Seq>(exported.module(), path, bundle.tokenizers.target->vocab_size(),
                                                   metadata.value("description", std::string("exported model")),
                                                   metadata.value("attention", std::string("none")));
  bundle.model->eval();
  return bundle;
}

}  // namespace s2s
