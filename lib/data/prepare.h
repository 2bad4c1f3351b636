#pragma once
// `s2s prepare`: turns raw parallel text into a ready-to-train corpus directory.
//
// The directory layout is fixed (training, evaluation and export depend on it):
//
//   DIR/train.src DIR/train.trg    cleaned, filtered training pairs
//   DIR/dev.src   DIR/dev.trg      cleaned dev pairs (only empty pairs dropped)
//   DIR/test.src  DIR/test.trg     cleaned test pairs (only empty pairs dropped)
//   DIR/spm.model                  joint SentencePiece model (default), or
//   DIR/spm.src.model DIR/spm.trg.model   separate models (--separate-vocab)
//   DIR/stats.json                 counts per split and rule, length histograms,
//                                  vocabulary settings and sizes, the inputs
//   DIR/prepare.json               the resolved settings and input fingerprints
//   DIR/raw/                       only with --bible: the extracted Bible corpus
//
// "Cleaned" means: validated UTF-8, trailing "\r" removed, surrounding
// whitespace trimmed and inner runs of whitespace collapsed to one space.
//
// The directory is built as DIR.tmp and renamed to DIR only when complete, so an
// interrupted run never leaves a DIR that looks finished. A DIR whose
// prepare.json matches the new settings and inputs is left alone (idempotent)
// unless `force` is set.
#include <cstdint>
#include <iosfwd>
#include <string>

#include <nlohmann/json.hpp>

#include "data/corpus.h"

namespace s2s {

// Where one split comes from: two files, one TSV file, or (dev/test only)
// `carve` pairs taken out of the training corpus.
struct SplitInput {
  std::string source_path, target_path;  // two line-aligned files
  std::string tsv_path;                  // or one TSV file (columns from PrepareOptions)
  std::size_t carve = 0;                 // or N pairs carved from train (dev/test only)
  bool given() const { return !source_path.empty() || !target_path.empty() || !tsv_path.empty(); }
};

struct PrepareOptions {
  std::string out_dir;
  SplitInput train, dev, test;
  int source_column = 0;  // for TSV inputs, 0-based
  int target_column = 1;
  uint64_t seed = 1;      // for carving dev/test and for SentencePiece
  CorpusFilter filter;    // applied to train only; dev/test drop empty pairs only

  // SentencePiece
  int vocab_size = 8000;
  std::string model_type = "unigram";  // unigram | bpe
  bool separate_vocab = false;
  double character_coverage = 1.0;
  int threads = 2;
  // Reuse the tokenizer of this directory (a corpus or training directory with
  // spm.model, or spm.src.model + spm.trg.model) instead of training one, so a
  // run can be fine-tuned on the new corpus (s2s train --init-from).
  std::string tokenizer_from;

  // Build the corpus from the Debian SWORD Bible packages: runs `bible_script OUT`
  // into DIR/raw and uses its train/dev/test splits, Spanish -> English.
  bool bible = false;
  std::string bible_script;  // default: <source tree>/data/bible/extract_bible.sh

  bool force = false;
};

struct PrepareResult {
  bool skipped = false;   // DIR already held this exact preparation
  std::string out_dir;
  nlohmann::json stats;   // the content of stats.json
};

// The default location of the Bible extraction script in the source tree.
std::string default_bible_script();

// Checks the options for contradictions and missing inputs; throws s2s::Error
// with one sentence naming the offending flag. Called by prepare_corpus.
void validate_prepare_options(const PrepareOptions& options);

// The resolved settings as written to prepare.json (paths made absolute,
// input files fingerprinted when they exist).
nlohmann::json prepare_settings_json(const PrepareOptions& options);

// Runs the whole preparation. Progress goes to `log` when given.
PrepareResult prepare_corpus(const PrepareOptions& options, std::ostream* log = nullptr);

// Deterministically picks `count` distinct elements of `candidates`, in the
// order picked: the first `count` steps of a Fisher-Yates shuffle driven by
// std::mt19937_64(seed) (whose output the C++ standard fixes) with rejection
// sampling (no std::uniform_int_distribution, which varies between standard
// libraries). Same inputs, same result on every platform. Throws when
// `count` exceeds the number of candidates.
std::vector<std::size_t> pick_indices(std::vector<std::size_t> candidates, std::size_t count, uint64_t seed);

}  // namespace s2s
