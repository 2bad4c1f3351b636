#pragma once
// `s2s export`: a trained model as one TorchScript file that runs without the
// toolkit, from C++ (torch::jit::load) or Python (torch.jit.load).
//
// The file holds the model's parameters (copied by name from the native
// model: encoder.rnn.weight_ih_l0, decoder_layers._0.self_attention.query.weight,
// ... — list indices become "_0", "_1" because TorchScript attribute names
// cannot be numbers), generated TorchScript for encode / start / step and the
// greedy and beam searches (each model writes its own: Seq2SeqModel::define_torchscript; the searches are in export/search_script.h), and extra files:
//   config.json    the resolved training config
//   spm.model      the SentencePiece model (or spm.src.model + spm.trg.model)
//   metadata.json  architecture, vocabulary sizes, special ids, data
//                  fingerprint, dev BLEU, toolkit version
#include <torch/script.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "models/seq2seq.h"
#include "translate/translator.h"

namespace s2s {

// The scripted twin of a native model (parameters copied to the CPU). The
// output length limit of `forward` is int(max_length_a * S) + max_length_b per
// sentence, S being its own source length, as in the native search.
// `length_norm` is the normalisation its beam search applies (fixed at export).
torch::jit::Module script_model(Seq2SeqModel& model, double max_length_a = 1.5, int64_t max_length_b = 10,
                                LengthNorm length_norm = LengthNorm::gnmt);

// Saves `module` atomically with the given extra files; s2s::Error naming the
// path on failure.
void save_scripted(const torch::jit::Module& module, const std::string& out_path,
                   const std::map<std::string, std::string>& extra_files);

// Exports an in-memory bundle (model, tokenizers, resolved config).
// `extra_metadata` is merged into metadata.json. Returns the metadata written.
nlohmann::json export_bundle(ModelBundle& bundle, const std::string& out_path,
                             const nlohmann::json& extra_metadata = nlohmann::json::object(),
                             LengthNorm length_norm = LengthNorm::gnmt);

struct RunExportOptions {
  std::string checkpoint = "best";            // checkpoint_<name>.pt of the run (best, last, ema, avg, ...)
  int average_last = 0;                       // > 0: the parameter average of the run's last N kept checkpoints instead
  LengthNorm length_norm = LengthNorm::gnmt;  // recorded in metadata.json and used by the exported search
};

// Exports a training directory's checkpoint, adding the training data
// fingerprint and the last dev BLEU to the metadata.
nlohmann::json export_run_dir(const std::string& run_dir, const RunExportOptions& options, const std::string& out_path);

// True when `path` names a file (an exported model, or something that claims
// to be) rather than a training directory.
bool is_exported_model(const std::string& path);

// A loaded export: the TorchScript module, its metadata and its tokenizers.
class ExportedModel {
 public:
  // Throws s2s::Error naming `path` when it is missing, not TorchScript, or
  // TorchScript without our metadata.
  static ExportedModel load(const std::string& path, const torch::Device& device = torch::kCPU);

  // The export's own TorchScript search (translate_scored), as Python users
  // run it; `s2s translate` decodes exports with lib/search instead
  // (export/scripted_model.h), and the parity tests hold the two together.
  // Source id lists WITH their final EOS; returns output ids without EOS, each
  // at most int(max_length_a * |source|) + max_length_b long. `scores`
  // (optional) receives the length-normalised log-probabilities.
  std::vector<std::vector<int64_t>> translate(const std::vector<std::vector<int64_t>>& sources, int beam,
                                              double max_length_a, int64_t max_length_b, double length_penalty = 1.0,
                                              std::vector<double>* scores = nullptr);

  torch::jit::Module& module() { return module_; }
  const nlohmann::json& metadata() const { return metadata_; }
  const nlohmann::json& config() const { return config_; }
  const CorpusTokenizers& tokenizers() const { return tokenizers_; }
  const torch::Device& device() const { return device_; }
  const std::string& path() const { return path_; }

 private:
  torch::jit::Module module_;
  nlohmann::json metadata_, config_;
  CorpusTokenizers tokenizers_;
  torch::Device device_{torch::kCPU};
  std::string path_;
};

}  // namespace s2s
