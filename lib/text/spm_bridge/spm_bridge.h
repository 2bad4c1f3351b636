#pragma once
// C interface of the SentencePiece bridge library. Only plain C types cross it
// (ids, char buffers): the bridge lives in its own dlmopen() link namespace
// with its own C++ runtime state, so no std:: object or exception may pass.
// Every function returns 0 on success; on failure it returns non-zero and
// s2s_spm_last_error() describes the problem.
#include <stddef.h>
#include <stdint.h>

extern "C" {

typedef struct s2s_spm_processor s2s_spm_processor;

const char* s2s_spm_last_error(void);

// Trains a model. `flags` is SentencePiece's own "--key=value ..." flag string.
int s2s_spm_train(const char* flags);

int s2s_spm_load_file(const char* path, s2s_spm_processor** out);
int s2s_spm_load_bytes(const char* data, size_t size, s2s_spm_processor** out);
void s2s_spm_free(s2s_spm_processor* processor);

int s2s_spm_vocab_size(const s2s_spm_processor* processor);

// Encodes `text` into ids. Call with capacity 0 to learn the count (*count);
// when capacity >= *count the ids are written.
int s2s_spm_encode(const s2s_spm_processor* processor, const char* text, size_t text_size,
                   int32_t* ids, size_t capacity, size_t* count);

// Subword sampling (unigram: nbest_size -1 = every segmentation, else among the
// n best, smoothed by alpha; BPE: dropout probability alpha). The draws come from
// SentencePiece's per-thread generator, which a thread creates at its first draw
// from the seed set last by s2s_spm_set_random_seed.
void s2s_spm_set_random_seed(unsigned int seed);
// Samples a segmentation of `text`, keeps it for this thread and sets *count.
int s2s_spm_sample_encode(const s2s_spm_processor* processor, const char* text, size_t text_size,
                          int nbest_size, float alpha, size_t* count);
// Copies the ids of this thread's last sample (capacity >= its count).
int s2s_spm_take_sample(int32_t* ids, size_t capacity);

// Decodes ids into UTF-8 text with the same size protocol (no terminator).
int s2s_spm_decode(const s2s_spm_processor* processor, const int32_t* ids, size_t count,
                   char* text, size_t capacity, size_t* size);

// The piece of one id, same size protocol.
int s2s_spm_id_to_piece(const s2s_spm_processor* processor, int32_t id,
                        char* text, size_t capacity, size_t* size);

// The model's serialized bytes, same size protocol.
int s2s_spm_serialize(const s2s_spm_processor* processor, char* data, size_t capacity, size_t* size);
}
