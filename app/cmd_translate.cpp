// `s2s translate`: lines in (stdin or --input), translations out, streaming:
// the input is read in chunks, so a large file never sits whole in memory.
#include <fstream>
#include <iostream>

#include "command_registry.h"
#include "search_flags.h"
#include "data/corpus.h"
#include "export/scripted_model.h"
#include "export/torchscript_export.h"
#include "util/runtime.h"
#include "translate/translator.h"
#include "util/error.h"
#include "util/utf8.h"

namespace {

struct TranslateFlags {
  std::vector<std::string> models;
  std::string input;
  s2s::app::SearchFlags search;
  int nbest = 1;
  double max_length_a = 1.5;
  int64_t max_length_b = 10;
  int64_t max_source_tokens = 0;
  int64_t batch_tokens = 2000;
  int64_t chunk_lines = 2000;
  int threads = 0;
  std::string device = "cpu";
  bool attention_json = false;
};

void print_results(const std::vector<s2s::Translation>& results, const TranslateFlags& flags) {
  for (const auto& r : results) {
    if (flags.attention_json) {
      nlohmann::json j = {{"translation", r.text}, {"source_tokens", r.source_pieces}, {"target_tokens", r.target_pieces},
                          {"score", r.nbest.front().score}, {"attention", r.nbest.front().attention}};
      std::cout << j.dump() << "\n";
    } else if (flags.nbest > 1) {
      for (size_t k = 0; k < r.nbest.size(); ++k) std::cout << r.nbest_texts[k] << "\t" << r.nbest[k].score << "\n";
      std::cout << "\n";
    } else {
      std::cout << r.text << "\n";
    }
  }
  std::cout.flush();
}

s2s::app::CommandRegistration registration("translate", [](CLI::App* cmd) {
  auto flags = std::make_shared<TranslateFlags>();
  cmd->add_option("--model", flags->models,
                  "Training directory or exported .pt file; repeat it with training directories for an ensemble "
                  "(log-probabilities averaged at each step)")
      ->required();
  cmd->add_option("--input", flags->input, "Input file (default: stdin)");
  flags->search.add_to(cmd);
  cmd->add_option("--nbest", flags->nbest, "Hypotheses per line (tab-separated with their scores; blank line after each)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--max-length-a", flags->max_length_a, "Output limit a*|src|+b: a")->check(CLI::Range(0.0, 1000.0));
  cmd->add_option("--max-length-b", flags->max_length_b, "Output limit a*|src|+b: b")->check(CLI::Range(0, 1000000));
  cmd->add_option("--max-source-tokens", flags->max_source_tokens,
                  "Longer source lines are truncated to this many subword tokens, with a warning naming the line "
                  "(0 = the model's limit, see README)")
      ->check(CLI::Range(0, 1 << 20));
  cmd->add_option("--batch-tokens", flags->batch_tokens, "Source tokens (x beam) per decoding batch")
      ->check(CLI::Range(1, 1 << 30));
  cmd->add_option("--chunk-lines", flags->chunk_lines, "Lines read ahead and sorted by length at a time")
      ->check(CLI::Range(1, 10000000));
  cmd->add_option("--threads", flags->threads, "CPU threads (0 = all cores)")->check(CLI::Range(0, 4096));
  cmd->add_option("--device", flags->device, "cpu or cuda");
  cmd->add_flag("--attention-json", flags->attention_json,
                "Print one JSON object per line with tokens and the attention of the best hypothesis");
  cmd->callback([flags] {
    if (flags->nbest > flags->search.beam) {
      throw s2s::UsageError("--nbest " + std::to_string(flags->nbest) + " exceeds --beam " + std::to_string(flags->search.beam));
    }
    if (flags->max_length_a == 0 && flags->max_length_b == 0) {
      throw s2s::UsageError("--max-length-a and --max-length-b are both 0: every translation would be empty");
    }
    // The input is checked before the (slow) model load.
    std::unique_ptr<s2s::LineReader> file;
    if (!flags->input.empty()) file = std::make_unique<s2s::LineReader>(flags->input);
    s2s::configure_threads(flags->threads);
    // The model is a training directory, an exported TorchScript file, or several training directories.
    const bool exported = s2s::is_exported_model(flags->models.front());
    if (exported && flags->models.size() > 1) {
      throw s2s::UsageError("an ensemble is made of training directories; " + flags->models.front() +
                            " is an exported file");
    }
    // An export decodes through the same search as a training directory (export/scripted_model.h).
    const auto device = s2s::resolve_device(flags->device);
    s2s::ModelBundle bundle = exported ? s2s::load_exported_bundle(flags->models.front(), device)
                                       : s2s::app::load_runs(flags->models, flags->search.checkpoint, device);
    s2s::TranslationOptions options;
    flags->search.apply(options.search);
    options.search.nbest = flags->nbest;
    options.search.max_length_a = flags->max_length_a;
    options.search.max_length_b = flags->max_length_b;
    options.search.keep_attention = flags->attention_json;
    options.batch_tokens = flags->batch_tokens;
    options.max_source_tokens = flags->max_source_tokens;
    options.input_name = flags->input.empty() ? "stdin" : flags->input;
    s2s::Translator translator(bundle, options);
    int64_t first_line = 1;  // of the current chunk, for warnings naming the line
    auto translate = [&](const std::vector<std::string>& lines) { return translator.translate(lines, first_line); };

    const std::string name = options.input_name;
    std::vector<std::string> chunk;
    std::string line;
    int64_t line_number = 0;
    auto next_line = [&] {
      if (file) {
        if (!file->next(line)) return false;
        line_number = static_cast<int64_t>(file->line_number());
        return true;
      }
      if (!std::getline(std::cin, line)) return false;
      ++line_number;
      if (line_number == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // byte-order mark
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find('\0') != std::string::npos) {
        throw s2s::Error(name + ":" + std::to_string(line_number) + ": the line contains a NUL byte");
      }
      if (!s2s::is_valid_utf8(line)) throw s2s::Error(name + ":" + std::to_string(line_number) + ": invalid UTF-8");
      return true;
    };
    while (next_line()) {
      chunk.push_back(line);
      if (static_cast<int64_t>(chunk.size()) >= flags->chunk_lines) {
        print_results(translate(chunk), *flags);
        chunk.clear();
        first_line = line_number + 1;
      }
    }
    if (!chunk.empty()) print_results(translate(chunk), *flags);
  });
});

}  // namespace
