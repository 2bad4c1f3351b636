// `s2s-engine`: every s2s command. Users run `s2s` (app/launcher.cpp), which
// answers --version, --help and `bleu` without loading LibTorch and hands everything
// else to this program with exec, so the process, its pid and exit status stay
// the same. Subcommands live in app/cmd_*.cpp and register themselves.
//
// An exception from inside LibTorch or the JSON library, which only a missing
// check of ours lets through, is cut to its first line; `--debug` (or
// S2S_DEBUG=1) prints it whole, with LibTorch's stack trace.
#include <c10/util/Exception.h>

#include "cli_runner.h"
#include "util/error.h"
#include "util/memory_reuse.h"
#include "util/openmp_wait.h"

namespace {

std::string internal_error_text(const std::exception& error, bool debug) {
  if (debug) return error.what();
  if (const auto* torch_error = dynamic_cast<const c10::Error*>(&error)) {
    return "LibTorch refused an operation: " + s2s::first_line(torch_error->what_without_backtrace()) +
           " (an input check is missing; run with --debug for the stack trace)";
  }
  return s2s::first_line(error.what());
}

}  // namespace

int main(int argc, char** argv) {
  // A no-op when started by the launcher, which set the environment already.
  s2s::ensure_passive_openmp_wait(argv);
  s2s::keep_freed_memory_for_reuse();
  return s2s::app::run_commands(argc, argv, internal_error_text);
}
