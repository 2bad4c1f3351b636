#include "bench/latency.h"

#include <algorithm>
#include <chrono>
#include <string>

namespace s2s {
namespace {

struct Timing {
  double median, p25, p75;
  int runs;
};

double quantile(const std::vector<double>& sorted, double q) {
  const double at = q * static_cast<double>(sorted.size() - 1);
  const size_t low = static_cast<size_t>(at);
  const size_t high = std::min(low + 1, sorted.size() - 1);
  return sorted[low] + (at - static_cast<double>(low)) * (sorted[high] - sorted[low]);
}

// CUDA kernels run asynchronously: a timed run ends when the device has finished it.
void wait_for(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.has_index() ? device.index() : -1);
}

template <typename F>
Timing time_ms(const LatencyOptions& options, const torch::Device& device, F run) {
  std::vector<double> times;
  wait_for(device);
  double total = 0;
  while (static_cast<int>(times.size()) < std::max(1, options.repeats) ||
         (total < options.min_seconds * 1000.0 && static_cast<int>(times.size()) < options.max_repeats)) {
    auto start = std::chrono::steady_clock::now();
    run();
    wait_for(device);
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    total += times.back();
  }
  std::sort(times.begin(), times.end());
  return {quantile(times, 0.5), quantile(times, 0.25), quantile(times, 0.75), static_cast<int>(times.size())};
}

nlohmann::json point(int64_t length, const Timing& t) {
  return {{"length", length}, {"ms", t.median}, {"p25", t.p25}, {"p75", t.p75}, {"runs", t.runs}};
}

// Pairs of consecutive lengths where the longer one was faster beyond both spreads.
nlohmann::json non_monotone_steps(const std::string& kind, const nlohmann::json& curve) {
  nlohmann::json steps = nlohmann::json::array();
  for (size_t i = 1; i < curve.size(); ++i)
    if (curve[i]["p75"].get<double>() < curve[i - 1]["p25"].get<double>())
      steps.push_back({{"kind", kind}, {"shorter", curve[i - 1]["length"]}, {"longer", curve[i]["length"]}});
  return steps;
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

  struct Inputs {
    int64_t length;
    torch::Tensor src, lengths, trg;
  };
  std::vector<Inputs> inputs;
  for (int64_t L : options.lengths)
    inputs.push_back({L, random_ids(B, L, src_vocab, gen).to(device), torch::full({B}, L, torch::kLong).to(device),
                      random_ids(B, L, trg_vocab, gen).to(device)});
  auto run_encoder = [&](const Inputs& in) { model.encode(in.src, in.lengths); };
  auto run_teacher = [&](const Inputs& in) { model.decode(memory, in.trg); };
  auto run_generation = [&](const Inputs& in) {
    auto state = model.start(memory);
    auto tokens = in.trg.select(1, 0);
    for (int64_t t = 0; t < in.length; ++t) tokens = model.step(state, tokens).argmax(-1);
  };

  for (int sweep = 0; sweep < options.warmup_sweeps; ++sweep)
    for (const Inputs& in : inputs) {
      run_encoder(in);
      run_teacher(in);
      run_generation(in);
    }
  for (const Inputs& in : inputs) {
    encoder.push_back(point(in.length, time_ms(options, device, [&] { run_encoder(in); })));
    teacher.push_back(point(in.length, time_ms(options, device, [&] { run_teacher(in); })));
    generation.push_back(point(in.length, time_ms(options, device, [&] { run_generation(in); })));
  }
  out["encoder"] = encoder;
  out["teacher_forced_decoder"] = teacher;
  out["autoregressive"] = generation;
  nlohmann::json monotone = nlohmann::json::object(), flagged = nlohmann::json::array();
  for (const char* kind : {"encoder", "teacher_forced_decoder", "autoregressive"}) {
    const nlohmann::json steps = non_monotone_steps(kind, out[kind]);
    monotone[kind] = steps.empty();
    for (const auto& step : steps) flagged.push_back(step);
  }
  out["monotone"] = monotone;
  out["non_monotone"] = flagged;
  out["warmup_sweeps"] = options.warmup_sweeps;
  return out;
}

}  // namespace s2s
