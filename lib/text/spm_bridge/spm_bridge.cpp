// The SentencePiece bridge: the only code in the project that links
// SentencePiece. See spm_bridge.h for why its interface is plain C.
#include "spm_bridge.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstring>
#include <string>
#include <vector>

struct s2s_spm_processor {
  sentencepiece::SentencePieceProcessor processor;
  std::string serialized;
};

namespace {

thread_local std::string last_error;

int fail(const std::string& message) {
  last_error = message;
  return 1;
}

// Copies `value` out with the size protocol of spm_bridge.h.
int copy_out(const std::string& value, char* data, size_t capacity, size_t* size) {
  *size = value.size();
  if (capacity >= value.size() && data != nullptr) std::memcpy(data, value.data(), value.size());
  return 0;
}

}  // namespace

#define S2S_EXPORT __attribute__((visibility("default")))

extern "C" {

S2S_EXPORT const char* s2s_spm_last_error(void) { return last_error.c_str(); }

S2S_EXPORT int s2s_spm_train(const char* flags) {
  try {
    auto status = sentencepiece::SentencePieceTrainer::Train(flags);
    if (!status.ok()) return fail(status.ToString());
    return 0;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

static int finish_load(s2s_spm_processor* processor, const sentencepiece::util::Status& status,
                       s2s_spm_processor** out) {
  if (!status.ok()) {
    std::string message = status.ToString();
    delete processor;
    return fail(message);
  }
  processor->serialized = processor->processor.serialized_model_proto();
  *out = processor;
  return 0;
}

S2S_EXPORT int s2s_spm_load_file(const char* path, s2s_spm_processor** out) {
  try {
    auto* processor = new s2s_spm_processor;
    return finish_load(processor, processor->processor.Load(path), out);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

S2S_EXPORT int s2s_spm_load_bytes(const char* data, size_t size, s2s_spm_processor** out) {
  try {
    auto* processor = new s2s_spm_processor;
    return finish_load(processor, processor->processor.LoadFromSerializedProto(std::string(data, size)), out);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

S2S_EXPORT void s2s_spm_free(s2s_spm_processor* processor) { delete processor; }

S2S_EXPORT int s2s_spm_vocab_size(const s2s_spm_processor* processor) {
  return processor->processor.GetPieceSize();
}

S2S_EXPORT int s2s_spm_encode(const s2s_spm_processor* processor, const char* text, size_t text_size,
                              int32_t* ids, size_t capacity, size_t* count) {
  try {
    std::vector<int> encoded;
    auto status = processor->processor.Encode(std::string(text, text_size), &encoded);
    if (!status.ok()) return fail(status.ToString());
    *count = encoded.size();
    if (capacity >= encoded.size() && ids != nullptr) {
      for (size_t i = 0; i < encoded.size(); ++i) ids[i] = encoded[i];
    }
    return 0;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

S2S_EXPORT void s2s_spm_set_random_seed(unsigned int seed) { sentencepiece::SetRandomGeneratorSeed(seed); }

static thread_local std::vector<int> last_sample;

S2S_EXPORT int s2s_spm_sample_encode(const s2s_spm_processor* processor, const char* text, size_t text_size,
                                     int nbest_size, float alpha, size_t* count) {
  try {
    last_sample.clear();
    auto status = processor->processor.SampleEncode(std::string(text, text_size), nbest_size, alpha, &last_sample);
    if (!status.ok()) return fail(status.ToString());
    *count = last_sample.size();
    return 0;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

S2S_EXPORT int s2s_spm_take_sample(int32_t* ids, size_t capacity) {
  if (capacity < last_sample.size()) return fail("the sample has more ids than the buffer holds");
  for (size_t i = 0; i < last_sample.size(); ++i) ids[i] = last_sample[i];
  // Released now: this thread-local's destructor never runs, since a thread started by the main
  // namespace's libc does not run the destructors registered with this namespace's libc.
  std::vector<int>().swap(last_sample);
  return 0;
}

S2S_EXPORT int s2s_spm_decode(const s2s_spm_processor* processor, const int32_t* ids, size_t count,
                              char* text, size_t capacity, size_t* size) {
  try {
    std::vector<int> input(ids, ids + count);
    std::string decoded;
    auto status = processor->processor.Decode(input, &decoded);
    if (!status.ok()) return fail(status.ToString());
    return copy_out(decoded, text, capacity, size);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

S2S_EXPORT int s2s_spm_id_to_piece(const s2s_spm_processor* processor, int32_t id,
                                   char* text, size_t capacity, size_t* size) {
  if (id < 0 || id >= processor->processor.GetPieceSize()) return fail("id out of range");
  return copy_out(processor->processor.IdToPiece(id), text, capacity, size);
}

S2S_EXPORT int s2s_spm_serialize(const s2s_spm_processor* processor, char* data, size_t capacity,
                                 size_t* size) {
  return copy_out(processor->serialized, data, capacity, size);
}

}  // extern "C"
