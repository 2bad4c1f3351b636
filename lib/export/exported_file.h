#pragma once
// Reading an exported .pt file: the TorchScript module and what s2s export
// stores beside it (metadata.json, config.json, the SentencePiece models as
// bytes), with every check that can refuse a file that is not ours, or not
// whole. The tokenizers are built from the bytes by ExportedModel::load
// (torchscript_export.h); this part needs no SentencePiece, so the fuzz
// harness for .pt files (tests/fuzz/fuzz_exported_file.cpp) links it alone.
#include <torch/script.h>

#include <nlohmann/json.hpp>
#include <string>

namespace s2s {

// metadata.json's "format" and "format_version" in every file s2s export writes.
// Version 2: translate / translate_scored take max_len_a, max_len_b (a limit per sentence) instead of max_len.
// Version 3: step_attend (step with the cross-attention), which s2s translate decodes an export with.
inline constexpr const char* kExportFormat = "s2s-export";
inline constexpr int kExportFormatVersion = 3;

struct ExportedFile {
  torch::jit::Module module;
  nlohmann::json metadata;
  nlohmann::json config;  // {} when the file's config.json is missing or not JSON
  // The SentencePiece model(s) as serialized bytes: one joint model, or a
  // source and a target model (the other fields empty).
  std::string joint_spm, source_spm, target_spm;
};

// Throws s2s::Error naming `path` when it is missing, not TorchScript,
// TorchScript without our metadata, of another format version, lacking one of
// the methods s2s calls, or without a SentencePiece model inside.
ExportedFile read_exported_file(const std::string& path, const torch::Device& device);

}  // namespace s2s
