// `s2s`: the program users run. LibTorch's shared libraries take most of half
// a second to load and initialise, and the OpenMP wait policy (util/openmp_wait.h)
// has to be in the environment before they load, which used to cost a second
// start of the whole program. This launcher links no LibTorch: it sets that
// environment, answers `--version`, `--help` and `bleu` itself, and execs s2s-engine
// (beside it) for everything else: same pid, same arguments, same exit status.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "cli_runner.h"
#include "util/error.h"
#include "util/openmp_wait.h"

namespace {

// What this program answers itself: `bleu` (linked in), `--version`, and the
// top-level `--help`, which lists every command from app/command_list.h.
enum class Answer { engine, here, help_listing };

Answer who_answers(int argc, char** argv) {
  Answer answer = Answer::engine;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.empty() || arg[0] != '-') return arg == "bleu" ? Answer::here : Answer::engine;  // the subcommand
    if (arg == "--help" || arg == "-h") answer = Answer::help_listing;
    else if (arg == "--version") answer = answer == Answer::help_listing ? answer : Answer::here;
    else if (arg != "--debug") return Answer::engine;  // the unknown go to the engine, which reports them
  }
  return answer;
}

std::string engine_path() {
  char buffer[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  const std::string self = n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
  const auto slash = self.rfind('/');
  return (slash == std::string::npos ? std::string(".") : self.substr(0, slash)) + "/s2s-engine";
}

std::string plain_error_text(const std::exception& error, bool debug) {
  return debug ? std::string(error.what()) : s2s::first_line(error.what());
}

}  // namespace

int main(int argc, char** argv) {
  s2s::set_runtime_environment();
  switch (who_answers(argc, argv)) {
    case Answer::here: return s2s::app::run_commands(argc, argv, plain_error_text);
    case Answer::help_listing:
      return s2s::app::run_commands(argc, argv, plain_error_text, s2s::app::CommandListing::every_command);
    case Answer::engine: break;
  }
  const std::string engine = engine_path();
  ::execv(engine.c_str(), argv);
  return s2s::app::report_failure(
      "cannot start " + engine + ": " + std::strerror(errno) + " (s2s-engine is built and installed beside s2s)", 1);
}
