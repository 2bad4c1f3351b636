#include "text/tokenizer.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <sstream>

#include "text/spm_bridge/spm_bridge.h"
#include "util/error.h"
#include "util/own_stack_thread.h"

namespace s2s {
namespace {

// The bridge's functions, resolved once from its own link namespace.
struct Bridge {
  decltype(&s2s_spm_last_error) last_error;
  decltype(&s2s_spm_train) train;
  decltype(&s2s_spm_load_file) load_file;
  decltype(&s2s_spm_load_bytes) load_bytes;
  decltype(&s2s_spm_free) free;
  decltype(&s2s_spm_vocab_size) vocab_size;
  decltype(&s2s_spm_encode) encode;
  decltype(&s2s_spm_decode) decode;
  decltype(&s2s_spm_set_random_seed) set_random_seed;
  decltype(&s2s_spm_sample_encode) sample_encode;
  decltype(&s2s_spm_take_sample) take_sample;
  decltype(&s2s_spm_id_to_piece) id_to_piece;
  decltype(&s2s_spm_serialize) serialize;
};

std::string executable_dir() {
  char buffer[4096];
  ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  if (n <= 0) return ".";
  std::string path(buffer, n);
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::vector<std::string> bridge_candidates() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("S2S_SPM_BRIDGE")) candidates.emplace_back(env);
  const std::string dir = executable_dir();
  candidates.push_back(dir + "/libs2s_spm_bridge.so");
  candidates.push_back(dir + "/../lib/libs2s_spm_bridge.so");
  candidates.emplace_back(S2S_BUILD_SPM_BRIDGE);
  return candidates;
}

template <typename Fn>
void resolve(void* library, const char* name, Fn& fn) {
  fn = reinterpret_cast<Fn>(::dlsym(library, name));
  if (fn == nullptr) throw Error(std::string("the SentencePiece bridge lacks symbol ") + name);
}

const Bridge& bridge() {
  static Bridge loaded;
  static std::once_flag once;
  std::call_once(once, [] {
    void* library = nullptr;
    std::string errors;
    for (const auto& path : bridge_candidates()) {
      if (::access(path.c_str(), R_OK) != 0) continue;
      // A fresh link namespace: SentencePiece's protobuf copy never meets LibTorch's.
      library = ::dlmopen(LM_ID_NEWLM, path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (library != nullptr) break;
      errors += std::string(" ") + ::dlerror();
    }
    if (library == nullptr) {
      throw Error("cannot load the SentencePiece bridge libs2s_spm_bridge.so (set S2S_SPM_BRIDGE to its path)" +
                  errors);
    }
    resolve(library, "s2s_spm_last_error", loaded.last_error);
    resolve(library, "s2s_spm_train", loaded.train);
    resolve(library, "s2s_spm_load_file", loaded.load_file);
    resolve(library, "s2s_spm_load_bytes", loaded.load_bytes);
    resolve(library, "s2s_spm_free", loaded.free);
    resolve(library, "s2s_spm_vocab_size", loaded.vocab_size);
    resolve(library, "s2s_spm_encode", loaded.encode);
    resolve(library, "s2s_spm_decode", loaded.decode);
    resolve(library, "s2s_spm_set_random_seed", loaded.set_random_seed);
    resolve(library, "s2s_spm_sample_encode", loaded.sample_encode);
    resolve(library, "s2s_spm_take_sample", loaded.take_sample);
    resolve(library, "s2s_spm_id_to_piece", loaded.id_to_piece);
    resolve(library, "s2s_spm_serialize", loaded.serialize);
  });
  return loaded;
}

void check(int status, const std::string& what) {
  if (status != 0) throw Error(what + ": " + bridge().last_error());
}

// Reads a variable-size buffer through the bridge's two-call size protocol.
template <typename Call>
std::string read_buffer(Call call, const std::string& what) {
  size_t size = 0;
  check(call(nullptr, 0, &size), what);
  std::string out(size, '\0');
  if (size > 0) check(call(out.data(), out.size(), &size), what);
  return out;
}

}  // namespace

struct Tokenizer::Handle {
  s2s_spm_processor* processor = nullptr;
  std::string serialized;
  ~Handle() {
    if (processor != nullptr) bridge().free(processor);
  }
};

Tokenizer::Tokenizer(std::unique_ptr<Handle> handle) : handle_(std::move(handle)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

static Tokenizer::Handle* finish(std::unique_ptr<Tokenizer::Handle>& handle) {
  handle->serialized = read_buffer(
      [&](char* data, size_t capacity, size_t* size) {
        return bridge().serialize(handle->processor, data, capacity, size);
      },
      "cannot serialize the SentencePiece model");
  return handle.get();
}

Tokenizer Tokenizer::load(const std::string& model_path) {
  if (::access(model_path.c_str(), R_OK) != 0) throw Error("cannot read SentencePiece model " + model_path);
  auto handle = std::make_unique<Handle>();
  check(bridge().load_file(model_path.c_str(), &handle->processor),
        "cannot load SentencePiece model " + model_path);
  finish(handle);
  return Tokenizer(std::move(handle));
}

Tokenizer Tokenizer::from_serialized(const std::string& model_bytes) {
  auto handle = std::make_unique<Handle>();
  check(bridge().load_bytes(model_bytes.data(), model_bytes.size(), &handle->processor),
        "cannot load an embedded SentencePiece model");
  finish(handle);
  return Tokenizer(std::move(handle));
}

void Tokenizer::train(const SentencePieceTrainOptions& options) {
  if (options.input_files.empty()) throw Error("SentencePiece training needs at least one input file");
  std::ostringstream flags;
  flags << "--input=";
  for (size_t i = 0; i < options.input_files.size(); ++i) flags << (i ? "," : "") << options.input_files[i];
  flags << " --model_prefix=" << options.model_prefix << " --vocab_size=" << options.vocab_size
        << " --model_type=" << options.model_type << " --character_coverage=" << options.character_coverage
        << " --pad_id=" << SpecialIds::pad << " --unk_id=" << SpecialIds::unk << " --bos_id=" << SpecialIds::bos
        << " --eos_id=" << SpecialIds::eos << " --max_sentence_length=" << options.max_sentence_length
        << " --num_threads=" << options.threads << " --minloglevel=2 --hard_vocab_limit=false";
  if (options.input_sentence_size > 0) {
    flags << " --input_sentence_size=" << options.input_sentence_size << " --shuffle_input_sentence=true";
  }
  (void)options.seed;  // SentencePiece 0.1.97 seeds its sampler internally; training is deterministic for fixed input.
  check(bridge().train(flags.str().c_str()), "SentencePiece training failed for " + options.model_prefix);
}

std::vector<int> Tokenizer::encode(const std::string& text) const {
  size_t count = 0;
  check(bridge().encode(handle_->processor, text.data(), text.size(), nullptr, 0, &count), "cannot encode text");
  std::vector<int32_t> ids(count);
  if (count > 0) {
    check(bridge().encode(handle_->processor, text.data(), text.size(), ids.data(), ids.size(), &count),
          "cannot encode text");
  }
  return std::vector<int>(ids.begin(), ids.end());
}

std::vector<std::vector<int>> Tokenizer::sample_encode_lines(const std::vector<std::string>& lines, int nbest,
                                                             double alpha, uint32_t seed) const {
  std::vector<std::vector<int>> out(lines.size());
  std::string error;
  // SentencePiece treats seed 0xFFFFFFFF as "unseeded" (random): keep clear of it.
  const uint32_t usable_seed = seed == 0xFFFFFFFFu ? 0u : seed;
  // A fresh thread per call: SentencePiece reads its (global) seed at a thread's first draw. Its
  // stack is our own, so the thread-locals it leaves never reach glibc's stack cache (see
  // util/own_stack_thread.h).
  run_on_own_stack_thread([&] {
    // One sampler thread at a time, since the seed is global.
    static std::mutex seeding;
    std::lock_guard<std::mutex> lock(seeding);
    bridge().set_random_seed(usable_seed);
    for (size_t i = 0; i < lines.size(); ++i) {
      size_t count = 0;
      if (bridge().sample_encode(handle_->processor, lines[i].data(), lines[i].size(), nbest, static_cast<float>(alpha),
                                 &count) != 0) {
        error = bridge().last_error();
        return;
      }
      std::vector<int32_t> ids(count);
      if (bridge().take_sample(ids.data(), ids.size()) != 0) {
        error = bridge().last_error();
        return;
      }
      out[i].assign(ids.begin(), ids.end());
    }
  });
  if (!error.empty()) throw Error("cannot sample a segmentation: " + error);
  return out;
}

std::string Tokenizer::decode(const std::vector<int>& ids) const {
  std::vector<int32_t> input(ids.begin(), ids.end());
  return read_buffer(
      [&](char* data, size_t capacity, size_t* size) {
        return bridge().decode(handle_->processor, input.data(), input.size(), data, capacity, size);
      },
      "cannot decode ids");
}

std::string Tokenizer::id_to_piece(int id) const {
  return read_buffer(
      [&](char* data, size_t capacity, size_t* size) {
        return bridge().id_to_piece(handle_->processor, id, data, capacity, size);
      },
      "cannot look up piece " + std::to_string(id));
}

std::vector<std::string> Tokenizer::encode_pieces(const std::string& text) const {
  std::vector<std::string> pieces;
  for (int id : encode(text)) pieces.push_back(id_to_piece(id));
  return pieces;
}

int Tokenizer::vocab_size() const { return bridge().vocab_size(handle_->processor); }

const std::string& Tokenizer::serialized() const { return handle_->serialized; }

}  // namespace s2s
