// The `s2s` launcher (app/launcher.cpp): --version, --help and `bleu` without
// LibTorch, every other command handed to s2s-engine unchanged.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "test_support.h"

using namespace s2s_test;

namespace {

const std::string kLauncher = S2S_BINARY;
const std::string kEngine = (std::filesystem::path(S2S_BINARY).parent_path() / "s2s-engine").string();

std::string shell_quoted(const std::string& path) { return "'" + path + "'"; }

}  // namespace

TEST_CASE("the launcher answers --version, --help and bleu without LibTorch, and hands every other command to s2s-engine",
          "[launcher]") {
  // What the dynamic linker loads for each program.
  const auto launcher_libraries = run_shell("ldd " + shell_quoted(kLauncher));
  REQUIRE(launcher_libraries.exit_code == 0);
  CHECK_THAT(launcher_libraries.output, !Catch::Contains("libtorch") && !Catch::Contains("libc10"));
  CHECK_THAT(run_shell("ldd " + shell_quoted(kEngine)).output, Catch::Contains("libtorch"));

  CHECK(run_shell(shell_quoted(kLauncher) + " --version").output == run_shell(shell_quoted(kEngine) + " --version").output);

  ScratchDir dir;
  const std::string hyp = dir.write("hyp.txt", "the cat sat on the mat\nhello there\n");
  const std::string ref = dir.write("ref.txt", "the cat sat on a mat\nhello there friend\n");
  const std::string bleu = " bleu --hyp " + hyp + " --ref " + ref;
  const auto here = run_shell(shell_quoted(kLauncher) + bleu), there = run_shell(shell_quoted(kEngine) + bleu);
  REQUIRE(here.exit_code == 0);
  CHECK(here.output == there.output);
  CHECK_THAT(here.output, Catch::Contains("BLEU"));
  // Bad usage of bleu ends the same way in both programs.
  const auto bad_here = run_shell(shell_quoted(kLauncher) + " bleu --hyp " + dir.file("missing.txt") + " --ref " + ref);
  const auto bad_there = run_shell(shell_quoted(kEngine) + " bleu --hyp " + dir.file("missing.txt") + " --ref " + ref);
  CHECK(bad_here.exit_code != 0);
  CHECK(bad_here.exit_code == bad_there.exit_code);
  CHECK(bad_here.output == bad_there.output);

  // The top-level help lists every command from app/command_list.cpp, word for
  // word as the engine does (whose usage line names its own program).
  const auto help = run_shell(shell_quoted(kLauncher) + " --help");
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.output, Catch::Contains("train") && Catch::Contains("translate") && Catch::Contains("bleu"));
  CHECK(help.output == run_shell(shell_quoted(kEngine) + " --help | sed 's|" + kEngine + "|" + kLauncher + "|'").output);

  // Everything else is the engine's: each command's options, its errors and exit codes.
  const auto train_help = run_shell(shell_quoted(kLauncher) + " train --help");
  CHECK(train_help.exit_code == 0);
  CHECK_THAT(train_help.output, Catch::Contains("--config"));
  const auto unknown = run_shell(shell_quoted(kLauncher) + " no-such-command");
  CHECK(unknown.exit_code == 2);
  const auto missing = run_shell(shell_quoted(kLauncher) + " train --config " + dir.file("missing.json") + " --out " +
                                 dir.file("run"));
  const auto missing_there = run_shell(shell_quoted(kEngine) + " train --config " + dir.file("missing.json") + " --out " +
                                       dir.file("run"));
  CHECK(missing.exit_code == 1);  // a config that cannot be read is bad data
  CHECK(missing.exit_code == missing_there.exit_code);
  CHECK(missing.output == missing_there.output);
  // exec, not a child: while the engine waits on a FIFO, the process the launcher
  // started as is s2s-engine (same pid: signals and exit statuses reach it directly).
  const auto same_pid = run_shell(
      "cd " + shell_quoted(dir.path) + " && mkfifo results.json && { sh -c 'echo $$ > pid; exec " + shell_quoted(kLauncher) +
      " report --results results.json --out report' & } && for i in $(seq 200); do [ -s pid ] && "
      "readlink /proc/$(cat pid)/exe | grep -q s2s-engine && break; sleep 0.05; done; "
      "readlink /proc/$(cat pid)/exe; echo '{}' > results.json; wait");
  CHECK_THAT(same_pid.output, Catch::Contains("/s2s-engine"));
}

TEST_CASE("a launcher without s2s-engine beside it says which file it needs", "[launcher]") {
  ScratchDir dir;
  REQUIRE(run_shell("cp " + shell_quoted(kLauncher) + " " + dir.file("s2s")).exit_code == 0);
  const auto alone = run_shell(shell_quoted(dir.file("s2s")) + " train --config x.json --out " + dir.file("run"));
  CHECK(alone.exit_code == 1);
  CHECK_THAT(alone.output, Catch::Contains(dir.file("s2s-engine")) && Catch::Contains("No such file"));
  CHECK_FALSE(std::filesystem::exists(dir.file("run")));
  CHECK(run_shell(shell_quoted(dir.file("s2s")) + " --version").exit_code == 0);
  CHECK(run_shell(shell_quoted(dir.file("s2s")) + " --help").exit_code == 0);
}
