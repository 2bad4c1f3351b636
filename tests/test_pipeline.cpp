// The shared data pipeline: token-budget batches, encoded-corpus cache and
// the SentencePiece tokenizer behind its bridge.
#include <catch2/catch.hpp>

#include <set>

#include "data/batching.h"
#include "data/corpus.h"
#include "data/dataset.h"
#include "test_support.h"
#include "text/tokenizer.h"
#include "util/error.h"

using namespace s2s_test;

namespace {

s2s::EncodedCorpus random_corpus(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  s2s::EncodedCorpus corpus;
  for (size_t i = 0; i < n; ++i) {
    corpus.source.emplace_back(1 + rng() % 40, 5);
    corpus.target.emplace_back(1 + rng() % 50, 6);
  }
  return corpus;
}

}  // namespace

TEST_CASE("batches never exceed the token budget and cover every pair exactly once per epoch", "[pipeline]") {
  auto corpus = random_corpus(1000, 1);
  s2s::BatchingOptions options;
  options.max_tokens = 300;
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    auto batches = s2s::make_batches(corpus, options, epoch);
    std::vector<int> seen(corpus.size(), 0);
    for (const auto& batch : batches) {
      REQUIRE(!batch.empty());
      auto collated = s2s::collate(corpus, batch);
      // The padded tensors are what the budget bounds.
      CHECK(collated.src.numel() <= options.max_tokens);
      CHECK(collated.trg_out.numel() <= options.max_tokens);
      for (int64_t i : batch) seen[i]++;
    }
    for (int count : seen) CHECK(count == 1);
  }
}

TEST_CASE("the same seed gives the same batches, and epochs differ", "[pipeline]") {
  auto corpus = random_corpus(500, 2);
  s2s::BatchingOptions options;
  options.max_tokens = 256;
  options.seed = 9;
  CHECK(s2s::make_batches(corpus, options, 0) == s2s::make_batches(corpus, options, 0));
  CHECK(s2s::make_batches(corpus, options, 0) != s2s::make_batches(corpus, options, 1));
  options.seed = 10;
  auto other_seed = s2s::make_batches(corpus, options, 0);
  options.seed = 9;
  CHECK(other_seed != s2s::make_batches(corpus, options, 0));
}

TEST_CASE("a pair longer than the batch budget is an error naming the pair", "[pipeline]") {
  auto corpus = random_corpus(10, 3);
  corpus.source[4].assign(500, 5);
  s2s::BatchingOptions options;
  options.max_tokens = 100;
  CHECK_THROWS_WITH(s2s::make_batches(corpus, options, 0), Catch::Contains("pair 5"));
}

TEST_CASE("collated batches carry BOS/EOS, padding masks and source lengths", "[pipeline]") {
  s2s::EncodedCorpus corpus;
  corpus.source = {{10, 11, 12}, {13}};
  corpus.target = {{20}, {21, 22}};
  auto batch = s2s::collate(corpus, {0, 1});
  CHECK(batch.src.sizes() == torch::IntArrayRef({2, 4}));
  CHECK(batch.src[0][3].item<int64_t>() == s2s::SpecialIds::eos);
  CHECK(batch.src[1][1].item<int64_t>() == s2s::SpecialIds::eos);
  CHECK(batch.src[1][2].item<int64_t>() == s2s::SpecialIds::pad);
  CHECK(batch.src_lengths[0].item<int64_t>() == 4);
  CHECK(batch.src_lengths[1].item<int64_t>() == 2);
  CHECK(batch.trg_in[0][0].item<int64_t>() == s2s::SpecialIds::bos);
  CHECK(batch.trg_out[1][2].item<int64_t>() == s2s::SpecialIds::eos);
  CHECK(batch.target_tokens == 5);
}

TEST_CASE("SentencePiece round-trips the sample text through the bridge", "[pipeline]") {
  ScratchDir dir;
  const std::string sample = std::string(S2S_TEST_DATA_DIR) + "/corpus/sample.es";
  s2s::SentencePieceTrainOptions options;
  options.input_files = {sample};
  options.model_prefix = dir.file("spm");
  options.vocab_size = 60;
  s2s::Tokenizer::train(options);
  auto tokenizer = s2s::Tokenizer::load(dir.file("spm.model"));
  CHECK(tokenizer.vocab_size() > 10);
  CHECK(tokenizer.id_to_piece(s2s::SpecialIds::pad) == "<pad>");
  CHECK(tokenizer.id_to_piece(s2s::SpecialIds::eos) == "</s>");
  for (const auto& line : s2s::read_lines(sample)) {
    auto ids = tokenizer.encode(line);
    CHECK(tokenizer.decode(ids) == s2s::normalize_whitespace(line));
  }
  auto copy = s2s::Tokenizer::from_serialized(tokenizer.serialized());
  CHECK(copy.encode("En el principio") == tokenizer.encode("En el principio"));
}

TEST_CASE("a missing or corrupt SentencePiece model is an error naming the file", "[pipeline]") {
  ScratchDir dir;
  CHECK_THROWS_WITH(s2s::Tokenizer::load(dir.file("absent.model")), Catch::Contains("absent.model"));
  dir.write("bad.model", "not a model");
  CHECK_THROWS_WITH(s2s::Tokenizer::load(dir.file("bad.model")), Catch::Contains("bad.model"));
}

TEST_CASE("an encoded split is cached on disk and read back by the next run", "[pipeline]") {
  ScratchDir dir;
  const std::string corpus_dir = make_synthetic_corpus(dir, "copy", 200, 2, 6);
  auto tokenizers = s2s::CorpusTokenizers::load(corpus_dir);
  auto first = s2s::load_encoded_split(corpus_dir, "train", tokenizers, 0);
  auto second = s2s::load_encoded_split(corpus_dir, "train", tokenizers, 0);
  CHECK_FALSE(first.from_cache);
  CHECK(second.from_cache);
  CHECK(first.ids.source == second.ids.source);
  CHECK(first.ids.target == second.ids.target);
  // Another length limit is another cache entry.
  auto limited = s2s::load_encoded_split(corpus_dir, "train", tokenizers, 3);
  CHECK_FALSE(limited.from_cache);
  CHECK(limited.dropped_too_long > 0);
}
