// TorchScript export (lib/export, app/cmd_export.cpp): the exported model
// must compute what the native model computes — same encoder states, same
// tokens from greedy and beam search — for every architecture and option.
#include <catch2/catch.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>

#include "export/scripted_model.h"
#include "export/torchscript_export.h"
#include "model_test_support.h"
#include "search/search.h"
#include "test_support.h"
#include "text/tokenizer.h"
#include "run/checkpoint.h"
#include "translate/translator.h"
#include "util/error.h"

namespace fs = std::filesystem;
using namespace s2s_test;

namespace {

struct ExportTempDir {
  fs::path path;
  ExportTempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() / ("s2s_test_export_" + std::to_string(::getpid()) + "_" + std::to_string(++counter));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~ExportTempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

Sequences with_eos(Sequences rows) {
  for (auto& r : rows) r.push_back(kEos);
  return rows;
}

torch::Tensor lengths_of(const Sequences& rows) {
  std::vector<int64_t> lengths;
  for (const auto& r : rows) lengths.push_back(static_cast<int64_t>(r.size()));
  return torch::tensor(lengths, torch::kLong);
}

c10::List<c10::List<int64_t>> as_list(const Sequences& rows) {
  c10::List<c10::List<int64_t>> out;
  for (const auto& r : rows) out.push_back(c10::List<int64_t>(r));
  return out;
}

// Compares the exported module with the native model on one batch.
void check_batch(s2s::Seq2SeqModel& model, torch::jit::Module& exported, const Sequences& words, bool check_forward) {
  const Sequences rows = with_eos(words);
  auto src = pad_rows(rows);
  auto lengths = lengths_of(rows);
  torch::NoGradGuard no_grad;

  auto native_encoded = model.encode(src, lengths);
  auto exported_encoded = exported.get_method("encode")({src, lengths}).toTensorVector();
  REQUIRE(exported_encoded[0].sizes() == native_encoded.memory.sizes());
  CHECK(max_abs_diff(exported_encoded[0], native_encoded.memory) < 1e-5);
  CHECK(exported_encoded[1].equal(native_encoded.src_mask));
  REQUIRE(exported_encoded.size() == 2 + native_encoded.summary.size());
  for (size_t i = 0; i < native_encoded.summary.size(); ++i) {
    CHECK(max_abs_diff(exported_encoded[2 + i], native_encoded.summary[i]) < 1e-5);
  }
  // One decoder step from BOS, from the same state.
  auto native_state = model.start(native_encoded);
  auto bos = torch::full({src.size(0)}, kBos, torch::kLong);
  auto native_logits = model.step(native_state, bos);
  auto exported_state = exported.get_method("start")({exported.get_method("encode")({src, lengths})});
  auto stepped = exported.get_method("step")({exported_state, bos, int64_t{0}}).toTuple();
  CHECK(max_abs_diff(stepped->elements()[0].toTensor(), native_logits) < 1e-4);

  for (int beam : {1, 5}) {
    s2s::SearchOptions options;
    options.beam = beam;
    auto native = s2s::search(model, src, lengths, options);
    const double max_len_a = options.max_length_a;
    const int64_t max_len_b = options.max_length_b;
    auto result = exported.get_method("translate_scored")({as_list(rows), static_cast<int64_t>(beam), max_len_a, max_len_b, 1.0})
                      .toTuple();
    auto outputs = result->elements()[0].toList();
    auto scores = result->elements()[1].toList();
    REQUIRE(outputs.size() == rows.size());
    if (rows.size() >= 8) {  // the check means something only if outputs depend on the input
      std::set<std::vector<int64_t>> distinct;
      for (size_t b = 0; b < rows.size(); ++b) distinct.insert(outputs.get(b).toIntVector());
      CHECK(distinct.size() >= rows.size() / 2);
    }
    for (size_t b = 0; b < rows.size(); ++b) {
      INFO("beam " << beam << ", sentence " << b << " of " << rows.size() << ", length " << rows[b].size());
      CHECK(outputs.get(b).toIntVector() == native[b].front().tokens);
      CHECK(std::abs(scores.get(b).toDouble() - native[b].front().score) < 1e-3);
    }
    // The plain `translate` entry point (alpha 1.0) gives the same tokens.
    auto plain = exported.get_method("translate")({as_list(rows), static_cast<int64_t>(beam), max_len_a, max_len_b}).toList();
    for (size_t b = 0; b < rows.size(); ++b) CHECK(plain.get(b).toIntVector() == native[b].front().tokens);

    // The C++ search over the export (export/scripted_model.h), as `s2s
    // translate` runs it: the same n-best lists, scores and attention as over
    // the native model.
    s2s::ScriptedSeq2Seq scripted(exported, "exported test model", model.target_vocab_size(), model.describe(),
                                  model.attention_description());
    s2s::SearchOptions full = options;
    full.nbest = beam;
    full.keep_attention = true;
    auto native_full = s2s::search(model, src, lengths, full);
    auto over_export = s2s::search(scripted, src, lengths, full);
    REQUIRE(over_export.size() == native_full.size());
    for (size_t b = 0; b < rows.size(); ++b) {
      REQUIRE(over_export[b].size() == native_full[b].size());
      for (size_t k = 0; k < native_full[b].size(); ++k) {
        INFO("C++ search over the export: beam " << beam << ", sentence " << b << ", hypothesis " << k);
        const auto& mine = over_export[b][k];
        const auto& theirs = native_full[b][k];
        CHECK(mine.tokens == theirs.tokens);
        // The sharpened RNNs are chaotic: float rounding, which differs between
        // the native kernels and TorchScript's and with the batch's size (the
        // search drops finished sentences), grows along a path. Sharpened
        // tenfold, a GRU's hidden state that started 7e-6 apart was 2.0 apart
        // after 19 steps and the greedy outputs parted; sixfold, the best path's
        // attention agrees to 1.2e-4, and the 4th and 5th of a 5-beam (tokens
        // still identical) drift further (measured 2026-12-04). A defect moves
        // attention by tenths, not thousandths.
        const bool best = k == 0;
        CHECK(std::abs(mine.score - theirs.score) < (best ? 1e-3 : 0.02) * std::max(1.0, std::abs(theirs.score)));
        const double attention_tolerance = best ? 1e-3 : 0.1;
        REQUIRE(mine.attention.size() == theirs.attention.size());
        for (size_t t = 0; t < mine.attention.size(); ++t) {
          REQUIRE(mine.attention[t].size() == theirs.attention[t].size());
          double worst = 0;
          for (size_t j = 0; j < mine.attention[t].size(); ++j) {
            worst = std::max(worst, static_cast<double>(std::abs(mine.attention[t][j] - theirs.attention[t][j])));
          }
          CHECK(worst < attention_tolerance);
        }
      }
    }
    if (beam == 1 && check_forward) {
      // forward: greedy, padded, EOS then PAD.
      auto padded = exported.forward({src, lengths}).toTensor();
      REQUIRE(padded.dim() == 2);
      REQUIRE(padded.size(0) == src.size(0));
      for (size_t b = 0; b < rows.size(); ++b) {
        const auto& tokens = native[b].front().tokens;
        std::vector<int64_t> expected(tokens);
        expected.push_back(kEos);
        expected.resize(static_cast<size_t>(padded.size(1)), kPad);
        auto row = padded[static_cast<int64_t>(b)].contiguous();
        CHECK(std::vector<int64_t>(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + row.numel()) == expected);
      }
    }
  }
}

// A training directory written by hand: a SentencePiece model trained on a
// small generated text, config.json, a checkpoint of a random model and a
// metrics.jsonl with one evaluation.
void write_run_dir(const std::string& dir, const nlohmann::json& model_config, uint64_t seed) {
  fs::create_directories(dir);
  static const char* words[] = {"sol", "luna", "mar", "pan", "casa", "río", "flor", "lobo", "ojo", "mano",
                                "pie", "cielo", "nube", "roca", "vino", "pez"};
  std::mt19937 rng(11);
  {
    std::ofstream text(dir + "/corpus.txt", std::ios::binary);
    for (int i = 0; i < 300; ++i) {
      const int n = 2 + static_cast<int>(rng() % 8);
      for (int k = 0; k < n; ++k) text << (k ? " " : "") << words[rng() % 16];
      text << "\n";
    }
  }
  s2s::SentencePieceTrainOptions spm;
  spm.input_files = {dir + "/corpus.txt"};
  spm.model_prefix = dir + "/spm";
  spm.vocab_size = 48;
  spm.threads = 1;
  s2s::Tokenizer::train(spm);
  auto tokenizers = s2s::CorpusTokenizers::load(dir);
  const int64_t vocab = tokenizers.source->vocab_size();
  nlohmann::json config = {{"model", model_config}, {"data", {{"dir", dir}}}};
  std::ofstream(dir + "/config.json") << config.dump(2);
  torch::manual_seed(seed);
  auto model = s2s::build_model(model_config, vocab, vocab);
  {
    torch::NoGradGuard no_grad;  // sharper than the initialisation, so outputs vary with the input
    for (auto& p : model->parameters()) p.mul_(model_config["architecture"] == "rnn" ? 6.0 : 3.0);  // tenfold RNNs are chaotic (see check_batch)
  }
  s2s::CheckpointContents contents;
  contents.model = model.get();
  contents.trainer_state = {{"step", 10}};
  s2s::save_checkpoint(dir + "/checkpoint_best.pt", contents);
  std::ofstream(dir + "/metrics.jsonl") << R"({"type":"train","step":5,"loss":3.0})" << "\n"
                                        << R"({"type":"eval","step":10,"dev_bleu":12.5})" << "\n";
}

nlohmann::json small_transformer_config() {
  return {{"architecture", "transformer"}, {"d_model", 32}, {"heads", 4}, {"ff_dim", 48},
          {"encoder_layers", 2}, {"decoder_layers", 2}, {"norm", "pre"}, {"tie_embeddings", "all"},
          {"max_positions", 128}};
}

nlohmann::json small_rnn_config() {
  return {{"architecture", "rnn"}, {"cell", "lstm"}, {"embed_dim", 16}, {"hidden_dim", 24},
          {"encoder_layers", 2}, {"decoder_layers", 2}, {"bidirectional", true}, {"attention", "bahdanau"},
          {"attention_dim", 20}};
}

const std::vector<std::string> kSentences = {"sol luna mar", "casa", "río flor lobo ojo mano pie", "", "cielo nube roca",
                                             "pez vino pan sol luna mar casa río", "mano"};

int run_s2s(const std::string& args, const std::string& out, const std::string& err) {
  const std::string command = std::string("'") + S2S_BINARY + "' " + args + " >'" + out + "' 2>'" + err + "'";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string slurp_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}


// A model whose two layers of one list differ (the second Linear has no bias):
// the export's layers of one stack share a class, so it must refuse this.
class UnevenLayers : public s2s::Seq2SeqModel {
 public:
  UnevenLayers() {
    auto layers = register_module("layers", torch::nn::ModuleList());
    layers->push_back(torch::nn::Linear(2, 2));
    layers->push_back(torch::nn::Linear(torch::nn::LinearOptions(2, 2).bias(false)));
  }
  s2s::EncoderOutput encode(const torch::Tensor&, const torch::Tensor&) override { return {}; }
  s2s::DecodeOutput decode(const s2s::EncoderOutput&, const torch::Tensor&) override { return {}; }
  s2s::DecoderState start(const s2s::EncoderOutput&) override { return {}; }
  torch::Tensor step(s2s::DecoderState&, const torch::Tensor&) override { return {}; }
  std::string describe() const override { return "uneven"; }
  int64_t target_vocab_size() const override { return 2; }
  void define_torchscript(torch::jit::Module&) const override {}
  std::string attention_description() const override { return "none"; }
};

}  // namespace

TEST_CASE("exported models compute what the native models compute", "[export]") {
  for (const auto& c : model_cases()) {
    SECTION(c.name) {
      auto model = build_case(c);
      // Sharper weights than the initialisation, so that outputs depend on
      // the input (a freshly initialised model repeats one token for every
      // sentence, which would make token equality a weak check). Threefold
      // leaves some RNNs with 1–4 distinct outputs in 9–13; tenfold makes them
      // chaotic (see the tolerance below).
      {
        torch::NoGradGuard no_grad;
        for (auto& p : model->parameters()) p.mul_(c.transformer ? 3.0 : 6.0);
      }
      ExportTempDir dir;
      const std::string path = dir / "model.pt";
      s2s::save_scripted(s2s::script_model(*model), path, {});
      auto exported = torch::jit::load(path);
      exported.eval();
      // Many sentences of every length (0 words = the EOS alone) in one batch ...
      std::vector<int64_t> lengths;
      for (int64_t n = 0; n <= 12; ++n) lengths.push_back(n);
      std::shuffle(lengths.begin(), lengths.end(), std::mt19937(5));
      check_batch(*model, exported, random_sequences(lengths, c.src_vocab, 21), true);
      // ... a second varied batch, and single sentences.
      check_batch(*model, exported, random_sequences(9, 1, 9, c.src_vocab, 22), true);
      for (uint32_t seed : {31u, 32u, 33u}) check_batch(*model, exported, random_sequences(1, 1, 11, c.src_vocab, seed), false);
    }
  }
}

TEST_CASE("a corrupt, foreign or outdated .pt file is refused with an error naming it", "[export]") {
  ExportTempDir dir;
  const std::string random_file = dir / "random.pt";
  {
    std::ofstream out(random_file, std::ios::binary);
    std::mt19937 rng(1);
    for (int i = 0; i < 4096; ++i) out.put(static_cast<char>(rng() & 0xff));
  }
  CHECK(s2s::is_exported_model(random_file));
  CHECK_THAT(error_of([&] { s2s::ExportedModel::load(random_file); }), Catch::Matchers::Contains(random_file));

  // A valid TorchScript file, but not ours (no metadata.json).
  const std::string foreign = dir / "foreign.pt";
  torch::jit::Module m("Foreign");
  m.register_parameter("w", torch::ones({2}), false);
  m.define("def forward(self, x):\n    return x * self.w\n");
  m.save(foreign);
  const auto message = error_of([&] { s2s::ExportedModel::load(foreign); });
  CHECK_THAT(message, Catch::Matchers::Contains(foreign));
  CHECK_THAT(message, Catch::Matchers::Contains("s2s export"));

  // An export of format version 1, whose translate methods took one max_len.
  const std::string old_format = dir / "old_format.pt";
  auto model = build_case(model_cases().front());
  s2s::save_scripted(s2s::script_model(*model), old_format,
                     {{"metadata.json", R"({"format": "s2s-export", "format_version": 1})"}});
  const auto old_message = error_of([&] { s2s::ExportedModel::load(old_format); });
  CHECK_THAT(old_message, Catch::Matchers::Contains(old_format));
  CHECK_THAT(old_message, Catch::Matchers::Contains("export it again"));

  // metadata.json fields of the wrong JSON type are refusals naming the file, not
  // JSON type errors (found by tests/fuzz/fuzz_exported_file.cpp).
  for (const char* metadata : {R"({"format": 7, "format_version": 3})", R"({"format": "s2s-export", "format_version": "3"})",
                               R"(["s2s-export", 3])"}) {
    const std::string odd = dir / "odd_metadata.pt";
    s2s::save_scripted(s2s::script_model(*model), odd, {{"metadata.json", metadata}});
    const auto odd_message = error_of([&] { s2s::ExportedModel::load(odd); });
    CHECK_THAT(odd_message, Catch::Matchers::Contains(odd));
    CHECK_THAT(odd_message, Catch::Matchers::Contains("metadata.json"));
  }

  CHECK_THAT(error_of([&] { s2s::ExportedModel::load(dir / "missing.pt"); }),
             Catch::Matchers::Contains("missing.pt"));
  CHECK_FALSE(s2s::is_exported_model(dir.path.string()));
}

TEST_CASE("s2s export writes a self-contained file that translates like the training directory", "[export]") {
  for (const auto& config : {small_transformer_config(), small_rnn_config()}) {
    ExportTempDir dir;
    const std::string run = dir / "run", out = dir / "model.pt";
    write_run_dir(run, config, 3);
    REQUIRE(run_s2s("export --model '" + run + "' --out '" + out + "'", dir / "stdout", dir / "stderr") == 0);
    REQUIRE(s2s::is_exported_model(out));

    auto loaded = s2s::ExportedModel::load(out);
    const auto& meta = loaded.metadata();
    CHECK(meta["format"] == "s2s-export");
    CHECK(meta["architecture"] == config["architecture"]);
    CHECK(meta["special_ids"]["eos"] == 3);
    CHECK(meta["dev_bleu"] == 12.5);
    CHECK(meta["training_step"] == 10);
    CHECK(meta["s2s_version"] == S2S_VERSION);
    CHECK(meta["training_data"]["fingerprint"].is_string());
    CHECK(meta["source_vocab_size"] == loaded.tokenizers().source->vocab_size());
    CHECK(loaded.config()["model"]["architecture"] == config["architecture"]);
    CHECK(loaded.tokenizers().source->serialized() == slurp_file(run + "/spm.model"));

    // A truncated copy (an interrupted download) is refused, naming the file.
    const std::string truncated = dir / "truncated.pt";
    const std::string bytes = slurp_file(out);
    std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
    CHECK_THAT(error_of([&] { s2s::ExportedModel::load(truncated); }), Catch::Matchers::Contains(truncated));

    // One search for both: the export through s2s::Translator gives the same
    // lines, n-best lists and attention as the training directory.
    for (int beam : {1, 4}) {
      s2s::TranslationOptions options;
      options.search.beam = beam;
      options.search.nbest = beam;
      options.search.keep_attention = true;
      auto bundle = s2s::load_model_bundle(run, "best", torch::kCPU);
      auto exported_bundle = s2s::load_exported_bundle(out, torch::kCPU);
      s2s::Translator native(bundle, options), exported(exported_bundle, options);
      const auto want = native.translate(kSentences);
      const auto got = exported.translate(kSentences);
      REQUIRE(got.size() == want.size());
      for (size_t i = 0; i < want.size(); ++i) {
        INFO("beam " << beam << ", line " << i);
        CHECK(got[i].text == want[i].text);
        CHECK(got[i].nbest_texts == want[i].nbest_texts);
        CHECK(got[i].target_pieces == want[i].target_pieces);
        REQUIRE(got[i].nbest.size() == want[i].nbest.size());
        if (!want[i].nbest.empty()) CHECK(got[i].nbest.front().attention.size() == want[i].nbest.front().attention.size());
      }
    }
  }
  // Failures name the file at fault and leave no output behind.
  ExportTempDir dir;
  CHECK(run_s2s("export --model '" + (dir / "nope") + "' --out '" + (dir / "x.pt") + "'", dir / "o", dir / "e") != 0);
  CHECK_THAT(slurp_file(dir / "e"), Catch::Matchers::Contains(dir / "nope"));
  CHECK_FALSE(fs::exists(dir / "x.pt"));
}

// Not run by default (hidden tag): writes a training directory for the
// Python example's CTest check (tests/python/check_translate_exported.py).
TEST_CASE("export fixture: a training directory for the Python check", "[.export_fixture]") {
  const char* target = std::getenv("S2S_EXPORT_FIXTURE_DIR");
  REQUIRE(target != nullptr);
  write_run_dir(target, small_rnn_config(), 3);
}

TEST_CASE("export refuses layers of one stack that hold different parameters", "[export]") {
  UnevenLayers model;
  try {
    s2s::script_model(model);
    FAIL("exported a model whose layers differ");
  } catch (const s2s::Error& e) {
    CHECK(std::string(e.what()) == "export: layers._1 has no bias, which other layers of its stack have");
  }
}
