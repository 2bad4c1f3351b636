// The `s2s` program: parses flags and hands each subcommand to lib/.
// Subcommands live in app/cmd_*.cpp and register themselves.
#include <iostream>

#include "command_registry.h"
#include "util/error.h"
#include "util/openmp_wait.h"

namespace s2s::app {
std::vector<CommandSetup>& command_setups() {
  static std::vector<CommandSetup> setups;
  return setups;
}
}  // namespace s2s::app

int main(int argc, char** argv) {
  s2s::ensure_passive_openmp_wait(argv);
  CLI::App root{"s2s: RNN seq2seq and Transformer translation, trained and measured side by side"};
  root.require_subcommand(1);
  root.set_version_flag("--version", std::string("s2s ") + S2S_VERSION);
  for (auto& setup : s2s::app::command_setups()) setup(root);
  try {
    root.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return root.exit(e);
  } catch (const s2s::Error& e) {
    std::cerr << "s2s: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "s2s: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
