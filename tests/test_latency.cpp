// Latency against length: no point is measured cold, and a curve that falls
// with length beyond its spread is flagged instead of interpreted.
#include <chrono>
#include <functional>
#include <thread>

#include <catch2/catch.hpp>

#include "bench/latency.h"
#include "util/error.h"

namespace {

// A stand-in model whose encoder takes a scripted time: the first `slow_calls` calls are slow (lazy
// initialisation), later ones take ms_for_length(S).
class ScriptedEncoderModel : public s2s::Seq2SeqModel {
 public:
  ScriptedEncoderModel(int slow_calls, std::function<double(int64_t)> ms_for_length)
      : slow_calls_(slow_calls), ms_for_length_(std::move(ms_for_length)) {
    register_parameter("unused", torch::zeros({1}));
  }
  s2s::EncoderOutput encode(const torch::Tensor& src, const torch::Tensor&) override {
    const double ms = ++calls_ <= slow_calls_ ? 40.0 : ms_for_length_(src.size(1));
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(ms * 1000)));
    return {torch::zeros({src.size(0), src.size(1), 4}), torch::ones({src.size(0), src.size(1)}, torch::kBool), {}};
  }
  s2s::DecodeOutput decode(const s2s::EncoderOutput&, const torch::Tensor& trg) override {
    return {torch::zeros({trg.size(0), trg.size(1), 8}), {}, {}};
  }
  s2s::DecoderState start(const s2s::EncoderOutput&) override { return {}; }
  torch::Tensor step(s2s::DecoderState&, const torch::Tensor& prev) override { return torch::zeros({prev.size(0), 8}); }
  std::string describe() const override { return "scripted encoder"; }
  int64_t target_vocab_size() const override { return 8; }
  void define_torchscript(torch::jit::Module&) const override { throw s2s::Error("a test model is not exported"); }
  std::string attention_description() const override { return "none"; }

 private:
  int calls_ = 0;
  int slow_calls_;
  std::function<double(int64_t)> ms_for_length_;
};

s2s::LatencyOptions options_for(std::vector<int64_t> lengths) {
  s2s::LatencyOptions options;
  options.lengths = std::move(lengths);
  options.repeats = 3;
  options.min_seconds = 0;
  options.source_length_for_decoder = 4;
  return options;
}

}  // namespace

TEST_CASE("the shortest length is never measured cold, even when the first several calls are slow", "[latency]") {
  // Five slow calls (40 ms each): more than one warm-up call per point would absorb. Later calls
  // take 1 ms; the bound leaves room for a busy machine's scheduling delays.
  ScriptedEncoderModel model(5, [](int64_t) { return 1.0; });
  const auto out = s2s::measure_latency(model, 8, 8, options_for({2, 4, 8}));
  CHECK(out["encoder"][0]["ms"].get<double>() < 20.0);
  CHECK(out["encoder"][0]["runs"].get<int>() >= 3);
}

TEST_CASE("a latency curve that falls with length beyond its spread is flagged as not monotone", "[latency]") {
  ScriptedEncoderModel falling(0, [](int64_t length) { return length == 2 ? 20.0 : 1.0; });
  const auto out = s2s::measure_latency(falling, 8, 8, options_for({2, 8}));
  CHECK(out["monotone"]["encoder"] == false);
  REQUIRE(out["non_monotone"].size() >= 1);
  CHECK(out["non_monotone"][0]["kind"] == "encoder");
  CHECK(out["non_monotone"][0]["shorter"] == 2);

  ScriptedEncoderModel rising(0, [](int64_t length) { return 1.5 * static_cast<double>(length); });
  CHECK(s2s::measure_latency(rising, 8, 8, options_for({2, 8}))["monotone"]["encoder"] == true);
}
