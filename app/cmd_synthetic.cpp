// `s2s synthetic`: writes a synthetic task (copy, reverse, sort) as raw
// train/dev/test text, ready for `s2s prepare`.
#include <iostream>

#include "command_registry.h"
#include "data/synthetic.h"

namespace {

struct SyntheticFlags {
  s2s::SyntheticTask task;
  int64_t train = 5000, dev = 200, test = 200;
  std::string out;
};

s2s::app::CommandRegistration registration("synthetic", [](CLI::App* cmd) {
  auto flags = std::make_shared<SyntheticFlags>();
  cmd->add_option("--task", flags->task.task, "copy, reverse or sort")->check(CLI::IsMember({"copy", "reverse", "sort"}));
  cmd->add_option("--min-length", flags->task.min_length, "Shortest sequence (tokens)");
  cmd->add_option("--max-length", flags->task.max_length, "Longest sequence (tokens)");
  cmd->add_option("--symbols", flags->task.symbols, "Distinct tokens");
  cmd->add_option("--seed", flags->task.seed, "Random seed");
  cmd->add_option("--train", flags->train, "Training pairs");
  cmd->add_option("--dev", flags->dev, "Dev pairs");
  cmd->add_option("--test", flags->test, "Test pairs");
  cmd->add_option("--out", flags->out, "Output directory")->required();
  cmd->callback([flags] {
    s2s::write_synthetic_splits(flags->out, flags->task, flags->train, flags->dev, flags->test);
    std::cout << "wrote " << flags->out << "/{train,dev,test}.{src,trg}\n";
  });
});

}  // namespace
