#pragma once
// Each app/cmd_*.cpp registers its subcommand with a static CommandRegistration,
// so adding a subcommand never touches main.cpp.
#include <CLI/CLI.hpp>
#include <functional>
#include <vector>

namespace s2s::app {

using CommandSetup = std::function<void(CLI::App& root)>;

std::vector<CommandSetup>& command_setups();

struct CommandRegistration {
  explicit CommandRegistration(CommandSetup setup) { command_setups().push_back(std::move(setup)); }
};

}  // namespace s2s::app
