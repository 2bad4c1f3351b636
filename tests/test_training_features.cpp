// What users of fairseq, Marian, OpenNMT-py and JoeyNMT reach for: checkpoint
// averaging, a moving average of the weights, subword sampling, fine-tuning
// from a run, and ensembles — as library units and through the CLI.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cstring>

#include "data/corpus.h"
#include "data/dataset.h"
#include "data/subword_sampling.h"
#include "model_test_support.h"
#include "run/checkpoint.h"
#include "run/checkpoint_average.h"
#include "train/ema.h"
#include "test_support.h"

using namespace s2s_test;

namespace {

const ModelCase& transformer_case() {
  static const ModelCase c = [] {
    for (const auto& m : model_cases()) {
      if (m.transformer) return m;
    }
    return model_cases().front();
  }();
  return c;
}

bool same_weights(torch::nn::Module& a, torch::nn::Module& b) {
  auto theirs = b.named_parameters();
  for (const auto& item : a.named_parameters()) {
    if (!torch::equal(item.value(), theirs[item.key()])) return false;
  }
  return true;
}

void save_model(const std::string& path, torch::nn::Module& model, int64_t step) {
  s2s::CheckpointContents contents;
  contents.model = &model;
  contents.trainer_state = {{"step", step}};
  s2s::save_checkpoint(path, contents);
}

std::vector<nlohmann::json> records(const std::string& metrics_path, const std::string& type) {
  std::vector<nlohmann::json> out;
  for (const auto& line : s2s::read_lines(metrics_path)) {
    auto record = nlohmann::json::parse(line);
    if (record["type"] == type) out.push_back(record);
  }
  return out;
}

const char* kTinyTransformer =
    R"({"architecture":"transformer","d_model":32,"heads":4,"ff_dim":64,"encoder_layers":1,"decoder_layers":1,"dropout":0.0})";

std::string tiny_config(const ScratchDir& dir, const std::string& name, const std::string& corpus, int steps,
                        const nlohmann::json& train_extra = nlohmann::json::object(),
                        const nlohmann::json& data_extra = nlohmann::json::object()) {
  nlohmann::json config = {
      {"model", nlohmann::json::parse(kTinyTransformer)},
      {"data", {{"dir", corpus}, {"max_tokens", 400}}},
      {"train", {{"learning_rate", 0.003}, {"warmup_steps", 5}, {"max_steps", steps}, {"log_every", 1}, {"threads", 1}}},
      {"eval", {{"every_steps", 3}, {"max_sentences", 20}}}};
  config["train"].update(train_extra);
  config["data"].update(data_extra);
  return dir.write(name + ".json", config.dump());
}

}  // namespace

TEST_CASE("averaging N copies of a checkpoint returns its weights; two average to their mean", "[features]") {
  ScratchDir dir;
  auto model = build_case(transformer_case(), 1), other = build_case(transformer_case(), 2);
  for (int i = 0; i < 3; ++i) save_model(dir.file("copy" + std::to_string(i) + ".pt"), *model, i);
  auto averaged = build_case(transformer_case(), 3);
  s2s::average_checkpoints(*averaged, {dir.file("copy0.pt"), dir.file("copy1.pt"), dir.file("copy2.pt")}, "the test");
  CHECK(same_weights(*averaged, *model));

  save_model(dir.file("other.pt"), *other, 9);
  s2s::average_checkpoints(*averaged, {dir.file("copy0.pt"), dir.file("other.pt")}, "the test");
  auto theirs = other->named_parameters();
  auto ours = model->named_parameters();
  for (const auto& item : averaged->named_parameters()) {
    auto expected = ((ours[item.key()].to(torch::kDouble) + theirs[item.key()].to(torch::kDouble)) / 2).to(torch::kFloat);
    CHECK(torch::equal(item.value(), expected));
  }
  // A checkpoint of another model is named.
  auto rnn = build_case(model_cases().front());
  save_model(dir.file("rnn.pt"), *rnn, 1);
  auto message = error_of([&] { s2s::average_checkpoints(*averaged, {dir.file("copy0.pt"), dir.file("rnn.pt")}, "the test"); });
  CHECK_THAT(message, Catch::Contains("rnn.pt"));
}

TEST_CASE("kept checkpoints are listed by step; asking for more than were kept says how to keep them", "[features]") {
  ScratchDir dir;
  auto model = build_case(transformer_case());
  for (int64_t step : {30, 100, 9}) save_model(dir.file(s2s::kept_checkpoint_name(step)), *model, step);
  dir.write("checkpoint_stepx.pt", "not one");
  dir.write("checkpoint_last.pt", "not one either");
  auto kept = s2s::kept_checkpoints(dir.path);
  REQUIRE(kept.size() == 3);
  CHECK(kept[0].step == 9);
  CHECK(kept[2].step == 100);
  CHECK(s2s::last_kept_checkpoints(dir.path, 2).front().step == 30);
  CHECK_THAT(error_of([&] { s2s::last_kept_checkpoints(dir.path, 5); }), Catch::Contains("train.keep_last=5"));
}

TEST_CASE("the moving average with decay 0 equals the raw weights, and follows d*avg + (1-d)*live", "[features]") {
  auto live = build_case(transformer_case(), 1), average = build_case(transformer_case(), 2);
  auto before = build_case(transformer_case(), 2);
  s2s::ema_update(*average, *live, 0.0);
  CHECK(same_weights(*average, *live));

  s2s::copy_weights(*average, *before);
  CHECK(same_weights(*average, *before));
  s2s::ema_update(*average, *live, 0.75);
  auto live_weights = live->named_parameters(), old_weights = before->named_parameters();
  for (const auto& item : average->named_parameters()) {
    auto expected = old_weights[item.key()] * 0.75 + live_weights[item.key()] * 0.25;
    CHECK(torch::allclose(item.value(), expected, 1e-6, 1e-7));
  }
  // Early steps are capped so a short run is not dominated by the initial weights.
  CHECK(s2s::ema_decay_at(0.9999, 1) == Approx(2.0 / 11.0));
  CHECK(s2s::ema_decay_at(0.9999, 1000000) == Approx(0.9999));
  CHECK(s2s::ema_decay_at(0.0, 5) == 0.0);
}

TEST_CASE("subword sampling changes the segmentation across epochs, repeats it per seed, never touches dev/test",
          "[features]") {
  ScratchDir dir;
  const std::string corpus = make_synthetic_corpus(dir, "copy", 200, 3, 8);
  auto tokenizers = s2s::CorpusTokenizers::load(corpus);
  auto train = s2s::load_encoded_split(corpus, "train", tokenizers, 0);
  s2s::SubwordSamplingOptions options;
  options.alpha = 0.5;
  options.seed = 3;
  s2s::SubwordSampler sampler(corpus, train, tokenizers, options);
  auto epoch0 = sampler.sample(0), again = sampler.sample(0), epoch1 = sampler.sample(1);
  CHECK(epoch0.ids.source == again.ids.source);
  CHECK(epoch0.ids.target == again.ids.target);
  CHECK(epoch0.ids.source != epoch1.ids.source);
  CHECK(epoch0.ids.source != train.ids.source);
  REQUIRE(epoch0.ids.size() == train.ids.size());
  // A sample is another segmentation of the same text.
  for (size_t i = 0; i < 20; ++i) {
    CHECK(tokenizers.source->decode(std::vector<int>(epoch0.ids.source[i].begin(), epoch0.ids.source[i].end())) ==
          tokenizers.source->decode(std::vector<int>(train.ids.source[i].begin(), train.ids.source[i].end())));
  }
  // Evaluation text is encoded deterministically, whatever was sampled before.
  auto dev_before = s2s::load_encoded_split(corpus, "dev", tokenizers, 0);
  auto dev_lines = s2s::read_lines(corpus + "/dev.src");
  for (size_t i = 0; i < 10; ++i) {
    auto ids = tokenizers.source->encode(dev_lines[i]);
    CHECK(std::vector<int32_t>(ids.begin(), ids.end()) == dev_before.ids.source[i]);
  }
  // A sample longer than max_length keeps the deterministic encoding.
  options.max_length = 1;
  auto capped = s2s::SubwordSampler(corpus, train, tokenizers, options).sample(0);
  CHECK(capped.deterministic == static_cast<int64_t>(train.ids.size()));
  CHECK(capped.ids.source == train.ids.source);
}

TEST_CASE("subword sampling, then SentencePiece training, then sampling again, in one process", "[features]") {
  // The sampler thread's stack must not reach glibc's stack cache, where the bridge namespace's libc
  // would free its thread-locals with the wrong allocator (AddressSanitizer aborted here before).
  ScratchDir dir;
  const std::string first = make_synthetic_corpus(dir, "copy", 60, 3, 8);
  auto tokenizers = s2s::CorpusTokenizers::load(first);
  auto lines = s2s::read_lines(first + "/train.src");
  auto before = tokenizers.source->sample_encode_lines(lines, -1, 0.5, 7);
  ScratchDir other;
  const std::string second = make_synthetic_corpus(other, "reverse", 60, 3, 8);
  auto after = tokenizers.source->sample_encode_lines(lines, -1, 0.5, 7);
  CHECK(before == after);
  CHECK(s2s::CorpusTokenizers::load(second).source->vocab_size() > 0);
}

TEST_CASE("keep_last, EMA and sampling in training: pruned, averaged, exported, and resumed bit for bit", "[features]") {
  ScratchDir dir;
  const std::string corpus = make_synthetic_corpus(dir, "reverse", 150, 2, 6);
  const nlohmann::json train = {{"keep_last", 2}, {"ema_decay", 0.9}};
  const nlohmann::json data = {{"sample_alpha", 0.5}};
  const auto config = tiny_config(dir, "features", corpus, 12, train, data);
  auto straight = run_s2s("train --config " + config + " --out " + dir.file("straight"));
  REQUIRE(straight.exit_code == 0);
  CHECK_THAT(straight.output, Catch::Contains("sampled subword segmentations"));
  REQUIRE(run_s2s("train --config " + config + " --set train.max_steps=6 --out " + dir.file("resumed")).exit_code == 0);
  REQUIRE(run_s2s("train --resume --set train.max_steps=12 --out " + dir.file("resumed")).exit_code == 0);

  // The same losses and the same moving-average evaluations after the interruption.
  auto a = records(dir.file("straight/metrics.jsonl"), "train"), b = records(dir.file("resumed/metrics.jsonl"), "train");
  REQUIRE(a.size() == 12);
  REQUIRE(b.size() == 12);
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i]["loss"] == b[i]["loss"]);
  auto ea = records(dir.file("straight/metrics.jsonl"), "eval"), eb = records(dir.file("resumed/metrics.jsonl"), "eval");
  REQUIRE(ea.size() == 4);
  REQUIRE(eb.size() == 4);
  CHECK(ea.back()["dev_loss_ema"] == eb.back()["dev_loss_ema"]);
  CHECK(ea.back()["dev_loss_ema"] != ea.back()["dev_loss"]);

  // The moving average does not change the raw training: the same losses without it.
  REQUIRE(run_s2s("train --config " + config + " --set train.ema_decay=0 --out " + dir.file("no-ema")).exit_code == 0);
  auto c = records(dir.file("no-ema/metrics.jsonl"), "train");
  REQUIRE(c.size() == a.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i]["loss"] == c[i]["loss"]);

  // Two kept checkpoints (steps 9 and 12), the moving average beside them.
  auto kept = s2s::kept_checkpoints(dir.file("straight"));
  REQUIRE(kept.size() == 2);
  CHECK(kept[0].step == 9);
  CHECK(kept[1].step == 12);
  CHECK(s2s::kept_checkpoints(dir.file("resumed")).size() == 2);
  CHECK(s2s::read_checkpoint_state(dir.file("straight/checkpoint_ema.pt"))["step"] == 12);

  const std::string run = dir.file("straight");
  auto averaged = run_s2s("average --model " + run + " --last 2");
  REQUIRE(averaged.exit_code == 0);
  const auto input = dir.write("in.txt", "a b c\nd e\n");
  for (const char* which : {"avg", "ema", "step9"}) {
    auto translated = run_s2s("translate --threads 1 --checkpoint " + std::string(which) + " --model " + run + " --input " + input);
    CHECK(translated.exit_code == 0);
  }
  auto missing = run_s2s("translate --checkpoint step3 --model " + run + " --input " + input);
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.output, Catch::Contains("--checkpoint step3") && Catch::Contains("step12"));
  auto too_many = run_s2s("average --model " + run + " --last 3");
  CHECK(too_many.exit_code == 1);
  CHECK_THAT(too_many.output, Catch::Contains("train.keep_last=3"));

  auto exported = run_s2s("export --model " + run + " --average 2 --length-norm average --out " + dir.file("avg.pt"));
  REQUIRE(exported.exit_code == 0);
  auto with_export = run_s2s("translate --length-norm average --model " + dir.file("avg.pt") + " --input " + input);
  CHECK(with_export.exit_code == 0);
  auto averaged_native = run_s2s("translate --threads 1 --length-norm average --checkpoint avg --model " + run +
                                 " --input " + input + " 2>/dev/null");
  CHECK(with_export.output == averaged_native.output);
  // The export decodes through the C++ search, so another normalisation than
  // the one recorded at export applies as it does to the run itself.
  auto other_norm = run_s2s("translate --threads 1 --length-norm gnmt --model " + dir.file("avg.pt") + " --input " + input +
                            " 2>/dev/null");
  CHECK(other_norm.exit_code == 0);
  auto other_norm_native = run_s2s("translate --threads 1 --length-norm gnmt --checkpoint avg --model " + run +
                                   " --input " + input + " 2>/dev/null");
  CHECK(other_norm.output == other_norm_native.output);
}

TEST_CASE("fine-tuning (train --init-from) starts from a run's weights, names a model key that differs, needs its tokenizer",
          "[features]") {
  ScratchDir dir;
  const std::string corpus = make_synthetic_corpus(dir, "copy", 150, 2, 6);
  REQUIRE(run_s2s("train --config " + tiny_config(dir, "base", corpus, 6) + " --out " + dir.file("base")).exit_code == 0);

  // A learning rate too small to move the weights: the fine-tuned run translates as the base run.
  const auto frozen = tiny_config(dir, "frozen", corpus, 1, {{"learning_rate", 1e-30}});
  auto tuned = run_s2s("train --config " + frozen + " --init-from " + dir.file("base") + " --out " + dir.file("tuned"));
  REQUIRE(tuned.exit_code == 0);
  CHECK_THAT(tuned.output, Catch::Contains("initialised the weights from"));
  const auto input = dir.write("in.txt", "a b c\nd e f\nb\n");
  auto base_out = run_s2s("translate --threads 1 --model " + dir.file("base") + " --input " + input + " 2>/dev/null");
  auto tuned_out = run_s2s("translate --threads 1 --model " + dir.file("tuned") + " --input " + input + " 2>/dev/null");
  CHECK(base_out.output == tuned_out.output);
  // Started afresh: step 1, not base's 6.
  CHECK(s2s::read_checkpoint_state(dir.file("tuned/checkpoint_last.pt"))["step"] == 1);

  auto other_shape = run_s2s("train --config " + frozen + " --set model.d_model=48 --init-from " + dir.file("base") +
                             " --out " + dir.file("wider"));
  CHECK(other_shape.exit_code == 2);
  CHECK_THAT(other_shape.output, Catch::Contains("model.d_model") && Catch::Contains("48"));

  // Another corpus with base's tokenizer is fine; one with its own tokenizer is refused.
  const std::string reversed = make_synthetic_corpus(dir, "reverse", 150, 2, 6);
  auto refused = run_s2s("train --config " + tiny_config(dir, "rev", reversed, 1) + " --init-from " + dir.file("base") +
                         " --out " + dir.file("rev"));
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.output, Catch::Contains("tokenizer") && Catch::Contains("--tokenizer-from"));
  auto prepared = run_s2s("prepare --train-src " + dir.file("raw-reverse/train.src") + " --train-trg " +
                          dir.file("raw-reverse/train.trg") + " --dev-size 20 --test-size 20 --tokenizer-from " +
                          dir.file("base") + " --out " + dir.file("reuse"));
  REQUIRE(prepared.exit_code == 0);
  CHECK(read_file(dir.file("reuse/spm.model")) == read_file(dir.file("base/spm.model")));
  auto accepted = run_s2s("train --config " + tiny_config(dir, "reuse", dir.file("reuse"), 2) + " --init-from " +
                          dir.file("base") + " --out " + dir.file("reuse-run"));
  CHECK(accepted.exit_code == 0);

  // Ensembles need one vocabulary.
  REQUIRE(run_s2s("train --config " + tiny_config(dir, "rev2", reversed, 2) + " --out " + dir.file("rev2")).exit_code == 0);
  auto different = run_s2s("translate --model " + dir.file("base") + " --model " + dir.file("rev2") + " --input " + input);
  CHECK(different.exit_code == 1);
  CHECK_THAT(different.output, Catch::Contains("target vocabulary"));
  auto pair = run_s2s("translate --threads 1 --model " + dir.file("base") + " --model " + dir.file("reuse-run") +
                      " --nbest 2 --beam 2 --input " + input);
  CHECK(pair.exit_code == 0);
}

TEST_CASE("a checkpoint whose size field claims more bytes than the file holds is refused before allocating them",
          "[features]") {
  ScratchDir dir;
  auto model = build_case(transformer_case());
  save_model(dir.file("ok.pt"), *model, 1);
  std::string bytes = read_file(dir.file("ok.pt"));
  const uint64_t huge = uint64_t(1) << 39;  // 512 GiB: allocating it first would fail or swap the machine
  std::memcpy(&bytes[16], &huge, 8);
  dir.write("huge.pt", bytes);
  auto target = build_case(transformer_case());
  s2s::CheckpointContents contents;
  contents.model = target.get();
  auto message = error_of([&] { s2s::load_checkpoint(dir.file("huge.pt"), contents); });
  CHECK_THAT(message, Catch::Contains("huge.pt") && Catch::Contains("truncated"));
}
