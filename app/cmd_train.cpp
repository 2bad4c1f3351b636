// `s2s train`: one model, from a JSON config, into a run directory.
#include <iostream>
#include <sys/stat.h>

#include "command_registry.h"
#include "train/train_config.h"
#include "train/trainer.h"
#include "util/config.h"
#include "util/error.h"

namespace {

struct TrainFlags {
  std::string config_path;
  std::vector<std::string> overrides;
  std::string out;
  bool resume = false;
  std::string init_from;
  bool print_config = false;
  int threads = -1;
  std::string device;
};

s2s::app::CommandRegistration registration([](CLI::App& root) {
  auto flags = std::make_shared<TrainFlags>();
  auto* cmd = root.add_subcommand("train", "Train one model (RNN or Transformer) from a JSON config");
  cmd->add_option("--config", flags->config_path, "Config JSON (sections data, model, train, eval)");
  cmd->add_option("--set", flags->overrides, "Override a config key: --set train.max_steps=500 (repeatable)");
  cmd->add_option("--out", flags->out, "Run directory (checkpoints, metrics.jsonl, config.json)");
  cmd->add_flag("--resume", flags->resume, "Continue the run in --out from its last checkpoint");
  cmd->add_option("--init-from", flags->init_from,
                  "Fine-tune: start from the weights of this run (its best checkpoint, or a checkpoint file in it); "
                  "the optimizer, schedule and data position start afresh");
  cmd->add_flag("--print-config", flags->print_config, "Print the resolved config and exit");
  cmd->add_option("--threads", flags->threads, "CPU threads (default: train.threads, 0 = all cores)")
      ->check(CLI::Range(0, 4096));
  cmd->add_option("--device", flags->device, "cpu or cuda (default: train.device)");
  cmd->callback([flags] {
    std::vector<std::string> overrides = flags->overrides;
    if (flags->threads >= 0) overrides.push_back("train.threads=" + std::to_string(flags->threads));
    if (!flags->device.empty()) overrides.push_back("train.device=\"" + flags->device + "\"");
    std::string config_path = flags->config_path;
    if (config_path.empty() && flags->resume && !flags->out.empty()) config_path = flags->out + "/config.json";
    nlohmann::json config = s2s::resolve_config(config_path, overrides);
    if (flags->print_config) {
      std::cout << config.dump(2) << "\n";
      return;
    }
    if (flags->out.empty()) throw s2s::UsageError("s2s train needs --out DIR");
    s2s::TrainOptions options;
    options.config = config;
    options.run_dir = flags->out;
    options.resume = flags->resume;
    options.init_from = flags->init_from;
    auto summary = s2s::train_model(options);
    std::cout << summary.to_json().dump(2) << "\n";
  });
});

}  // namespace
