#pragma once
// Shared fixtures for the model tests: a list of tiny model configurations
// covering every architecture / attention / normalisation / tying variant,
// and helpers that build padded batches from token lists.
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "models/seq2seq.h"

namespace s2s_test {

// Special ids (lib/text/tokenizer.h SpecialIds).
constexpr int64_t kPad = 0;
constexpr int64_t kBos = 2;
constexpr int64_t kEos = 3;
constexpr int64_t kFirstWord = 4;  // ids below this are special

struct ModelCase {
  std::string name;
  nlohmann::json config;  // the "model" section
  int64_t src_vocab = 20;
  int64_t trg_vocab = 20;
  bool has_attention = true;
  bool transformer = false;
};

inline std::vector<ModelCase> model_cases() {
  auto rnn = [](const std::string& cell, const std::string& attention, const std::string& luong_score,
                bool bidirectional, bool input_feeding, int64_t encoder_layers, int64_t decoder_layers) {
    return nlohmann::json{{"architecture", "rnn"},        {"cell", cell},
                          {"embed_dim", 16},              {"hidden_dim", 24},
                          {"encoder_layers", encoder_layers}, {"decoder_layers", decoder_layers},
                          {"bidirectional", bidirectional}, {"attention", attention},
                          {"luong_score", luong_score},   {"input_feeding", input_feeding},
                          {"attention_dim", 20},          {"dropout", 0.1}};
  };
  auto transformer = [](const std::string& norm, const std::string& tie) {
    return nlohmann::json{{"architecture", "transformer"}, {"d_model", 32}, {"heads", 4},
                          {"ff_dim", 48},                  {"encoder_layers", 2}, {"decoder_layers", 2},
                          {"norm", norm},                  {"dropout", 0.1}, {"attention_dropout", 0.1},
                          {"activation_dropout", 0.1},     {"tie_embeddings", tie}, {"max_positions", 64}};
  };
  // Target vocabularies differ from the source ones wherever the
  // configuration allows it, so that a mixed-up dimension cannot hide.
  return {
      {"rnn lstm attention none, bidirectional 2+2", rnn("lstm", "none", "general", true, false, 2, 2), 20, 22, false},
      {"rnn lstm attention none, encoder deeper 2+1", rnn("lstm", "none", "general", true, false, 2, 1), 20, 22, false},
      {"rnn lstm bahdanau, bidirectional 2+2", rnn("lstm", "bahdanau", "general", true, false, 2, 2), 20, 22, true},
      {"rnn lstm luong-dot, unidirectional 2+2", rnn("lstm", "luong", "dot", false, false, 2, 2), 20, 22, true},
      {"rnn lstm luong-general, no input feeding (fused decoder), unidirectional 1+1",
       rnn("lstm", "luong", "general", false, false, 1, 1), 20, 22, true},
      {"rnn lstm luong-general, no input feeding (fused decoder), bidirectional 1+1 (the rnn-luong preset)",
       rnn("lstm", "luong", "general", true, false, 1, 1), 20, 22, true},
      {"rnn lstm luong-general + input feeding, bidirectional 2+2", rnn("lstm", "luong", "general", true, true, 2, 2),
       20, 22, true},
      {"rnn gru bahdanau, bidirectional 1+2", rnn("gru", "bahdanau", "general", true, false, 1, 2), 20, 22, true},
      {"rnn gru attention none, unidirectional 1+1", rnn("gru", "none", "general", false, false, 1, 1), 20, 22, false},
      {"transformer pre-norm, tie all", transformer("pre", "all"), 20, 20, true, true},
      {"transformer post-norm, tie none", transformer("post", "none"), 20, 22, true, true},
      {"transformer post-norm, tie decoder", transformer("post", "decoder"), 20, 22, true, true},
      {"transformer pre-norm, encoder deeper 3+1, tie none",
       [&] {
         auto config = transformer("pre", "none");
         config["encoder_layers"] = 3;
         config["decoder_layers"] = 1;
         return config;
       }(),
       20, 22, true, true},
      {"transformer pre-norm, learned positions, tie all",
       [&] {
         auto config = transformer("pre", "all");
         config["positions"] = "learned";
         return config;
       }(),
       20, 20, true, true},
  };
}

// Builds the model deterministically and puts it in eval() mode.
inline s2s::ModelPtr build_case(const ModelCase& c, uint64_t seed = 7) {
  torch::manual_seed(seed);
  auto model = s2s::build_model(c.config, c.src_vocab, c.trg_vocab);
  model->eval();
  return model;
}

using Sequences = std::vector<std::vector<int64_t>>;

// `count` sequences of word ids in [kFirstWord, vocab), lengths in [min_len, max_len].
inline Sequences random_sequences(size_t count, int64_t min_len, int64_t max_len, int64_t vocab, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> length(min_len, max_len), word(kFirstWord, vocab - 1);
  Sequences out(count);
  for (auto& s : out) {
    s.resize(static_cast<size_t>(length(rng)));
    for (auto& id : s) id = word(rng);
  }
  return out;
}

inline Sequences random_sequences(const std::vector<int64_t>& lengths, int64_t vocab, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> word(kFirstWord, vocab - 1);
  Sequences out;
  for (int64_t n : lengths) {
    std::vector<int64_t> s(static_cast<size_t>(n));
    for (auto& id : s) id = word(rng);
    out.push_back(s);
  }
  return out;
}

// (B, width) int64, padded with kPad; width 0 means the longest row.
inline torch::Tensor pad_rows(const Sequences& rows, int64_t width = 0) {
  for (const auto& r : rows) width = std::max<int64_t>(width, static_cast<int64_t>(r.size()));
  auto out = torch::full({static_cast<int64_t>(rows.size()), width}, kPad, torch::kLong);
  auto a = out.accessor<int64_t, 2>();
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t j = 0; j < rows[i].size(); ++j) a[static_cast<int64_t>(i)][static_cast<int64_t>(j)] = rows[i][j];
  }
  return out;
}

struct Batch {
  torch::Tensor src;          // (B, S)
  torch::Tensor src_lengths;  // (B)
  torch::Tensor trg_in;       // (B, T): BOS w1 .. wn, padded
  torch::Tensor trg_out;      // (B, T): w1 .. wn EOS, padded
  torch::Tensor trg_lengths;  // (B): n + 1
};

inline Batch make_batch(const Sequences& src, const Sequences& trg) {
  Batch b;
  Sequences trg_in, trg_out;
  std::vector<int64_t> src_lengths, trg_lengths;
  for (const auto& s : src) src_lengths.push_back(static_cast<int64_t>(s.size()));
  for (const auto& t : trg) {
    std::vector<int64_t> in{kBos}, out(t);
    in.insert(in.end(), t.begin(), t.end());
    out.push_back(kEos);
    trg_in.push_back(in);
    trg_out.push_back(out);
    trg_lengths.push_back(static_cast<int64_t>(in.size()));
  }
  b.src = pad_rows(src);
  b.src_lengths = torch::tensor(src_lengths, torch::kLong);
  b.trg_in = pad_rows(trg_in);
  b.trg_out = pad_rows(trg_out);
  b.trg_lengths = torch::tensor(trg_lengths, torch::kLong);
  return b;
}

// Appends `extra` padding columns to a (B, T) id tensor.
inline torch::Tensor append_padding(const torch::Tensor& ids, int64_t extra) {
  return torch::cat({ids, torch::full({ids.size(0), extra}, kPad, torch::kLong)}, 1);
}

inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.numel() == 0) return 0.0;
  return (a - b).abs().max().item<double>();
}

}  // namespace s2s_test
