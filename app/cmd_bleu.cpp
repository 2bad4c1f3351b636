// `s2s bleu`: sacreBLEU-compatible corpus BLEU and chrF (or sentence BLEU per
// line) of a hypothesis file against one or more reference files.
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "command_registry.h"
#include "metrics/bleu.h"
#include "metrics/chrf.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/utf8.h"

namespace {

struct BleuArgs {
  std::vector<std::string> refs;
  std::string hyp;
  std::string tokenize = "13a";
  bool lowercase = false;
  bool sentence = false;
  bool json = false;
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

void run_bleu(const BleuArgs& args) {
  const bool from_stdin = args.hyp.empty() || args.hyp == "-";
  const std::string hyp_name = from_stdin ? std::string("standard input") : args.hyp;
  std::string hyp_text;
  if (from_stdin) {
    hyp_text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    hyp_text = s2s::read_text_file(args.hyp);
  }
  const std::vector<std::string> hyps = split_lines(hyp_text, "hypothesis " + hyp_name);

  std::vector<std::vector<std::string>> refs;
  for (const std::string& path : args.refs) {
    refs.push_back(split_lines(s2s::read_text_file(path), "reference " + path));
    if (refs.back().size() != hyps.size())
      throw s2s::Error("hypothesis " + hyp_name + " has " + count_lines(hyps.size()) + " but reference " + path +
                       " has " + count_lines(refs.back().size()));
  }

  s2s::BleuOptions options;
  options.tokenize = s2s::parse_sacre_tokenizer(args.tokenize);
  options.lowercase = args.lowercase;

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

s2s::app::CommandRegistration registration([](CLI::App& root) {
  auto args = std::make_shared<BleuArgs>();
  CLI::App* cmd = root.add_subcommand(
      "bleu", "Score a hypothesis file with BLEU and chrF exactly as sacreBLEU 2.6.0 does");
  cmd->add_option("--ref,-r", args->refs, "Reference file(s), one line per hypothesis line (repeat --ref or list several for multiple references)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--hyp", args->hyp, "Hypothesis file (default: standard input)");
  cmd->add_option("--tokenize,-t", args->tokenize, "Tokenizer applied before BLEU")
      ->check(CLI::IsMember({"13a", "intl", "char", "none"}));
  cmd->add_flag("--lowercase,-l", args->lowercase, "Lowercase hypothesis and references before scoring");
  cmd->add_flag("--sentence", args->sentence, "Print sentence BLEU for each line instead of corpus scores");
  cmd->add_flag("--json", args->json, "Print every figure as JSON");
  cmd->callback([args] { run_bleu(*args); });
});

}  // namespace
