#pragma once
// Every s2s subcommand and its one-line summary, in the order `s2s --help`
// lists them. Both programs read this table: s2s-engine, which links every
// command, and the launcher, which links only `bleu` but answers `s2s --help`
// itself (without loading LibTorch) from the same names and summaries.
#include <vector>

namespace s2s::app {

struct CommandSummary {
  const char* name;
  const char* summary;
};

const std::vector<CommandSummary>& command_list();

}  // namespace s2s::app
