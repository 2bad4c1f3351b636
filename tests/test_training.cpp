// The trainer through the real CLI on generated data: learnability, exact
// resume, interruption, and clear errors for bad configs and checkpoints.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "data/corpus.h"
#include "test_support.h"

using namespace s2s_test;

namespace {

const char* kTransformer =
    R"({"architecture":"transformer","d_model":64,"heads":4,"ff_dim":128,"encoder_layers":2,"decoder_layers":2,"dropout":0.0})";
const char* kRnnAttention =
    R"({"architecture":"rnn","embed_dim":64,"hidden_dim":64,"encoder_layers":1,"decoder_layers":1,"attention":"bahdanau","attention_dim":64,"dropout":0.0})";
const char* kRnnNone =
    R"({"architecture":"rnn","embed_dim":64,"hidden_dim":64,"encoder_layers":1,"decoder_layers":1,"attention":"none","dropout":0.0})";

// The trainer settings the tests vary; everything else is the trainer's default.
struct TrainSettings {
  int steps = 10;
  double learning_rate = 0.003;
  int warmup = 50;
  int max_tokens = 800;
  int eval_every = 0;  // 0: only at the end; otherwise the best dev-BLEU checkpoint is the one translated
};

std::string write_config(const ScratchDir& dir, const std::string& name, const std::string& model,
                         const std::string& corpus, TrainSettings settings) {
  nlohmann::json config = {
      {"model", nlohmann::json::parse(model)},
      {"data", {{"dir", corpus}, {"max_tokens", settings.max_tokens}}},
      {"train", {{"learning_rate", settings.learning_rate}, {"warmup_steps", settings.warmup},
                 {"label_smoothing", 0.0}, {"max_steps", settings.steps}, {"log_every", 1}, {"threads", 1}}},
      {"eval", {{"every_steps", settings.eval_every}, {"max_sentences", 100}}}};
  return dir.write(name + ".json", config.dump());
}

std::string write_config(const ScratchDir& dir, const std::string& name, const std::string& model,
                         const std::string& corpus, int steps) {
  TrainSettings settings;
  settings.steps = steps;
  return write_config(dir, name, model, corpus, settings);
}

// Trains `model` for `steps` on a small copy task into dir/run.
void train_tiny_copy_model(const ScratchDir& dir, const std::string& model, int64_t pairs, int steps) {
  const std::string corpus = make_synthetic_corpus(dir, "copy", pairs, 2, 6);
  const auto config = write_config(dir, "tiny", model, corpus, steps);
  REQUIRE(run_s2s("train --config " + config + " --out " + dir.file("run")).exit_code == 0);
}

// Fraction of test lines the model translates exactly (greedy), by source length.
struct Accuracy {
  double all = 0.0, longest = 0.0;
};
Accuracy exact_match(const ScratchDir& dir, const std::string& run, const std::string& corpus, int64_t long_from) {
  auto result = run_s2s("translate --threads 1 --beam 1 --model " + run + " --input " + corpus + "/test.src > " +
                        dir.file("hyp.txt"));
  REQUIRE(result.exit_code == 0);
  auto hyps = s2s::read_lines(dir.file("hyp.txt"));
  auto refs = s2s::read_lines(corpus + "/test.trg");
  auto srcs = s2s::read_lines(corpus + "/test.src");
  REQUIRE(hyps.size() == refs.size());
  int correct = 0, long_total = 0, long_correct = 0;
  for (size_t i = 0; i < hyps.size(); ++i) {
    const bool ok = hyps[i] == refs[i];
    correct += ok;
    if (static_cast<int64_t>(s2s::count_words(srcs[i])) >= long_from) {
      ++long_total;
      long_correct += ok;
    }
  }
  return {double(correct) / hyps.size(), long_total ? double(long_correct) / long_total : 0.0};
}

}  // namespace

// Issue 4's learnability claim at a size CI affords (about five minutes on one
// thread): reversing random sequences of 4-16 symbols from 20. The full-size
// version (5-30 symbols) is the same commands with longer sequences and more
// steps; its figures are in the README.
TEST_CASE("the Transformer and the attentional RNN learn to reverse sequences, and the RNN without attention lags on long ones",
          "[training][learnability]") {
  ScratchDir dir;
  const std::string corpus = make_synthetic_corpus(dir, "reverse", 4000, 4, 16, 20);
  // Measured: at learning rate 0.002 the Transformer's loss spikes late in
  // training (0.005 -> 0.045 at step 3000) and exact match swings between 0.91
  // and 0.96; at 0.001 it settles (0.99 after 3000 steps).
  TrainSettings settings;
  settings.warmup = 200;
  settings.max_tokens = 1600;
  settings.eval_every = 500;
  settings.learning_rate = 0.001;
  settings.steps = 2500;
  const auto transformer = write_config(dir, "transformer", kTransformer, corpus, settings);
  settings.learning_rate = 0.002;
  settings.eval_every = 300;
  settings.steps = 900;
  const auto attention = write_config(dir, "attention", kRnnAttention, corpus, settings);
  const auto plain = write_config(dir, "plain", kRnnNone, corpus, settings);
  REQUIRE(run_s2s("train --config " + transformer + " --out " + dir.file("t")).exit_code == 0);
  REQUIRE(run_s2s("train --config " + attention + " --out " + dir.file("a")).exit_code == 0);
  REQUIRE(run_s2s("train --config " + plain + " --out " + dir.file("n")).exit_code == 0);
  const int64_t long_from = 13;
  auto t = exact_match(dir, dir.file("t"), corpus, long_from);
  auto a = exact_match(dir, dir.file("a"), corpus, long_from);
  auto n = exact_match(dir, dir.file("n"), corpus, long_from);
  INFO("exact match: transformer " << t.all << ", rnn-attention " << a.all << ", rnn-none " << n.all
                                   << "; on 13-16 symbols: " << t.longest << ", " << a.longest << ", " << n.longest);
  CHECK(t.all >= 0.95);
  CHECK(a.all >= 0.95);
  CHECK(n.longest < 0.5 * a.longest);
}

TEST_CASE("an interrupted and resumed run reproduces the uninterrupted loss curve exactly", "[training]") {
  ScratchDir dir;
  const std::string corpus = make_synthetic_corpus(dir, "reverse", 300, 2, 6);
  const auto config = write_config(dir, "tiny", kTransformer, corpus, 12);
  REQUIRE(run_s2s("train --config " + config + " --out " + dir.file("straight")).exit_code == 0);
  REQUIRE(run_s2s("train --config " + config + " --set train.max_steps=6 --out " + dir.file("resumed")).exit_code == 0);
  REQUIRE(run_s2s("train --resume --set train.max_steps=12 --out " + dir.file("resumed")).exit_code == 0);
  auto straight = train_losses(dir.file("straight/metrics.jsonl"));
  auto resumed = train_losses(dir.file("resumed/metrics.jsonl"));
  REQUIRE(straight.size() == 12);
  REQUIRE(resumed.size() == 12);
  for (size_t i = 0; i < straight.size(); ++i) CHECK(resumed[i] == straight[i]);
}

TEST_CASE("SIGTERM during training saves a checkpoint that --resume continues", "[training]") {
  ScratchDir dir;
  const std::string corpus = make_synthetic_corpus(dir, "copy", 300, 2, 6);
  const auto config = write_config(dir, "long", kRnnAttention, corpus, 100000);
  // SIGTERM once training runs (metrics.jsonl has a line): a loaded machine can take seconds to start.
  const std::string wait_for_training =
      " & pid=$!; for i in $(seq 300); do [ -s " + dir.file("run/metrics.jsonl") + " ] && break; sleep 0.1; done; ";
  auto result = run_s2s("train --config " + config + " --out " + dir.file("run") + wait_for_training +
                        "kill -TERM $pid; wait $pid");
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.output, Catch::Contains("checkpoint saved"));
  const std::string metrics = dir.file("run/metrics.jsonl");
  auto resumed = run_s2s("train --resume --set train.max_steps=" + std::to_string(100000) + " --out " + dir.file("run") +
                         " & pid=$!; n=$(wc -l < " + metrics + "); for i in $(seq 300); do [ $(wc -l < " + metrics +
                         ") -gt $n ] && break; sleep 0.1; done; kill -TERM $pid; wait $pid");
  CHECK_THAT(resumed.output, Catch::Contains("resumed from step"));
}

TEST_CASE("an unknown config key is an error naming the key with a suggestion", "[training]") {
  ScratchDir dir;
  const auto config = dir.write("bad.json", R"({"train": {"lerning_rate": 0.1}})");
  auto result = run_s2s("train --config " + config + " --out " + dir.file("run"));
  CHECK(result.exit_code != 0);
  CHECK_THAT(result.output, Catch::Contains("train.lerning_rate") && Catch::Contains("train.learning_rate"));
  auto wrong_type = run_s2s("train --print-config --set train.max_steps=\\\"many\\\"");
  CHECK(wrong_type.exit_code != 0);
  CHECK_THAT(wrong_type.output, Catch::Contains("train.max_steps"));
}

TEST_CASE("a corrupt or truncated checkpoint is refused with a clear error", "[training]") {
  ScratchDir dir;
  train_tiny_copy_model(dir, kRnnNone, 200, 3);
  std::string bytes = read_file(dir.file("run/checkpoint_last.pt"));
  bytes[bytes.size() / 2] ^= 0x55;
  dir.write("run/checkpoint_last.pt", bytes);
  std::system(("rm -f " + dir.file("run/checkpoint_best.pt")).c_str());
  auto corrupted = run_s2s("translate --checkpoint last --model " + dir.file("run") + " < /dev/null");
  CHECK(corrupted.exit_code == 1);
  CHECK_THAT(corrupted.output, Catch::Contains("checkpoint_last.pt") && Catch::Contains("corrupted"));
  dir.write("run/checkpoint_last.pt", bytes.substr(0, 100));
  auto truncated = run_s2s("translate --checkpoint last --model " + dir.file("run") + " < /dev/null");
  CHECK(truncated.exit_code == 1);
  CHECK_THAT(truncated.output, Catch::Contains("truncated"));
}

TEST_CASE("translate keeps empty lines empty and the output in input order", "[training]") {
  ScratchDir dir;
  train_tiny_copy_model(dir, kTransformer, 300, 5);
  const auto input = dir.write("in.txt", "a b c\n\nd e f g h i\n\nb\n");
  auto result = run_s2s("translate --threads 1 --beam 2 --model " + dir.file("run") + " --input " + input + " 2>/dev/null");
  REQUIRE(result.exit_code == 0);
  std::vector<std::string> lines;
  std::istringstream stream(result.output);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  REQUIRE(lines.size() == 5);
  CHECK(lines[1].empty());
  CHECK(lines[3].empty());
  auto invalid = run_s2s("translate --model " + dir.file("run") + " --input " + dir.write("bad.txt", "ok\n\xff\n"));
  CHECK(invalid.exit_code == 1);
  CHECK_THAT(invalid.output, Catch::Contains("bad.txt:2"));
}
