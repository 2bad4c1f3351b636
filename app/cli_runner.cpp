#include "cli_runner.h"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <new>
#include <stdexcept>

#include "command_list.h"
#include "command_registry.h"
#include "util/error.h"

namespace s2s::app {

std::vector<RegisteredCommand>& registered_commands() {
  static std::vector<RegisteredCommand> commands;
  return commands;
}

namespace {

// The subcommands of `root`, in command_list()'s order: those linked into this
// program with their flags, and, with `listing` every_command, the others by
// name and summary alone (for the top-level help). A registered command
// missing from the list is an error of ours, found by any test that runs s2s.
void add_commands(CLI::App& root, CommandListing listing) {
  const auto& list = command_list();
  for (const auto& registered : registered_commands()) {
    const bool listed = std::any_of(list.begin(), list.end(),
                                    [&](const CommandSummary& c) { return registered.name == c.name; });
    if (!listed) throw std::logic_error("command " + registered.name + " is missing from app/command_list.cpp");
  }
  for (const auto& command : list) {
    const auto registered = std::find_if(registered_commands().begin(), registered_commands().end(),
                                         [&](const RegisteredCommand& r) { return r.name == command.name; });
    if (registered == registered_commands().end() && listing == CommandListing::linked_only) continue;
    CLI::App* subcommand = root.add_subcommand(command.name, command.summary);
    if (registered != registered_commands().end()) registered->setup(subcommand);
  }
}

}  // namespace

int report_failure(const std::string& message, int code) {
  // A rank of a data-parallel run says which one it is.
  const char* rank = std::getenv("RANK");
  const char* world = std::getenv("WORLD_SIZE");
  const bool ranked = rank && world && std::string(world) != "1" && std::string(world) != "0" &&
                      message.find("rank " + std::string(rank)) == std::string::npos;
  std::cerr << "s2s: error: " << (ranked ? "rank " + std::string(rank) + ": " : std::string()) << message << "\n";
  return code;
}

int run_commands(int argc, char** argv, InternalErrorText internal_error_text, CommandListing listing) {
  // A write past RLIMIT_FSIZE must fail as an error we report (the file named,
  // the previous version kept), not kill the process with SIGXFSZ.
  std::signal(SIGXFSZ, SIG_IGN);
  CLI::App root{"s2s: RNN seq2seq and Transformer translation, trained and measured side by side"};
  root.require_subcommand(1);
  root.fallthrough();
  root.set_version_flag("--version", std::string("s2s ") + S2S_VERSION);
  bool debug = std::getenv("S2S_DEBUG") != nullptr && std::string(std::getenv("S2S_DEBUG")) == "1";
  root.add_flag("--debug", debug, "On an internal error, print its full text (LibTorch's stack trace included)");
  try {
    add_commands(root, listing);
    root.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return root.exit(e);  // --help, --version
    const std::string command = argc > 1 && argv[1][0] != '-' ? std::string(" ") + argv[1] : std::string();
    return report_failure(first_line(e.what()) + " (see s2s" + command + " --help)", 2);
  } catch (const UsageError& e) {
    return report_failure(e.what(), 2);
  } catch (const Error& e) {
    return report_failure(e.what(), 1);
  } catch (const std::bad_alloc&) {
    return report_failure("out of memory (the model, batch or input is too large for this machine)", 1);
  } catch (const std::exception& e) {
    return report_failure(internal_error_text(e, debug), 1);
  }
  return 0;
}

}  // namespace s2s::app
