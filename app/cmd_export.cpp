// `s2s export`: a training directory's model as one TorchScript file with its
// tokenizer model(s), config and metadata embedded (lib/export).
#include <iostream>

#include "command_registry.h"
#include "export/torchscript_export.h"
#include "util/error.h"

namespace {

struct ExportFlags {
  std::string model;
  std::string out;
  std::string checkpoint = "best";
};

s2s::app::CommandRegistration registration([](CLI::App& root) {
  auto flags = std::make_shared<ExportFlags>();
  auto* cmd = root.add_subcommand("export", "Export a trained model to TorchScript (usable from C++ and Python)");
  cmd->add_option("--model", flags->model, "Training directory")->required();
  cmd->add_option("--out", flags->out, "Output file (e.g. model.pt)")->required();
  cmd->add_option("--checkpoint", flags->checkpoint, "best or last")->check(CLI::IsMember({"best", "last"}));
  cmd->callback([flags] {
    auto metadata = s2s::export_run_dir(flags->model, flags->checkpoint, flags->out);
    std::cerr << "exported " << metadata.value("description", std::string("model")) << " ("
              << metadata.value("checkpoint", std::string("checkpoint")) << ") to " << flags->out << "\n";
  });
});

}  // namespace
