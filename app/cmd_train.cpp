// `s2s train`: one model, from a JSON config, into a run directory.
#include <iostream>
#include <sys/stat.h>

#include "command_registry.h"
#include "run/checkpoint.h"
#include "distributed/launcher.h"
#include "distributed/world.h"
#include "run/run_config.h"
#include "train/trainer.h"
#include "util/config.h"
#include "util/error.h"
#include "util/paths.h"

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
  int nproc = 1;
};

// --nproc N: the same command in N local worker processes (torchrun's variables set).
int launch_workers(const TrainFlags& flags, const nlohmann::json& config) {
  if (s2s::world_from_environment().distributed()) {
    throw s2s::UsageError("--nproc starts its own workers; it cannot run inside a torchrun-style launch (WORLD_SIZE is set)");
  }
  s2s::check_run_directory_for_training(flags.out, flags.resume);
  s2s::LocalLaunch launch;
  launch.nproc = flags.nproc;
  launch.timeout_seconds = config["train"]["distributed_timeout_seconds"].get<double>();
  // train.threads 0 (all cores) means the cores shared out among the workers.
  const int threads = s2s::threads_per_worker(config["train"]["threads"].get<int>(), flags.nproc);
  launch.threads_per_worker = threads;
  auto& args = launch.arguments;
  args = {"train", "--out", flags.out};
  if (!flags.config_path.empty()) args.insert(args.end(), {"--config", flags.config_path});
  for (const auto& o : flags.overrides) args.insert(args.end(), {"--set", o});
  args.insert(args.end(), {"--set", "train.threads=" + std::to_string(threads)});
  if (!flags.device.empty()) args.insert(args.end(), {"--device", flags.device});
  if (flags.resume) args.push_back("--resume");
  if (!flags.init_from.empty()) args.insert(args.end(), {"--init-from", flags.init_from});
  return s2s::launch_local_workers(launch);
}

s2s::app::CommandRegistration registration("train", [](CLI::App* cmd) {
  auto flags = std::make_shared<TrainFlags>();
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
  cmd->add_option("--nproc", flags->nproc,
                  "Data-parallel training in N local processes (c10d/Gloo); across machines, launch one "
                  "process per rank with torchrun's RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT instead")
      ->check(CLI::Range(1, 256));
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
    if (flags->nproc > 1) {
      const int code = launch_workers(*flags, config);
      if (code != 0) std::exit(code);
      return;
    }
    s2s::TrainOptions options;
    options.config = config;
    options.run_dir = flags->out;
    options.resume = flags->resume;
    options.init_from = flags->init_from;
    options.world = s2s::world_from_environment();
    auto summary = s2s::train_model(options);
    if (options.world.is_main()) std::cout << summary.to_json().dump(2) << "\n";
  });
});

}  // namespace
