#pragma once
// Each app/cmd_*.cpp registers its subcommand with a static CommandRegistration
// under a name from command_list.h, so adding a subcommand never touches
// main.cpp. The runner (cli_runner.h) creates the subcommand with its summary
// and hands it to the setup, which adds the flags and the callback.
#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace s2s::app {

using CommandSetup = std::function<void(CLI::App* command)>;

struct RegisteredCommand {
  std::string name;
  CommandSetup setup;
};

std::vector<RegisteredCommand>& registered_commands();

struct CommandRegistration {
  CommandRegistration(std::string name, CommandSetup setup) {
    registered_commands().push_back({std::move(name), std::move(setup)});
  }
};

}  // namespace s2s::app
