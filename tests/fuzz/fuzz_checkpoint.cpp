// libFuzzer harness: the checkpoint loader (lib/run/checkpoint.*) on arbitrary
// bytes, into a small module. The first byte picks how the rest is used:
//   even: as the whole file (header, checksum, size and payload all fuzzed);
//   odd:  as the payload behind a valid header and checksum, so the fuzzer gets
//         past our checks into LibTorch's archive reader and our shape checks.
// Any s2s::Error is an accepted outcome (a clean refusal); a crash, a hang or
// any other exception escaping load_checkpoint is a bug.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include <torch/torch.h>

#include "run/checkpoint.h"
#include "util/error.h"
#include "util/fingerprint.h"

namespace {

struct Tiny : torch::nn::Module {
  Tiny() {
    linear = register_module("linear", torch::nn::Linear(4, 3));
    embedding = register_module("embedding", torch::nn::Embedding(5, 4));
  }
  torch::nn::Linear linear{nullptr};
  torch::nn::Embedding embedding{nullptr};
};

std::string with_valid_header(const uint8_t* data, size_t size) {
  const std::string payload(reinterpret_cast<const char*>(data), size);
  const uint64_t checksum = s2s::fingerprint(payload), length = payload.size();
  std::string file = "S2SCKPT1";
  file.append(reinterpret_cast<const char*>(&checksum), 8);
  file.append(reinterpret_cast<const char*>(&length), 8);
  return file + payload;
}

}  // namespace

// With S2S_FUZZ_WRITE_SEEDS=DIR the harness writes its seeds (a real checkpoint
// of the module, in both forms) into DIR and exits: the seed corpus is made by
// the code, not checked in.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  torch::set_num_threads(1);
  if (const char* dir = std::getenv("S2S_FUZZ_WRITE_SEEDS")) {
    Tiny model;
    s2s::CheckpointContents contents;
    contents.model = &model;
    contents.trainer_state = {{"step", 3}, {"epoch", 0}};
    const std::string path = std::string(dir) + "/checkpoint.pt";
    s2s::save_checkpoint(path, contents);
    std::ifstream in(path, std::ios::binary);
    const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(std::string(dir) + "/whole_file", std::ios::binary) << std::string(1, '\0') << file;
    std::ofstream(std::string(dir) + "/payload", std::ios::binary) << std::string(1, '\1') << file.substr(24);
    std::remove(path.c_str());
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string bytes = (data[0] & 1) ? with_valid_header(data + 1, size - 1)
                                          : std::string(reinterpret_cast<const char*>(data + 1), size - 1);
  const int fd = ::memfd_create("checkpoint", 0);
  if (!bytes.empty() && ::write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) std::abort();
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  Tiny model;
  s2s::CheckpointContents contents;
  contents.model = &model;
  try {
    s2s::load_checkpoint(path, contents);
  } catch (const s2s::Error&) {
  }
  try {
    s2s::read_checkpoint_state(path);
  } catch (const s2s::Error&) {
  }
  ::close(fd);
  return 0;
}
