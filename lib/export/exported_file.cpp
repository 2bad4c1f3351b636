#include "export/exported_file.h"

#include "util/error.h"
#include "util/paths.h"

namespace s2s {

ExportedFile read_exported_file(const std::string& path, const torch::Device& device) {
  if (!path_exists(path)) throw Error("model " + path + " does not exist");
  torch::jit::ExtraFilesMap extra = {{"metadata.json", ""}, {"config.json", ""}, {"spm.model", ""},
                                     {"spm.src.model", ""}, {"spm.trg.model", ""}};
  ExportedFile out;
  try {
    out.module = torch::jit::load(path, device, extra);
  } catch (const std::exception& e) {
    throw Error(path + " is not a TorchScript model file (" + first_line(e.what()) + ")");
  }
  const std::string& metadata_text = extra["metadata.json"];
  if (metadata_text.empty()) {
    throw Error(path + " is a TorchScript file but not one written by s2s export (it has no metadata.json)");
  }
  out.metadata = nlohmann::json::parse(metadata_text, nullptr, /*allow_exceptions=*/false);
  if (!out.metadata.is_object() || !out.metadata.contains("format") || !out.metadata["format"].is_string() ||
      out.metadata["format"].get<std::string>() != kExportFormat) {
    throw Error(path + " is a TorchScript file but not one written by s2s export (its metadata.json is not ours)");
  }
  const auto& version_field = out.metadata.contains("format_version") ? out.metadata["format_version"] : nlohmann::json();
  if (!version_field.is_number_integer()) {
    throw Error(path + ": its metadata.json has no integer format_version");
  }
  const auto version = version_field.get<int64_t>();
  if (version > kExportFormatVersion) {
    throw Error(path + " was exported in format version " + std::to_string(version) + ", newer than this s2s reads (" +
                std::to_string(kExportFormatVersion) + ")");
  }
  if (version < kExportFormatVersion) {
    throw Error(path + " was exported in format version " + std::to_string(version) +
                ", whose methods this s2s cannot call; export it again");
  }
  for (const char* method : {"encode", "start", "step_attend", "translate_scored"}) {
    if (!out.module.find_method(method)) throw Error(path + " has no " + method + " method");
  }
  out.config = nlohmann::json::parse(extra["config.json"], nullptr, /*allow_exceptions=*/false);
  if (!out.config.is_object()) out.config = nlohmann::json::object();
  out.joint_spm = extra["spm.model"];
  if (out.joint_spm.empty()) {
    out.source_spm = extra["spm.src.model"];
    out.target_spm = extra["spm.trg.model"];
    if (out.source_spm.empty() || out.target_spm.empty()) {
      throw Error(path + ": cannot load its tokenizer: no SentencePiece model inside");
    }
  }
  out.module.eval();
  return out;
}

}  // namespace s2s
