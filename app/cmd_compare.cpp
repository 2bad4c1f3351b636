// `s2s compare`: the head-to-head experiment (the README's main command).
#include <iostream>

#include "command_registry.h"
#include "compare/experiment.h"

namespace {

s2s::app::CommandRegistration registration([](CLI::App& root) {
  auto options = std::make_shared<s2s::CompareOptions>();
  auto* cmd = root.add_subcommand("compare", "Train every model of an experiment on the same data and budget, "
                                             "evaluate, benchmark and write the report");
  cmd->add_option("--config", options->config_path, "Experiment JSON (e.g. models/compare-demo.json)")->required();
  cmd->add_option("--set", options->overrides, "Override an experiment key: --set budget.max_minutes=2");
  auto seeds = std::make_shared<std::vector<int64_t>>();
  cmd->add_option("--seeds", *seeds, "Train every model once per seed (e.g. 1,2,3) and report mean ± sd")
      ->delimiter(',');
  cmd->add_option("--out", options->out_dir, "Output directory (models/, results.json, report.html, report.md)")->required();
  cmd->callback([options, seeds] {
    options->command_line = "s2s compare --config " + options->config_path + " --out " + options->out_dir;
    for (const auto& o : options->overrides) options->command_line += " --set " + o;
    if (!seeds->empty()) {
      std::string list;
      for (int64_t seed : *seeds) list += (list.empty() ? "" : ",") + std::to_string(seed);
      options->overrides.push_back("seeds=[" + list + "]");
      options->command_line += " --seeds " + list;
    }
    s2s::run_comparison(*options);
    std::cout << "report: " << options->out_dir << "/report.html (and report.md, results.json)\n";
  });
});

}  // namespace
