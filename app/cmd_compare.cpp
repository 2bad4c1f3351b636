// `s2s compare`: the head-to-head experiment (the README's main command), from an
// experiment file or, for a user's own corpus, from the corpus files alone.
#include <iostream>

#include "command_registry.h"
#include "compare/experiment.h"
#include "compare/experiment_setup.h"

namespace {

struct CompareFlags {
  s2s::CompareOptions options;
  s2s::OwnCorpus corpus;
  std::vector<int64_t> seeds;
  bool print_config = false;
  std::string device;
};

void check_usage(const CompareFlags& flags) {
  auto usage = [](const std::string& message) { throw CLI::ValidationError(message); };
  const s2s::OwnCorpus& c = flags.corpus;
  const bool own_files = !c.train_src.empty() || !c.train_trg.empty();
  const int sources = (!flags.options.config_path.empty()) + own_files + !c.corpus_dir.empty();
  if (sources != 1)
    usage("give exactly one of --config FILE, --train-src/--train-trg (your own corpus) or --corpus DIR (a prepared one)");
  if (own_files && (c.train_src.empty() || c.train_trg.empty())) usage("--train-src and --train-trg go together");
  if (c.dev_src.empty() != c.dev_trg.empty()) usage("--dev-src and --dev-trg go together");
  if (c.test_src.empty() != c.test_trg.empty()) usage("--test-src and --test-trg go together");
  if (!own_files && (!c.dev_src.empty() || !c.test_src.empty()))
    usage("--dev-* and --test-* belong to --train-src/--train-trg");
  if (c.budget_minutes < 0) usage("--budget-minutes must be positive");
  if (!flags.options.config_path.empty() && c.budget_minutes > 0)
    usage("--budget-minutes is for a corpus without an experiment file; use --set budget.max_minutes=M with --config");
  if (!flags.print_config && flags.options.out_dir.empty()) usage("--out DIR is required (unless --print-config)");
}

std::string quoted_flag(const std::string& flag, const std::string& value) {
  return value.empty() ? "" : " " + flag + " " + value;
}

s2s::app::CommandRegistration registration("compare", [](CLI::App* cmd) {
  auto flags = std::make_shared<CompareFlags>();
  s2s::CompareOptions& options = flags->options;
  s2s::OwnCorpus& corpus = flags->corpus;
  cmd->add_option("--config", options.config_path, "Experiment JSON (e.g. models/compare-demo.json)");
  cmd->add_option("--train-src", corpus.train_src, "Your own corpus: training source file (one sentence a line)");
  cmd->add_option("--train-trg", corpus.train_trg, "... and its line-aligned target file");
  cmd->add_option("--dev-src", corpus.dev_src, "Dev source (default: carved from train)");
  cmd->add_option("--dev-trg", corpus.dev_trg, "Dev target");
  cmd->add_option("--test-src", corpus.test_src, "Test source (default: carved from train)");
  cmd->add_option("--test-trg", corpus.test_trg, "Test target");
  cmd->add_option("--corpus", corpus.corpus_dir, "A corpus prepared by `s2s prepare --out DIR`");
  cmd->add_option("--budget-minutes", corpus.budget_minutes,
                  "Training minutes per model for --train-src/--corpus (default: the demo's)");
  cmd->add_flag("--print-config", flags->print_config,
                "Print the experiment that would run (save it, edit it, run it with --config) and stop");
  cmd->add_option("--set", options.overrides, "Override an experiment key: --set budget.max_minutes=2");
  cmd->add_option("--seeds", flags->seeds, "Train every model once per seed (e.g. 1,2,3) and report mean ± sd")
      ->delimiter(',');
  cmd->add_option("--out", options.out_dir, "Output directory (models/, outputs/, results.json, report.html, report.md)");
  cmd->add_option("--device", flags->device, "cpu or cuda: where the models train, decode and are timed (experiment key device)")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  cmd->callback([flags] {
    if (!flags->device.empty()) flags->options.overrides.push_back("device=\"" + flags->device + "\"");
    check_usage(*flags);
    s2s::CompareOptions& options = flags->options;
    const s2s::OwnCorpus& c = flags->corpus;
    if (options.config_path.empty()) {
      options.experiment = s2s::experiment_for_corpus(c);
      options.command_line = "s2s compare" + quoted_flag("--train-src", c.train_src) +
                             quoted_flag("--train-trg", c.train_trg) + quoted_flag("--dev-src", c.dev_src) +
                             quoted_flag("--dev-trg", c.dev_trg) + quoted_flag("--test-src", c.test_src) +
                             quoted_flag("--test-trg", c.test_trg) + quoted_flag("--corpus", c.corpus_dir) +
                             (c.budget_minutes > 0 ? " --budget-minutes " + std::to_string(c.budget_minutes) : "");
    } else {
      options.command_line = "s2s compare --config " + options.config_path;
    }
    options.command_line += " --out " + options.out_dir;
    for (const auto& o : options.overrides) options.command_line += " --set " + o;
    if (!flags->seeds.empty()) {
      std::string list;
      for (int64_t seed : flags->seeds) list += (list.empty() ? "" : ",") + std::to_string(seed);
      options.overrides.push_back("seeds=[" + list + "]");
      options.command_line += " --seeds " + list;
    }
    if (flags->print_config) {
      std::cout << s2s::resolved_experiment(options).dump(2) << "\n";
      return;
    }
    s2s::run_comparison(options);
    std::cout << "report: " << options.out_dir << "/report.html (and report.md, results.json)\n";
  });
});

}  // namespace
