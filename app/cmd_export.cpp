// `s2s export`: a training directory's model as one TorchScript file with its
// tokenizer model(s), config and metadata embedded (lib/export).
#include <iostream>

#include "command_registry.h"
#include "export/torchscript_export.h"
#include "search/search.h"
#include "util/error.h"

namespace {

struct ExportFlags {
  std::string model;
  std::string out;
  std::string checkpoint = "best";
  int average = 0;
  std::string length_norm = "gnmt";
};

s2s::app::CommandRegistration registration("export", [](CLI::App* cmd) {
  auto flags = std::make_shared<ExportFlags>();
  cmd->add_option("--model", flags->model, "Training directory")->required();
  cmd->add_option("--out", flags->out, "Output file (e.g. model.pt)")->required();
  cmd->add_option("--checkpoint", flags->checkpoint, "best, last, ema, avg or step<N> (checkpoint_<name>.pt of the run)");
  cmd->add_option("--average", flags->average,
                  "Export the parameter average of the run's last N kept checkpoints (train.keep_last) instead")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--length-norm", flags->length_norm, "The exported beam search's length normalisation (recorded in metadata)")
      ->check(CLI::IsMember({"gnmt", "average", "none"}));
  cmd->callback([flags, cmd] {
    if (flags->average > 0 && cmd->count("--checkpoint") > 0) {
      throw s2s::UsageError("give either --checkpoint or --average, not both");
    }
    s2s::RunExportOptions options;
    options.checkpoint = flags->checkpoint;
    options.average_last = flags->average;
    options.length_norm = s2s::parse_length_norm(flags->length_norm);
    auto metadata = s2s::export_run_dir(flags->model, options, flags->out);
    const std::string which = flags->average > 0 ? "average of the last " + std::to_string(flags->average) + " checkpoints"
                                                 : metadata.value("checkpoint", std::string("checkpoint"));
    std::cerr << "exported " << metadata.value("description", std::string("model")) << " (" << which << ") to "
              << flags->out << "\n";
  });
});

}  // namespace
