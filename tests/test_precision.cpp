// train.precision and what the step does to gradients: the autocast scope,
// the fp16 loss scaler, clipping without a host read, and training in bf16
// on a CPU that has fast bf16 (or its refusal on one that has not).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <limits>

#include "data/corpus.h"
#include "model_test_support.h"
#include "search/search.h"
#include "run/model_bundle.h"
#include "util/config.h"
#include "test_support.h"
#include "train/gradients.h"
#include "train/precision.h"
#include "util/runtime.h"

using namespace s2s_test;

namespace {

// Parameters with the given gradients.
std::vector<torch::Tensor> with_gradients(const std::vector<torch::Tensor>& gradients) {
  std::vector<torch::Tensor> parameters;
  for (const auto& g : gradients) {
    auto p = torch::zeros_like(g).requires_grad_(true);
    p.mutable_grad() = g.clone();
    parameters.push_back(p);
  }
  return parameters;
}

bool cpu_bf16_helps() {
  try {
    s2s::check_precision_supported(s2s::Precision::bf16, torch::Device(torch::kCPU));
    return true;
  } catch (const s2s::UsageError&) {
    return false;
  }
}

}  // namespace

TEST_CASE("clipping without a host read matches LibTorch's clip_grad_norm_, and leaves small gradients alone",
          "[precision]") {
  torch::manual_seed(3);
  const std::vector<torch::Tensor> gradients = {torch::randn({4, 5}) * 3, torch::randn({7}), torch::randn({2, 2, 2})};
  auto ours = with_gradients(gradients), theirs = with_gradients(gradients);
  const double expected_norm = torch::nn::utils::clip_grad_norm_(theirs, 1.5);
  auto norm = s2s::clip_gradient_norm(ours, 1.5);
  CHECK(norm.dim() == 0);
  CHECK(norm.item<double>() == Approx(expected_norm).epsilon(1e-5));
  for (size_t i = 0; i < ours.size(); ++i) CHECK(torch::allclose(ours[i].grad(), theirs[i].grad(), 1e-5, 1e-7));
  double clipped = 0;
  for (const auto& p : ours) clipped += p.grad().pow(2).sum().item<double>();
  CHECK(std::sqrt(clipped) == Approx(1.5).epsilon(1e-4));

  auto small = with_gradients({torch::full({3}, 0.1)});
  s2s::clip_gradient_norm(small, 10.0);
  CHECK(torch::equal(small[0].grad(), torch::full({3}, 0.1)));
}

TEST_CASE("the fp16 loss scaler: scales, unscales, flags overflow, backs off and grows", "[precision]") {
  s2s::GradientScalerOptions options;
  options.initial_scale = 1024;
  options.growth_interval = 3;
  s2s::GradientScaler scaler(true, options);
  CHECK(scaler.scale_loss(torch::tensor(2.0)).item<double>() == 2048.0);

  auto finite = with_gradients({torch::full({2}, 512.0), torch::full({3}, 1024.0)});
  CHECK_FALSE(scaler.unscale_gradients(finite).item<bool>());
  CHECK(torch::equal(finite[0].grad(), torch::full({2}, 0.5)));
  CHECK(torch::equal(finite[1].grad(), torch::full({3}, 1.0)));

  auto overflowed = with_gradients({torch::full({2}, 1.0), torch::tensor({1.0f, std::numeric_limits<float>::infinity()})});
  CHECK(scaler.unscale_gradients(overflowed).item<bool>());
  auto nan = with_gradients({torch::tensor({std::numeric_limits<float>::quiet_NaN()})});
  CHECK(scaler.unscale_gradients(nan).item<bool>());

  scaler.update(true);
  CHECK(scaler.scale() == 512.0);
  scaler.update(false);
  scaler.update(false);
  CHECK(scaler.scale() == 512.0);
  scaler.update(false);  // the third clean step in a row
  CHECK(scaler.scale() == 1024.0);

  // A checkpoint carries the scale and the clean steps towards the next growth.
  scaler.update(false);
  s2s::GradientScaler resumed(true, options);
  resumed.restore(scaler.state());
  CHECK(resumed.scale() == 1024.0);
  resumed.update(false);
  resumed.update(false);
  CHECK(resumed.scale() == 2048.0);
  CHECK_THROWS_WITH(resumed.restore({{"scale", -1.0}}), Catch::Contains("gradient scaler"));

  // Disabled (fp32, bf16): the identity, and it never changes its scale.
  s2s::GradientScaler disabled(false);
  CHECK(disabled.scale_loss(torch::tensor(3.0)).item<double>() == 3.0);
  auto untouched = with_gradients({torch::full({2}, 8.0)});
  CHECK_FALSE(disabled.unscale_gradients(untouched).item<bool>());
  CHECK(torch::equal(untouched[0].grad(), torch::full({2}, 8.0)));
  disabled.update(true);
  CHECK(disabled.scale() == 1.0);
}

TEST_CASE("an autocast scope runs matmuls in bf16 inside, fp32 outside, and restores what it found", "[precision]") {
  const torch::Device cpu(torch::kCPU);
  auto x = torch::randn({2, 8}), w = torch::randn({4, 8});
  CHECK(torch::nn::functional::linear(x, w).scalar_type() == torch::kFloat);
  {
    s2s::AutocastScope outer(s2s::Precision::bf16, cpu);
    CHECK(torch::nn::functional::linear(x, w).scalar_type() == torch::kBFloat16);
    {
      s2s::AutocastScope inner(s2s::Precision::bf16, cpu);
      CHECK(torch::matmul(x, w.t()).scalar_type() == torch::kBFloat16);
    }
    // The inner scope ended; the outer one still holds.
    CHECK(torch::nn::functional::linear(x, w).scalar_type() == torch::kBFloat16);
    // Softmax-like reductions stay fp32 under CPU autocast's rules.
    CHECK(torch::log_softmax(x, -1).scalar_type() == torch::kFloat);
  }
  CHECK(torch::nn::functional::linear(x, w).scalar_type() == torch::kFloat);
  {
    s2s::AutocastScope none(s2s::Precision::fp32, cpu);
    CHECK(torch::nn::functional::linear(x, w).scalar_type() == torch::kFloat);
  }
}

TEST_CASE("train.precision: names, and the precisions a CPU refuses before any output", "[precision]") {
  CHECK(s2s::precision_from_name("bf16") == s2s::Precision::bf16);
  CHECK(s2s::precision_name(s2s::precision_from_name("fp16")) == "fp16");
  CHECK_THROWS_WITH(s2s::precision_from_name("fp8"), Catch::Contains("train.precision"));

  ScratchDir dir;
  auto fp16 = run_s2s("train --set train.precision=fp16 --set data.dir=" + dir.path + " --out " + dir.file("run"));
  CHECK(fp16.exit_code == 2);
  CHECK_THAT(fp16.output, Catch::Contains("fp16 needs train.device cuda"));
  CHECK_FALSE(std::filesystem::exists(dir.file("run")));
  auto unknown = run_s2s("train --set train.precision=fp8 --set data.dir=" + dir.path + " --out " + dir.file("run"));
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.output, Catch::Contains("train.precision"));
  CHECK_FALSE(std::filesystem::exists(dir.file("run")));
}

TEST_CASE("train.precision auto picks bf16 only where it measures well ahead, and says what it measured", "[precision]") {
  const torch::Device cpu(torch::kCPU);
  std::string why;
  const auto chosen = s2s::resolve_precision("auto", cpu, &why);
  CHECK(chosen != s2s::Precision::fp16);
  CHECK_THAT(why, Catch::Contains("bf16 matmul") && Catch::Contains("GFLOP/s") && Catch::Contains("cpu"));
  INFO(why);
  // Chosen bf16 means it was far ahead: the explicit request is accepted too.
  if (chosen == s2s::Precision::bf16) CHECK(cpu_bf16_helps());
  CHECK_THROWS_WITH(s2s::resolve_precision("fp16", cpu), Catch::Contains("fp16 needs train.device cuda"));
  CHECK(s2s::resolve_precision("fp32", cpu) == s2s::Precision::fp32);
}

TEST_CASE("bf16 on the CPU: trains like fp32 with fp32 weights where bf16 is fast, refused with the measurement where not",
          "[precision]") {
  ScratchDir dir;
  const std::string corpus = make_synthetic_corpus(dir, "reverse", 150, 2, 6);
  nlohmann::json config = {
      {"model", {{"architecture", "transformer"}, {"d_model", 32}, {"heads", 4}, {"ff_dim", 64},
                 {"encoder_layers", 1}, {"decoder_layers", 1}, {"dropout", 0.0}}},
      {"data", {{"dir", corpus}, {"max_tokens", 400}}},
      {"train", {{"learning_rate", 0.003}, {"warmup_steps", 5}, {"max_steps", 30}, {"log_every", 1}, {"threads", 1}}},
      {"eval", {{"every_steps", 0}, {"max_sentences", 20}}}};
  const std::string path = dir.write("config.json", config.dump());
  if (!cpu_bf16_helps()) {
    WARN("this CPU has no bf16 instructions: only the refusal is checked");
    auto refused = run_s2s("train --config " + path + " --set train.precision=bf16 --out " + dir.file("bf16"));
    CHECK(refused.exit_code == 2);
    CHECK_THAT(refused.output, Catch::Contains("would not help") && Catch::Contains("instructions") &&
                                   Catch::Contains("GFLOP/s"));
    // The refusal follows the instruction set, not a timing: asked again, the same answer.
    CHECK(run_s2s("train --config " + path + " --set train.precision=bf16 --out " + dir.file("bf16")).exit_code == 2);
    CHECK_FALSE(std::filesystem::exists(dir.file("bf16")));
    return;
  }
  REQUIRE(run_s2s("train --config " + path + " --out " + dir.file("fp32")).exit_code == 0);
  auto bf16 = run_s2s("train --config " + path + " --set train.precision=bf16 --out " + dir.file("bf16"));
  REQUIRE(bf16.exit_code == 0);
  auto a = train_losses(dir.file("fp32/metrics.jsonl")), b = train_losses(dir.file("bf16/metrics.jsonl"));
  REQUIRE(a.size() == 30);
  REQUIRE(b.size() == 30);
  // Not the same arithmetic (the losses differ), yet the same learning: both
  // fall well below their start and end within a few percent of each other.
  CHECK(a != b);
  CHECK(b.back() < 0.8 * b.front());
  CHECK(std::abs(b.back() - a.back()) < 0.05 * a.back());
  CHECK(s2s::read_json_file(dir.file("bf16/summary.json"))["precision"] == "bf16");
  CHECK(s2s::read_json_file(dir.file("fp32/summary.json"))["precision"] == "fp32");
  // auto measures a training pass in each precision, records what it chose (never "auto"),
  // and trains exactly as that precision does: the measurement leaves the random stream as it was.
  auto automatic = run_s2s("train --config " + path + " --set train.precision=auto --out " + dir.file("auto"));
  REQUIRE(automatic.exit_code == 0);
  CHECK_THAT(automatic.output, Catch::Contains("train.precision auto: ") && Catch::Contains("a training pass took"));
  const std::string recorded = s2s::read_json_file(dir.file("auto/summary.json"))["precision"];
  REQUIRE((recorded == "bf16" || recorded == "fp32"));
  CHECK(train_losses(dir.file("auto/metrics.jsonl")) == (recorded == "bf16" ? b : a));
  auto resumed_auto = run_s2s("train --resume --set train.max_steps=32 --out " + dir.file("auto"));
  REQUIRE(resumed_auto.exit_code == 0);
  CHECK_THAT(resumed_auto.output, Catch::Contains("train.precision auto: " + recorded + " (as the resumed checkpoint trained)"));

  // Checkpoints stay fp32, and the bf16 run resumes and translates like any other.
  auto bundle = s2s::load_model_bundle(dir.file("bf16"), "last", torch::Device(torch::kCPU));
  for (const auto& p : bundle.model->parameters()) CHECK(p.scalar_type() == torch::kFloat);
  REQUIRE(run_s2s("train --resume --set train.max_steps=33 --out " + dir.file("bf16")).exit_code == 0);
  CHECK(train_losses(dir.file("bf16/metrics.jsonl")).size() == 33);
  auto translated = run_s2s("translate --threads 1 --model " + dir.file("bf16") + " --input " + dir.write("in.txt", "a b c\n"));
  CHECK(translated.exit_code == 0);
}

// ---- On a GPU machine only: hidden from CTest ([.cuda]); tests/gpu/gpu_checks.sh runs them. ----

TEST_CASE("on CUDA: every model's forward pass and search agree with the CPU's", "[.cuda]") {
  if (!torch::cuda::is_available()) FAIL("no CUDA device: these checks run on a GPU machine (tests/gpu/gpu_checks.sh)");
  const torch::Device cuda(torch::kCUDA);
  for (const auto& c : model_cases()) {
    INFO(c.name);
    auto on_cpu = build_case(c), on_gpu = build_case(c);
    on_gpu->to(cuda);
    const auto src = random_sequences({5, 7, 2}, c.src_vocab, 11), trg = random_sequences({4, 6, 3}, c.trg_vocab, 12);
    auto batch = make_batch(src, trg);
    torch::NoGradGuard no_grad;
    auto cpu_logits = on_cpu->decode(on_cpu->encode(batch.src, batch.src_lengths), batch.trg_in).logits;
    auto gpu_logits = on_gpu->decode(on_gpu->encode(batch.src.to(cuda), batch.src_lengths.to(cuda)), batch.trg_in.to(cuda)).logits;
    CHECK(max_abs_diff(cpu_logits, gpu_logits.cpu()) < 1e-4);
    for (int beam : {1, 3}) {
      s2s::SearchOptions options;
      options.beam = beam;
      options.keep_attention = c.has_attention;
      auto a = s2s::search(*on_cpu, batch.src, batch.src_lengths, options);
      auto b = s2s::search(*on_gpu, batch.src.to(cuda), batch.src_lengths.to(cuda), options);
      REQUIRE(a.size() == b.size());
      for (size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].front().tokens == b[i].front().tokens);
        CHECK(a[i].front().score == Approx(b[i].front().score).epsilon(1e-4));
      }
    }
  }
}

TEST_CASE("on CUDA: training in fp32, bf16 and fp16 learns alike, keeps fp32 checkpoints, and translates", "[.cuda]") {
  if (!torch::cuda::is_available()) FAIL("no CUDA device: these checks run on a GPU machine (tests/gpu/gpu_checks.sh)");
  ScratchDir dir;
  const std::string corpus = make_synthetic_corpus(dir, "reverse", 400, 2, 8);
  const auto input = dir.write("in.txt", "a b c d\ne f\n");
  for (const char* architecture : {"transformer", "rnn"}) {
    INFO(architecture);
    nlohmann::json model = std::string(architecture) == "rnn"
                               ? nlohmann::json{{"architecture", "rnn"}, {"embed_dim", 32}, {"hidden_dim", 48}, {"attention", "bahdanau"}}
                               : nlohmann::json{{"architecture", "transformer"}, {"d_model", 32}, {"heads", 4}, {"ff_dim", 64},
                                                {"encoder_layers", 1}, {"decoder_layers", 1}};
    nlohmann::json config = {{"model", model},
                             {"data", {{"dir", corpus}, {"max_tokens", 400}}},
                             {"train", {{"learning_rate", 0.003}, {"warmup_steps", 5}, {"max_steps", 60}, {"log_every", 1},
                                        {"device", "cuda"}}},
                             {"eval", {{"every_steps", 30}, {"max_sentences", 20}}}};
    const std::string path = dir.write(std::string(architecture) + ".json", config.dump());
    std::vector<std::vector<double>> curves;
    for (const char* precision : {"fp32", "bf16", "fp16"}) {
      INFO(precision);
      const std::string run = dir.file(std::string(architecture) + "-" + precision);
      auto trained = run_s2s("train --config " + path + " --set train.precision=" + precision + " --out " + run);
      REQUIRE(trained.exit_code == 0);
      CHECK(s2s::read_json_file(run + "/summary.json")["precision"] == precision);
      auto bundle = s2s::load_model_bundle(run, "last", torch::Device(torch::kCPU));
      for (const auto& p : bundle.model->parameters()) CHECK(p.scalar_type() == torch::kFloat);
      auto on_gpu = run_s2s("translate --device cuda --model " + run + " --input " + input + " 2>/dev/null");
      auto on_cpu = run_s2s("translate --device cpu --model " + run + " --input " + input + " 2>/dev/null");
      CHECK(on_gpu.exit_code == 0);
      CHECK(on_gpu.output == on_cpu.output);
      curves.push_back(train_losses(run + "/metrics.jsonl"));
    }
    // fp16 may skip a few early steps while its loss scale settles; the curves still end together.
    for (const auto& curve : curves) {
      REQUIRE(curve.size() >= 50);
      CHECK(curve.back() < 0.7 * curve.front());
      CHECK(std::abs(curve.back() - curves.front().back()) < 0.1 * curves.front().back());
    }
  }
}
