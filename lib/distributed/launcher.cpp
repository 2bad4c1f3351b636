#include "distributed/launcher.h"

#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "util/error.h"

namespace s2s {

namespace {

volatile sig_atomic_t forwarded_signal = 0;
extern "C" void remember_signal(int signal) { forwarded_signal = signal; }

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) {
    const int signal = WTERMSIG(status);
    return std::string("was killed by signal ") + std::to_string(signal) + " (" + ::strsignal(signal) + ")";
  }
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

}  // namespace

int free_local_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw Error(std::string("cannot open a socket to find a free port: ") + ::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw Error(std::string("cannot find a free port on 127.0.0.1: ") + ::strerror(errno));
  }
  const int port = ntohs(address.sin_port);
  ::close(fd);
  return port;
}

int threads_per_worker(int configured, int nproc) {
  if (configured > 0) return configured;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / std::max(1, nproc));
}

int launch_local_workers(const LocalLaunch& launch) {
  const int port = free_local_port();
  std::vector<pid_t> workers(launch.nproc, -1);
  std::vector<bool> running(launch.nproc, false);

  struct sigaction forward {};
  forward.sa_handler = remember_signal;  // no SA_RESTART: waitpid returns to pass it on
  sigemptyset(&forward.sa_mask);
  struct sigaction previous_int {}, previous_term {};
  ::sigaction(SIGINT, &forward, &previous_int);
  ::sigaction(SIGTERM, &forward, &previous_term);

  std::vector<std::string> argv_text;
  argv_text.push_back("s2s");
  argv_text.insert(argv_text.end(), launch.arguments.begin(), launch.arguments.end());
  std::vector<char*> argv;
  for (auto& text : argv_text) argv.push_back(text.data());
  argv.push_back(nullptr);

  for (int rank = 0; rank < launch.nproc; ++rank) {
    const pid_t pid = ::fork();
    if (pid < 0) {
      for (int r = 0; r < rank; ++r) ::kill(workers[r], SIGKILL);
      throw Error(std::string("cannot start worker processes: ") + ::strerror(errno));
    }
    if (pid == 0) {
      ::signal(SIGINT, SIG_DFL);
      ::signal(SIGTERM, SIG_DFL);
      ::setenv("RANK", std::to_string(rank).c_str(), 1);
      ::setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
      ::setenv("WORLD_SIZE", std::to_string(launch.nproc).c_str(), 1);
      ::setenv("LOCAL_WORLD_SIZE", std::to_string(launch.nproc).c_str(), 1);
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      ::setenv("OMP_NUM_THREADS", std::to_string(launch.threads_per_worker).c_str(), 1);
      ::setenv("OPENBLAS_NUM_THREADS", std::to_string(launch.threads_per_worker).c_str(), 1);
      ::unsetenv("TORCHELASTIC_USE_AGENT_STORE");
      ::execv("/proc/self/exe", argv.data());
      std::cerr << "s2s: error: cannot start worker rank " << rank << ": " << ::strerror(errno) << "\n";
      ::_exit(1);
    }
    workers[rank] = pid;
    running[rank] = true;
  }

  int exit_code = 0, remaining = launch.nproc;
  bool failed = false;
  auto deadline = std::chrono::steady_clock::time_point::max();
  while (remaining > 0) {
    if (forwarded_signal != 0) {
      for (int r = 0; r < launch.nproc; ++r) {
        if (running[r]) ::kill(workers[r], SIGTERM);
      }
      forwarded_signal = 0;
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, failed ? WNOHANG : 0);
    if (pid < 0 && errno == EINTR) continue;
    if (pid < 0) break;
    if (pid == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        for (int r = 0; r < launch.nproc; ++r) {
          if (!running[r]) continue;
          std::cerr << "s2s: error: worker rank " << r << " did not stop within " << launch.timeout_seconds
                    << " s of the failure; killing it\n";
          ::kill(workers[r], SIGKILL);
        }
        deadline = std::chrono::steady_clock::time_point::max();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    int rank = -1;
    for (int r = 0; r < launch.nproc; ++r) {
      if (workers[r] == pid) rank = r;
    }
    if (rank < 0) continue;
    running[rank] = false;
    --remaining;
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok && !failed) {
      failed = true;
      exit_code = WIFEXITED(status) && WEXITSTATUS(status) == 2 ? 2 : 1;
      std::cerr << "s2s: error: worker rank " << rank << " (pid " << pid << ") " << describe_status(status)
                << (remaining > 0 ? "; waiting for the other workers to stop" : "") << "\n";
      deadline = std::chrono::steady_clock::now() +
                 std::chrono::milliseconds(static_cast<int64_t>((launch.timeout_seconds + 30) * 1000));
    }
  }
  ::sigaction(SIGINT, &previous_int, nullptr);
  ::sigaction(SIGTERM, &previous_term, nullptr);
  return exit_code;
}

}  // namespace s2s
