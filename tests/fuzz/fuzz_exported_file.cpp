// libFuzzer harness: reading an exported .pt file (lib/export/exported_file.*)
// on arbitrary bytes. The first byte picks how the rest is used:
//   0: as the whole file (a zip archive as torch::jit::save writes it);
//   1: as the metadata.json of an otherwise valid export;
//   2: as the config.json of an otherwise valid export, with the rest of
//      the input split at its first NUL into config.json and spm.model.
// Modes 1 and 2 get past LibTorch's archive checks into ours. Any s2s::Error
// is an accepted outcome (a clean refusal); a crash, a hang or any other
// exception escaping read_exported_file is a bug.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include <torch/script.h>
#include <torch/torch.h>

#include "export/exported_file.h"
#include "util/error.h"

namespace {

// The smallest module with the methods read_exported_file asks for.
torch::jit::Module& seed_module() {
  static torch::jit::Module module = [] {
    torch::jit::Module m("s2s_fuzz_export");
    m.register_parameter("scale", torch::ones({2}), false);
    m.define(R"(
def encode(self, x: Tensor) -> Tensor:
    return x * self.scale

def start(self, x: Tensor) -> Tensor:
    return x

def step_attend(self, x: Tensor) -> Tensor:
    return x

def translate_scored(self, x: Tensor) -> Tensor:
    return x
)");
    return m;
  }();
  return module;
}

const std::string kMetadata = R"({"format": "s2s-export", "format_version": 3})";

// Writes `extra` beside the seed module into a memory file; returns its fd.
int saved_export(const torch::jit::ExtraFilesMap& extra) {
  const int fd = ::memfd_create("export", 0);
  seed_module().save("/proc/self/fd/" + std::to_string(fd), extra);
  return fd;
}

}  // namespace

// With S2S_FUZZ_WRITE_SEEDS=DIR the harness writes its seeds (a valid export
// in each of the three forms) into DIR and exits: the seeds are made by the
// code, not checked in.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  torch::set_num_threads(1);
  if (const char* dir = std::getenv("S2S_FUZZ_WRITE_SEEDS")) {
    const std::string config = R"({"model": {"architecture": "transformer"}, "data": {"dir": "corpus"}})";
    const int fd = saved_export({{"metadata.json", kMetadata}, {"config.json", config}, {"spm.model", "spm-bytes"}});
    std::ifstream in("/proc/self/fd/" + std::to_string(fd), std::ios::binary);
    const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(std::string(dir) + "/whole_file", std::ios::binary) << std::string(1, '\0') << file;
    std::ofstream(std::string(dir) + "/metadata", std::ios::binary) << std::string(1, '\1') << kMetadata;
    std::ofstream(std::string(dir) + "/config", std::ios::binary)
        << std::string(1, '\2') << config << std::string(1, '\0') << "spm-bytes";
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  int fd = -1;
  switch (data[0] % 3) {
    case 0:
      fd = ::memfd_create("export", 0);
      if (!rest.empty() && ::write(fd, rest.data(), rest.size()) != static_cast<ssize_t>(rest.size())) std::abort();
      break;
    case 1:
      fd = saved_export({{"metadata.json", rest}, {"spm.model", "spm-bytes"}});
      break;
    default: {
      const auto nul = rest.find('\0');
      fd = saved_export({{"metadata.json", kMetadata}, {"config.json", rest.substr(0, nul)},
                         {"spm.model", nul == std::string::npos ? std::string() : rest.substr(nul + 1)}});
    }
  }
  try {
    s2s::read_exported_file("/proc/self/fd/" + std::to_string(fd), torch::kCPU);
  } catch (const s2s::Error&) {
  }
  ::close(fd);
  return 0;
}
