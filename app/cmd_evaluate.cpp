// `s2s evaluate`: translate a test set and score it (BLEU, chrF, BLEU by length).
#include <chrono>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "command_registry.h"
#include "search_flags.h"
#include "data/corpus.h"
#include "util/runtime.h"
#include "translate/evaluation.h"
#include "translate/translator.h"
#include "util/atomic_file.h"
#include "util/error.h"

namespace {

struct EvaluateFlags {
  std::string src, device = "cpu", output;
  std::vector<std::string> models, refs;
  s2s::app::SearchFlags search;
  int64_t batch_tokens = 2000;
  int threads = 0;
  bool json = false;
};

s2s::app::CommandRegistration registration("evaluate", [](CLI::App* cmd) {
  auto flags = std::make_shared<EvaluateFlags>();
  cmd->add_option("--model", flags->models, "Training directory; repeat it for an ensemble")->required();
  cmd->add_option("--src", flags->src, "Source file")->required();
  cmd->add_option("--ref", flags->refs, "Reference file (repeatable)")->required();
  flags->search.add_to(cmd);
  cmd->add_option("--batch-tokens", flags->batch_tokens, "Source tokens (x beam) per decoding batch")
      ->check(CLI::Range(1, 1 << 30));
  cmd->add_option("--threads", flags->threads, "CPU threads (0 = all cores)")->check(CLI::Range(0, 4096));
  cmd->add_option("--device", flags->device, "cpu or cuda");
  cmd->add_option("--output", flags->output,
                  "Also save the translations here (detokenised, one line per source line, as `translate` prints them)");
  cmd->add_flag("--json", flags->json, "Print every figure as JSON");
  cmd->callback([flags] {
    s2s::configure_threads(flags->threads);
    auto sources = s2s::read_lines(flags->src);
    std::vector<std::vector<std::string>> refs;
    for (const auto& path : flags->refs) {
      refs.push_back(s2s::read_lines(path));
      if (refs.back().size() != sources.size()) {
        throw s2s::Error("reference " + path + " has " + std::to_string(refs.back().size()) + " lines but source " +
                         flags->src + " has " + std::to_string(sources.size()));
      }
    }
    const auto device = s2s::resolve_device(flags->device);
    auto bundle = s2s::app::load_runs(flags->models, flags->search.checkpoint, device);
    s2s::TranslationOptions options;
    flags->search.apply(options.search);
    options.batch_tokens = flags->batch_tokens;
    options.input_name = flags->src;
    auto start = std::chrono::steady_clock::now();
    auto hyps = s2s::Translator(bundle, options).translate_text(sources);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!flags->output.empty()) {
      std::string text;
      for (const auto& h : hyps) text += h + "\n";
      s2s::write_text_atomically(flags->output, text);
    }
    auto result = s2s::score_translations(sources, hyps, refs);
    if (refs.size() > 1) {
      // Also against the first reference alone, so one- and multi-reference scores sit side by side.
      auto first = s2s::score_translations(sources, hyps, {refs.front()});
      result["first_reference_only"] = {{"bleu", first["bleu"]}, {"chrf", first["chrf"]}};
    }
    result["decode_seconds"] = seconds;
    result["beam"] = flags->search.beam;
    result["model"] = flags->models.size() == 1 ? nlohmann::json(flags->models.front()) : nlohmann::json(flags->models);
    result["checkpoint"] = bundle.checkpoint_path;
    result["length_norm"] = flags->search.length_norm;
    if (flags->json) {
      std::cout << result.dump(2) << "\n";
      return;
    }
    auto interval = [](const nlohmann::json& score) {
      if (!score.contains("interval")) return std::string();
      std::ostringstream text;
      text << std::fixed << std::setprecision(2) << " [95% CI " << score["interval"]["lower"].get<double>() << ", "
           << score["interval"]["upper"].get<double>() << "]";
      return text.str();
    };
    std::cout << "BLEU = " << std::fixed << std::setprecision(2) << result["bleu"]["score"].get<double>()
              << interval(result["bleu"]) << "  (" << result["bleu"]["signature"].get<std::string>() << ")\n";
    std::cout << "chrF2 = " << result["chrf"]["score"].get<double>() << interval(result["chrf"]) << "\n";
    if (result.contains("first_reference_only"))
      std::cout << "against " << flags->refs.front() << " alone: BLEU = "
                << result["first_reference_only"]["bleu"]["score"].get<double>() << ", chrF2 = "
                << result["first_reference_only"]["chrf"]["score"].get<double>() << "\n";
    std::cout << "BLEU by source length (words):\n";
    for (const auto& b : result["bleu_by_length"]) {
      std::cout << "  " << std::setw(6) << b["bucket"].get<std::string>() << "  " << std::setw(5)
                << b["sentences"].get<int64_t>() << " sentences  BLEU "
                << (b.contains("bleu") ? std::to_string(b["bleu"].get<double>()).substr(0, 5) : std::string("—")) << "\n";
    }
    std::cout << "decoded " << sources.size() << " sentences in " << seconds << " s (beam " << flags->search.beam << ")\n";
  });
});

}  // namespace
