#include "bench/latency.h"

#include <algorithm>
#include <chrono>

namespace s2s {
namespace {

template <typename F>
double median_ms(int repeats, F run) {
  run();  // warm-up: allocator and kernel caches
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    auto start = std::chrono::steady_clock::now();
    run();
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

torch::Tensor random_ids(int64_t batch, int64_t length, int64_t vocab, torch::Generator& gen) {
  // Ids 4.. avoid PAD/UNK/BOS/EOS.
  return torch::randint(4, std::max<int64_t>(vocab, 5), {batch, length}, gen, torch::kLong);
}

}  // namespace

nlohmann::json measure_latency(Seq2SeqModel& model, int64_t src_vocab, int64_t trg_vocab, const LatencyOptions& options) {
  torch::NoGradGuard no_grad;
  model.eval();
  auto device = model.parameters().front().device();
  auto gen = at::detail::createCPUGenerator(options.seed);
  const int64_t B = options.batch_size;
  nlohmann::json out = {{"batch_size", B}, {"repeats", options.repeats},
                        {"source_length_for_decoder", options.source_length_for_decoder}};
  nlohmann::json encoder = nlohmann::json::array(), teacher = nlohmann::json::array(), generation = nlohmann::json::array();

  auto fixed_src = random_ids(B, options.source_length_for_decoder, src_vocab, gen).to(device);
  auto fixed_lengths = torch::full({B}, options.source_length_for_decoder, torch::kLong).to(device);
  auto memory = model.encode(fixed_src, fixed_lengths);

  for (int64_t L : options.lengths) {
    auto src = random_ids(B, L, src_vocab, gen).to(device);
    auto lengths = torch::full({B}, L, torch::kLong).to(device);
    encoder.push_back({{"length", L}, {"ms", median_ms(options.repeats, [&] { model.encode(src, lengths); })}});

    auto trg = random_ids(B, L, trg_vocab, gen).to(device);
    teacher.push_back({{"length", L}, {"ms", median_ms(options.repeats, [&] { model.decode(memory, trg); })}});

    generation.push_back({{"length", L}, {"ms", median_ms(options.repeats, [&] {
                            auto state = model.start(memory);
                            auto tokens = trg.select(1, 0);
                            for (int64_t t = 0; t < L; ++t) {
                              auto logits = model.step(state, tokens);
                              tokens = logits.argmax(-1);
                            }
                          })}});
  }
  out["encoder"] = encoder;
  out["teacher_forced_decoder"] = teacher;
  out["autoregressive"] = generation;
  return out;
}

}  // namespace s2s
