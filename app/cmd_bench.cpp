// `s2s bench`: the speed measurements on their own, for one trained model.
//  - latency against length (encoder, teacher-forced decoder, generation)
//  - decoding throughput on a file, greedy and beam, with and without the
//    decoder state/cache reuse, measured side by side in one run.
#include <chrono>
#include <iostream>

#include "bench/latency.h"
#include "command_registry.h"
#include "data/corpus.h"
#include "util/runtime.h"
#include "translate/translator.h"

namespace {

struct BenchFlags {
  std::string model, src;
  std::vector<int64_t> lengths = {8, 16, 32, 64, 128, 256};
  std::vector<int> beams = {1, 5};
  int64_t max_sentences = 200;
  int repeats = 3;
  int64_t batch_size = 1;
  int threads = 0;
  std::string device = "cpu";
};

nlohmann::json decode_speed(s2s::ModelBundle& bundle, const std::vector<std::string>& sources, int beam, bool cache) {
  s2s::TranslationOptions options;
  options.search.beam = beam;
  options.search.use_cache = cache;
  auto start = std::chrono::steady_clock::now();
  auto results = s2s::Translator(bundle, options).translate(sources);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  int64_t tokens = 0;
  for (const auto& r : results) tokens += static_cast<int64_t>(r.nbest.front().tokens.size()) + 1;
  return {{"beam", beam}, {"cache", cache}, {"sentences", sources.size()}, {"output_tokens", tokens},
          {"seconds", seconds}, {"sentences_per_second", sources.size() / seconds}, {"tokens_per_second", tokens / seconds}};
}

s2s::app::CommandRegistration registration("bench", [](CLI::App* cmd) {
  auto flags = std::make_shared<BenchFlags>();
  cmd->add_option("--model", flags->model, "Training directory")->required();
  cmd->add_option("--src", flags->src, "Source file for decoding throughput (omit to skip)");
  cmd->add_option("--lengths", flags->lengths, "Lengths for the latency curves");
  cmd->add_option("--beams", flags->beams, "Beam sizes for decoding throughput");
  cmd->add_option("--max-sentences", flags->max_sentences, "Sentences of --src to decode");
  cmd->add_option("--repeats", flags->repeats, "Timed repeats per latency point (median reported)");
  cmd->add_option("--batch-size", flags->batch_size, "Sentences per latency measurement")->check(CLI::Range(1, 4096));
  cmd->add_option("--threads", flags->threads, "CPU threads (0 = all cores)");
  cmd->add_option("--device", flags->device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  cmd->callback([flags] {
    s2s::configure_threads(flags->threads);
    auto bundle = s2s::load_model_bundle(flags->model, "best", s2s::resolve_device(flags->device));
    s2s::print_startup_banner(bundle.device);
    nlohmann::json out = {{"model", flags->model}, {"description", bundle.model->describe()},
                          {"machine", s2s::describe_machine(bundle.device)}};
    s2s::LatencyOptions latency;
    latency.lengths = flags->lengths;
    latency.repeats = flags->repeats;
    latency.batch_size = flags->batch_size;
    out["latency"] = s2s::measure_latency(*bundle.model, bundle.tokenizers.source->vocab_size(),
                                          bundle.tokenizers.target->vocab_size(), latency);
    if (!flags->src.empty()) {
      auto sources = s2s::read_lines(flags->src);
      if (flags->max_sentences > 0 && static_cast<int64_t>(sources.size()) > flags->max_sentences) {
        sources.resize(flags->max_sentences);
      }
      nlohmann::json decoding = nlohmann::json::array();
      for (int beam : flags->beams) {
        auto with_cache = decode_speed(bundle, sources, beam, true);
        auto without_cache = decode_speed(bundle, sources, beam, false);
        decoding.push_back({{"beam", beam}, {"with_cache", with_cache}, {"without_cache", without_cache},
                            {"speedup", without_cache["seconds"].get<double>() / with_cache["seconds"].get<double>()}});
        std::cerr << "beam " << beam << ": " << with_cache["sentences_per_second"].get<double>()
                  << " sentences/s with the cache, " << without_cache["sentences_per_second"].get<double>()
                  << " without (x" << decoding.back()["speedup"].get<double>() << ")\n";
      }
      out["decoding"] = decoding;
    }
    std::cout << out.dump(2) << "\n";
  });
});

}  // namespace
