#include "export/torchscript_export.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "export/exported_file.h"
#include "export/search_script.h"
#include "text/tokenizer.h"
#include "run/checkpoint.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/paths.h"
#include "util/fingerprint.h"

#ifndef S2S_VERSION
#define S2S_VERSION "unknown"
#endif

namespace s2s {
namespace {

constexpr const char* kClassPrefix = "__torch__.s2s_export.";

// TorchScript attribute names cannot be numbers: list index "0" becomes "_0".
std::string attribute_name(const std::string& component) {
  if (!component.empty() && std::isdigit(static_cast<unsigned char>(component[0]))) return "_" + component;
  return component;
}

std::vector<std::string> split_path(const std::string& dotted) {
  std::vector<std::string> parts;
  std::stringstream in(dotted);
  std::string part;
  while (std::getline(in, part, '.')) parts.push_back(attribute_name(part));
  return parts;
}

// A list index as attribute_name() writes it: "_" and digits only.
bool is_list_index(const std::string& part) {
  return part.size() > 1 && part[0] == '_' &&
         std::all_of(part.begin() + 1, part.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

// The class of the submodule at `parts[0..count)`, named after its path with
// list indices replaced by "layer": the layers of one stack share one class,
// so that a model's TorchScript defines a layer's methods once and loops over
// the layers (Seq2SeqModel::define_torchscript).
c10::QualifiedName class_name(const std::vector<std::string>& parts, size_t count) {
  std::string name = std::string(kClassPrefix) + "Model";
  for (size_t i = 0; i < count; ++i) name += "__" + (is_list_index(parts[i]) ? std::string("layer") : parts[i]);
  return c10::QualifiedName(name);
}

// Layers that share a class must hold the same parameters: one that lacks
// another's would keep an empty slot the TorchScript would fail on, far from
// the cause.
void check_shared_classes(const torch::jit::Module& root) {
  for (const auto& item : root.named_modules()) {
    const auto& object = item.value._ivalue();
    const auto& type = item.value.type();
    for (size_t slot = 0; slot < type->numAttributes(); ++slot) {
      if (slot >= object->slots().size() || object->getSlot(slot).isNone()) {
        throw Error("export: " + (item.name.empty() ? std::string("the model") : item.name) + " has no " +
                    type->getAttributeName(slot) + ", which other layers of its stack have");
      }
    }
  }
}

// The submodule at `parts[0..count)` below `root`, created on first use.
torch::jit::Module submodule(torch::jit::Module& root, const std::shared_ptr<torch::jit::CompilationUnit>& cu,
                             const std::vector<std::string>& parts, size_t count) {
  torch::jit::Module current = root;
  for (size_t i = 0; i < count; ++i) {
    // A layer after the first has its class's attributes before it has their values.
    if (current.hasattr(parts[i]) && current.attr(parts[i]).isModule()) {
      current = current.attr(parts[i]).toModule();
      continue;
    }
    const auto name = class_name(parts, i + 1);
    auto existing = cu->get_class(name);
    torch::jit::Module child = existing ? torch::jit::Module(cu, existing) : torch::jit::Module(name, cu);
    current.register_module(parts[i], child);
    current = child;
  }
  return current;
}

}  // namespace

torch::jit::Module script_model(Seq2SeqModel& model, double max_length_a, int64_t max_length_b, LengthNorm length_norm) {
  auto cu = std::make_shared<torch::jit::CompilationUnit>();
  torch::jit::Module root(c10::QualifiedName(std::string(kClassPrefix) + "Model"), cu);
  torch::NoGradGuard no_grad;
  auto copy_in = [&](const std::string& name, const torch::Tensor& value, bool buffer) {
    auto parts = split_path(name);
    auto owner = submodule(root, cu, parts, parts.size() - 1);
    owner.register_parameter(parts.back(), value.detach().to(torch::kCPU).clone(), buffer);
  };
  for (const auto& item : model.named_parameters()) copy_in(item.key(), item.value(), false);
  for (const auto& item : model.named_buffers()) copy_in(item.key(), item.value(), true);
  root.eval();  // sets every module's `training` slot, which a later layer's object starts without
  check_shared_classes(root);

  try {
    model.define_torchscript(root);
    root.define(exporting::search_source(max_length_a, max_length_b, length_norm_name(length_norm)));
  } catch (const c10::Error& e) {
    // A bug in the generated source, not a user error; keep the compiler's words.
    throw Error("export: the generated TorchScript does not compile: " + std::string(e.what_without_backtrace()));
  }
  root.eval();
  return root;
}

void save_scripted(const torch::jit::Module& module, const std::string& out_path,
                   const std::map<std::string, std::string>& extra_files) {
  const std::string temp = temp_path_for(out_path);
  torch::jit::ExtraFilesMap extra(extra_files.begin(), extra_files.end());
  try {
    module.save(temp, extra);
  } catch (const std::exception& e) {
    std::remove(temp.c_str());
    throw Error("cannot write " + out_path + ": " + first_line(e.what()));
  }
  commit_temp_file(temp, out_path);
}

nlohmann::json export_bundle(ModelBundle& bundle, const std::string& out_path, const nlohmann::json& extra_metadata,
                             LengthNorm length_norm) {
  if (!bundle.model) throw Error("export: no model to export");
  if (!bundle.tokenizers.source || !bundle.tokenizers.target) throw Error("export: the model has no tokenizers");
  bundle.model->eval();
  // forward() uses the same output limit as `s2s translate` by default.
  const SearchOptions defaults;
  const double max_a = defaults.max_length_a;
  const int64_t max_b = defaults.max_length_b;
  auto module = script_model(*bundle.model, max_a, max_b, length_norm);

  nlohmann::json model_config = bundle.config.contains("model") ? bundle.config["model"] : nlohmann::json::object();
  nlohmann::json metadata = {
      {"format", kExportFormat},
      {"format_version", kExportFormatVersion},
      {"s2s_version", S2S_VERSION},
      {"architecture", model_config.value("architecture", std::string("transformer"))},
      {"description", bundle.model->describe()},
      {"model", model_config},
      {"parameters", bundle.model->parameter_count()},
      {"source_vocab_size", bundle.tokenizers.source->vocab_size()},
      {"target_vocab_size", bundle.tokenizers.target->vocab_size()},
      {"joint_vocabulary", bundle.tokenizers.joint},
      {"special_ids", {{"pad", SpecialIds::pad}, {"unk", SpecialIds::unk}, {"bos", SpecialIds::bos}, {"eos", SpecialIds::eos}}},
      {"source_input", "SentencePiece ids of the sentence followed by eos"},
      {"search",
       {{"length_norm", length_norm_name(length_norm)}, {"length_penalty", 1.0}, {"max_length_a", max_a}, {"max_length_b", max_b}}},
      {"methods",
       {"translate(src: List[List[int]], beam: int, max_len_a: float, max_len_b: int) -> List[List[int]]",
        "translate_scored(src: List[List[int]], beam: int, max_len_a: float, max_len_b: int, length_penalty: float) -> "
        "Tuple[List[List[int]], List[float]]",
        "forward(src: Tensor, src_lengths: Tensor) -> Tensor", "encode(src: Tensor, src_lengths: Tensor) -> List[Tensor]",
        "start(encoded: List[Tensor]) -> List[Tensor]",
        "step(state: List[Tensor], tokens: Tensor, position: int) -> Tuple[Tensor, List[Tensor]]",
        "step_attend(state: List[Tensor], tokens: Tensor, position: int) -> Tuple[Tensor, List[Tensor], Tensor]"}},
  };
  metadata["attention"] = bundle.model->attention_description();
  if (!bundle.checkpoint_path.empty()) {
    auto slash = bundle.checkpoint_path.find_last_of('/');
    metadata["checkpoint"] = slash == std::string::npos ? bundle.checkpoint_path : bundle.checkpoint_path.substr(slash + 1);
  }
  for (auto it = extra_metadata.begin(); it != extra_metadata.end(); ++it) metadata[it.key()] = it.value();

  std::map<std::string, std::string> files = {{"metadata.json", metadata.dump(2)}, {"config.json", bundle.config.dump(2)}};
  if (bundle.tokenizers.joint) {
    files["spm.model"] = bundle.tokenizers.source->serialized();
    metadata["tokenizer_files"] = {"spm.model"};
  } else {
    files["spm.src.model"] = bundle.tokenizers.source->serialized();
    files["spm.trg.model"] = bundle.tokenizers.target->serialized();
    metadata["tokenizer_files"] = {"spm.src.model", "spm.trg.model"};
  }
  files["metadata.json"] = metadata.dump(2);
  save_scripted(module, out_path, files);
  return metadata;
}

nlohmann::json export_run_dir(const std::string& run_dir, const RunExportOptions& options, const std::string& out_path) {
  auto bundle = options.average_last > 0 ? load_averaged_bundle(run_dir, options.average_last, torch::kCPU)
                                         : load_model_bundle(run_dir, options.checkpoint, torch::kCPU);
  nlohmann::json extra = nlohmann::json::object();
  if (!bundle.averaged_from.empty()) extra["averaged_checkpoints"] = bundle.averaged_from;

  // Which data trained it: the corpus directory and the sizes of its training files.
  const auto& data = bundle.config.contains("data") ? bundle.config["data"] : nlohmann::json::object();
  const std::string data_dir = data.is_object() ? data.value("dir", std::string()) : std::string();
  if (!data_dir.empty()) {
    std::string key = data_dir;
    for (const char* name : {"train.src", "train.trg"}) key += "\n" + std::string(name) + "=" + std::to_string(file_size_or_minus_one(data_dir + "/" + name));
    extra["training_data"] = {{"dir", data_dir}, {"fingerprint", fingerprint_hex(fingerprint(key))}};
  }
  // The last evaluation's dev BLEU, when the run recorded one.
  std::ifstream metrics(run_dir + "/metrics.jsonl");
  std::string line;
  nlohmann::json last_eval;
  while (std::getline(metrics, line)) {
    auto record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (record.is_object() && record.value("type", std::string()) == "eval") last_eval = record;
  }
  if (last_eval.is_object()) {
    if (last_eval.contains("dev_bleu")) extra["dev_bleu"] = last_eval["dev_bleu"];
    if (last_eval.contains("step")) extra["dev_bleu_step"] = last_eval["step"];
  }
  try {
    auto state = read_checkpoint_state(bundle.checkpoint_path);
    if (state.is_object() && state.contains("step")) extra["training_step"] = state["step"];
  } catch (const Error&) {
    // The checkpoint loaded a moment ago; a state we cannot read only costs the step count.
  }
  extra["run_dir"] = run_dir;
  return export_bundle(bundle, out_path, extra, options.length_norm);
}

bool is_exported_model(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return false;
  return S_ISREG(st.st_mode);
}

// ------------------------------------------------------------------ loading

ExportedModel ExportedModel::load(const std::string& path, const torch::Device& device) {
  ExportedFile file = read_exported_file(path, device);
  ExportedModel out;
  out.path_ = path;
  out.device_ = device;
  out.module_ = std::move(file.module);
  out.metadata_ = std::move(file.metadata);
  out.config_ = std::move(file.config);
  try {
    if (!file.joint_spm.empty()) {
      out.tokenizers_ = CorpusTokenizers::from_serialized(file.joint_spm, file.joint_spm);
    } else {
      out.tokenizers_ = CorpusTokenizers::from_serialized(file.source_spm, file.target_spm);
      out.tokenizers_.joint = false;
    }
  } catch (const Error& e) {
    throw Error(path + ": cannot load its tokenizer: " + e.what());
  }
  return out;
}

std::vector<std::vector<int64_t>> ExportedModel::translate(const std::vector<std::vector<int64_t>>& sources, int beam,
                                                           double max_length_a, int64_t max_length_b,
                                                           double length_penalty, std::vector<double>* scores) {
  if (beam < 1) throw Error("beam size must be at least 1");
  c10::List<c10::List<int64_t>> input;
  for (const auto& s : sources) {
    if (s.empty()) throw Error("export translate: a source sentence has no tokens (it needs at least its EOS)");
    input.push_back(c10::List<int64_t>(s));
  }
  torch::NoGradGuard no_grad;
  c10::IValue result;
  try {
    result = module_.get_method("translate_scored")(
        {input, static_cast<int64_t>(beam), max_length_a, max_length_b, length_penalty});
  } catch (const c10::Error& e) {
    throw Error(path_ + ": translation failed: " + first_line(e.what_without_backtrace()));
  }
  auto tuple = result.toTuple();
  std::vector<std::vector<int64_t>> outputs;
  for (const auto& row : tuple->elements()[0].toList()) outputs.push_back(row.get().toIntVector());
  if (scores != nullptr) {
    scores->clear();
    for (const auto& value : tuple->elements()[1].toList()) scores->push_back(value.get().toDouble());
  }
  return outputs;
}

}  // namespace s2s
