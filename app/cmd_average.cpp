// `s2s average`: the parameter average of a run's last N kept checkpoints
// (train.keep_last), written as a checkpoint that translate, evaluate and
// export read with --checkpoint avg.
#include <iostream>

#include "command_registry.h"
#include "run/checkpoint.h"
#include "run/checkpoint_average.h"
#include "translate/translator.h"
#include "util/error.h"

namespace {

struct AverageFlags {
  std::string model;
  int last = 5;
  std::string out;
};

s2s::app::CommandRegistration registration("average", [](CLI::App* cmd) {
  auto flags = std::make_shared<AverageFlags>();
  cmd->add_option("--model", flags->model, "Training directory (trained with train.keep_last >= N)")->required();
  cmd->add_option("--last", flags->last, "How many of the last kept checkpoints to average")->check(CLI::Range(1, 1000));
  cmd->add_option("--out", flags->out, "Output checkpoint (default: RUN/checkpoint_avg.pt)");
  cmd->callback([flags] {
    const std::string out = flags->out.empty() ? flags->model + "/checkpoint_avg.pt" : flags->out;
    auto bundle = s2s::load_averaged_bundle(flags->model, flags->last, torch::kCPU);
    nlohmann::json state = s2s::read_checkpoint_state(bundle.averaged_from.back());
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& kept : s2s::last_kept_checkpoints(flags->model, flags->last)) steps.push_back(kept.step);
    state["averaged_steps"] = steps;
    state["model_description"] = bundle.model->describe();
    s2s::CheckpointContents contents;
    contents.model = bundle.model.get();
    contents.trainer_state = state;
    s2s::save_checkpoint(out, contents);
    std::cerr << "averaged " << flags->last << " checkpoints (steps " << steps.front() << "–" << steps.back()
              << ") into " << out << "\n";
  });
});

}  // namespace
