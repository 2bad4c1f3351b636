#pragma once
// Subword tokenisation with SentencePiece, behind our own small interface.
//
// Why the indirection: Debian's SentencePiece carries its own protobuf copy that
// clashes with LibTorch's when both are linked into one executable. The real
// SentencePiece code lives in a bridge library (lib/text/spm_bridge/) that this
// class loads with dlmopen() into a separate link namespace. No other code in
// the project needs to know.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace s2s {

// Fixed id conventions shared by every model and tokenizer we train.
struct SpecialIds {
  static constexpr int pad = 0;
  static constexpr int unk = 1;
  static constexpr int bos = 2;
  static constexpr int eos = 3;
};

struct SentencePieceTrainOptions {
  std::vector<std::string> input_files;  // plain text, one sentence per line
  std::string model_prefix;              // writes <prefix>.model and <prefix>.vocab
  int vocab_size = 8000;
  std::string model_type = "unigram";    // unigram | bpe
  double character_coverage = 1.0;
  int64_t input_sentence_size = 0;       // 0 = use every line
  int max_sentence_length = 4192;        // in bytes
  uint64_t seed = 1;
  int threads = 2;
};

class Tokenizer {
 public:
  // Loads <path> (a SentencePiece .model file). Throws s2s::Error naming the file.
  static Tokenizer load(const std::string& model_path);
  // Loads a model from its serialized bytes (e.g. embedded in an export).
  static Tokenizer from_serialized(const std::string& model_bytes);
  // Trains a model; throws s2s::Error with SentencePiece's message on failure.
  static void train(const SentencePieceTrainOptions& options);

  std::vector<int> encode(const std::string& text) const;
  // Subword regularisation: one sampled segmentation of each line (unigram:
  // among the `nbest` best, -1 = all, smoothed by `alpha`; BPE: dropout
  // probability `alpha`). The same seed gives the same segmentations: the lines
  // are sampled in a thread of their own, whose SentencePiece generator starts
  // from `seed`.
  std::vector<std::vector<int>> sample_encode_lines(const std::vector<std::string>& lines, int nbest, double alpha,
                                                    uint32_t seed) const;
  std::string decode(const std::vector<int>& ids) const;
  // The pieces of `text` (for attention plots); same segmentation as encode.
  std::vector<std::string> encode_pieces(const std::string& text) const;
  std::string id_to_piece(int id) const;
  int vocab_size() const;
  // The model file's bytes, for embedding in checkpoints and exports.
  const std::string& serialized() const;

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  struct Handle;  // opaque: the bridge's processor

 private:
  explicit Tokenizer(std::unique_ptr<Handle> handle);
  std::unique_ptr<Handle> handle_;
};

}  // namespace s2s
