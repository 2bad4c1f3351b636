// `s2s bleu`: sacreBLEU-compatible corpus BLEU and chrF (or sentence BLEU per
// line) of a hypothesis file against one or more reference files, and
// sacreBLEU's paired significance tests of several systems against a baseline.
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "command_registry.h"
#include "metrics/bleu.h"
#include "metrics/chrf.h"
#include "metrics/significance_format.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/utf8.h"

namespace {

struct BleuArgs {
  std::vector<std::string> refs;
  std::vector<std::string> hyps;  // one, or the baseline then the systems for a paired test
  std::string tokenize = "13a";
  bool lowercase = false;
  bool sentence = false;
  bool json = false;
  bool paired_bs = false, paired_ar = false;
  int64_t paired_bs_n = 1000, paired_ar_n = 10000, paired_ar_confidence = -1;
  std::vector<std::string> metrics{"bleu", "chrf"};
};

// Splits text into lines on '\n' (a final newline does not start another line)
// and checks every line is valid UTF-8.
std::vector<std::string> split_lines(const std::string& text, const std::string& name) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.emplace_back(text, start, end - start);
    if (!s2s::is_valid_utf8(lines.back()))
      throw s2s::Error(name + " line " + std::to_string(lines.size()) + " is not valid UTF-8");
    start = end + 1;
  }
  return lines;
}

std::string count_lines(size_t n) { return std::to_string(n) + (n == 1 ? " line" : " lines"); }

std::vector<std::string> read_hypotheses(const std::string& path, std::string& name) {
  const bool from_stdin = path.empty() || path == "-";
  name = from_stdin ? std::string("standard input") : path;
  std::string text;
  if (from_stdin)
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  else
    text = s2s::read_text_file(path);
  return split_lines(text, "hypothesis " + name);
}

std::vector<std::vector<std::string>> read_references(const std::vector<std::string>& paths, size_t n_lines,
                                                      const std::string& hyp_name) {
  std::vector<std::vector<std::string>> refs;
  for (const std::string& path : paths) {
    refs.push_back(split_lines(s2s::read_text_file(path), "reference " + path));
    if (refs.back().size() != n_lines)
      throw s2s::Error("hypothesis " + hyp_name + " has " + count_lines(n_lines) + " but reference " + path +
                       " has " + count_lines(refs.back().size()));
  }
  return refs;
}

s2s::BleuOptions bleu_options(const BleuArgs& args) {
  s2s::BleuOptions options;
  options.tokenize = s2s::parse_sacre_tokenizer(args.tokenize);
  options.lowercase = args.lowercase;
  return options;
}

void run_paired_test(const BleuArgs& args) {
  std::vector<std::vector<std::string>> systems;
  std::vector<std::string> names;
  for (const std::string& path : args.hyps) {
    std::string name;
    systems.push_back(read_hypotheses(path, name));
    names.push_back(name);
    if (systems.back().size() != systems.front().size())
      throw s2s::Error("hypothesis " + name + " has " + count_lines(systems.back().size()) + " but the baseline " +
                       names.front() + " has " + count_lines(systems.front().size()));
  }
  if (systems.front().empty()) throw s2s::Error("baseline " + names.front() + " has no lines to test");
  const auto refs = read_references(args.refs, systems.front().size(), names.front());

  s2s::PairedTestReport report;
  report.system_names = names;
  report.options.kind = args.paired_bs ? s2s::PairedTestOptions::Kind::kBootstrap
                                       : s2s::PairedTestOptions::Kind::kApproximateRandomization;
  report.options.n_samples = args.paired_bs ? args.paired_bs_n : args.paired_ar_n;
  report.options.n_ar_confidence = args.paired_bs ? -1 : args.paired_ar_confidence;
  report.options.seed = s2s::significance_seed_from_env();

  s2s::ChrfOptions chrf_options;
  chrf_options.lowercase = args.lowercase;
  for (const std::string& metric_name : args.metrics) {
    const s2s::StatisticsMetric metric = metric_name == "bleu"
                                             ? s2s::bleu_statistics_metric(bleu_options(args), refs.size())
                                             : s2s::chrf_statistics_metric(chrf_options, refs.size());
    std::vector<s2s::SentenceStatistics> stats;
    for (const auto& system : systems) stats.push_back(metric.sentence_statistics(system, refs));
    report.metric_names.push_back(metric.name);
    report.signatures.push_back(s2s::paired_signature(metric.signature, report.options));
    report.scores.push_back(s2s::paired_test(stats, metric, report.options));
  }
  if (args.json)
    std::cout << s2s::paired_report_json(report).dump(2) << "\n";
  else
    std::cout << s2s::paired_report_text(report);
}

void check_usage(const BleuArgs& args) {
  auto usage = [](const std::string& message) { throw CLI::ValidationError(message); };
  if (args.paired_bs && args.paired_ar) usage("--paired-bs and --paired-ar exclude each other: choose one test");
  const bool paired = args.paired_bs || args.paired_ar;
  if (paired && args.hyps.size() < 2)
    usage("a paired test needs a baseline and at least one system: give --hyp BASELINE --hyp SYSTEM [...]");
  if (!paired && args.hyps.size() > 1)
    usage("several --hyp files are compared only by a paired test: add --paired-bs or --paired-ar");
  if (paired && args.sentence) usage("--sentence cannot be combined with a paired test");
  if (args.paired_bs_n < 1) usage("--paired-bs-n must be at least 1, got " + std::to_string(args.paired_bs_n));
  if (args.paired_ar_n < 1) usage("--paired-ar-n must be at least 1, got " + std::to_string(args.paired_ar_n));
  if (args.paired_ar_confidence == 0 || args.paired_ar_confidence < -1)
    usage("--paired-ar-confidence must be a positive number of resamples or -1 (none), got " +
          std::to_string(args.paired_ar_confidence));
  if (args.metrics.empty()) usage("--metrics needs at least one of bleu, chrf");
}

void run_bleu(const BleuArgs& args) {
  check_usage(args);
  if (args.paired_bs || args.paired_ar) return run_paired_test(args);
  std::string hyp_name;
  const std::vector<std::string> hyps = read_hypotheses(args.hyps.empty() ? std::string() : args.hyps.front(), hyp_name);
  const auto refs = read_references(args.refs, hyps.size(), hyp_name);
  const s2s::BleuOptions options = bleu_options(args);

  if (args.sentence) {
    for (const s2s::BleuResult& result : s2s::sentence_bleu_each(hyps, refs, options))
      std::cout << (args.json ? result.to_json().dump() : result.format()) << "\n";
    return;
  }

  s2s::ChrfOptions chrf_options;
  chrf_options.lowercase = args.lowercase;
  const s2s::BleuResult bleu = s2s::corpus_bleu(hyps, refs, options);
  const s2s::ChrfResult chrf = s2s::corpus_chrf(hyps, refs, chrf_options);
  if (args.json) {
    std::cout << nlohmann::json{{"bleu", bleu.to_json()}, {"chrf", chrf.to_json()}}.dump(2) << "\n";
  } else {
    std::cout << bleu.format() << "\n"
              << chrf.format() << "\n"
              << "BLEU signature: " << bleu.signature << "\n"
              << chrf.name() << " signature: " << chrf.signature << "\n";
  }
}

s2s::app::CommandRegistration registration("bleu", [](CLI::App* cmd) {
  auto args = std::make_shared<BleuArgs>();
  cmd->add_option("--ref,-r", args->refs, "Reference file(s), one line per hypothesis line (repeat --ref or list several for multiple references)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--hyp,-i", args->hyps,
                  "Hypothesis file (default: standard input); for a paired test the baseline first, then each system");
  cmd->add_option("--tokenize,-t", args->tokenize, "Tokenizer applied before BLEU")
      ->check(CLI::IsMember({"13a", "intl", "char", "none"}));
  cmd->add_flag("--lowercase,-l", args->lowercase, "Lowercase hypothesis and references before scoring");
  cmd->add_flag("--sentence", args->sentence, "Print sentence BLEU for each line instead of corpus scores");
  cmd->add_flag("--json", args->json, "Print every figure as JSON");
  cmd->add_flag("--paired-bs", args->paired_bs,
                "Paired bootstrap resampling test of every system against the first --hyp (sacreBLEU 2.6.0's numbers; "
                "seed from SACREBLEU_SEED, default 12345, 'none' = unseeded). As in sacreBLEU, a system identical to "
                "the baseline gets p = 1/(N+1): only strictly larger resampled differences are counted");
  cmd->add_flag("--paired-ar", args->paired_ar, "Paired approximate randomization test (same conventions)");
  cmd->add_option("--paired-bs-n", args->paired_bs_n, "Bootstrap resamples for --paired-bs")->capture_default_str();
  cmd->add_option("--paired-ar-n", args->paired_ar_n, "Trials for --paired-ar")->capture_default_str();
  cmd->add_option("--paired-ar-confidence", args->paired_ar_confidence,
                  "Bootstrap resamples for the mean and 95% CI under --paired-ar (-1 = none)")
      ->capture_default_str();
  cmd->add_option("--metrics", args->metrics, "Metrics for a paired test")
      ->delimiter(',')
      ->check(CLI::IsMember({"bleu", "chrf"}))
      ->capture_default_str();
  cmd->callback([args] { run_bleu(*args); });
});

}  // namespace
