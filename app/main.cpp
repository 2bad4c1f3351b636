// The `s2s` program: parses flags and hands each subcommand to lib/.
// Subcommands live in app/cmd_*.cpp and register themselves.
//
// Every failure ends here as one sentence on stderr: exit 1 for bad data
// (s2s::Error), 2 for bad usage (s2s::UsageError and the flag parser's own
// errors). An exception from inside LibTorch or the JSON library, which only
// a missing check of ours lets through, is cut to its first line; `--debug`
// (or S2S_DEBUG=1) prints it whole, with LibTorch's stack trace.
#include <c10/util/Exception.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <new>

#include "command_registry.h"
#include "util/error.h"
#include "util/openmp_wait.h"

namespace s2s::app {
std::vector<CommandSetup>& command_setups() {
  static std::vector<CommandSetup> setups;
  return setups;
}
}  // namespace s2s::app

namespace {


int fail(const std::string& message, int code) {
  // A rank of a data-parallel run says which one it is.
  const char* rank = std::getenv("RANK");
  const char* world = std::getenv("WORLD_SIZE");
  const bool ranked = rank && world && std::string(world) != "1" && std::string(world) != "0" &&
                      message.find("rank " + std::string(rank)) == std::string::npos;
  std::cerr << "s2s: error: " << (ranked ? "rank " + std::string(rank) + ": " : std::string()) << message << "\n";
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  s2s::ensure_passive_openmp_wait(argv);
  // A write past RLIMIT_FSIZE must fail as an error we report (the file named,
  // the previous version kept), not kill the process with SIGXFSZ.
  std::signal(SIGXFSZ, SIG_IGN);
  CLI::App root{"s2s: RNN seq2seq and Transformer translation, trained and measured side by side"};
  root.require_subcommand(1);
  root.fallthrough();
  root.set_version_flag("--version", std::string("s2s ") + S2S_VERSION);
  bool debug = std::getenv("S2S_DEBUG") != nullptr && std::string(std::getenv("S2S_DEBUG")) == "1";
  root.add_flag("--debug", debug, "On an internal error, print its full text (LibTorch's stack trace included)");
  for (auto& setup : s2s::app::command_setups()) setup(root);
  try {
    root.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return root.exit(e);  // --help, --version
    const std::string command = argc > 1 && argv[1][0] != '-' ? std::string(" ") + argv[1] : std::string();
    return fail(s2s::first_line(e.what()) + " (see s2s" + command + " --help)", 2);
  } catch (const s2s::UsageError& e) {
    return fail(e.what(), 2);
  } catch (const s2s::Error& e) {
    return fail(e.what(), 1);
  } catch (const c10::Error& e) {
    if (debug) return fail(e.what(), 1);
    return fail("LibTorch refused an operation: " + s2s::first_line(e.what_without_backtrace()) +
                    " (an input check is missing; run with --debug for the stack trace)",
                1);
  } catch (const std::bad_alloc&) {
    return fail("out of memory (the model, batch or input is too large for this machine)", 1);
  } catch (const std::exception& e) {
    return fail(debug ? std::string(e.what()) : s2s::first_line(e.what()), 1);
  }
  return 0;
}
