// `s2s prepare`: clean, filter and split a parallel corpus and train its SentencePiece model.
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include "command_registry.h"
#include "data/prepare.h"

namespace {

void print_summary(const s2s::PrepareResult& result, std::ostream& out) {
  const auto& stats = result.stats;
  out << (result.skipped ? "unchanged (already prepared): " : "prepared: ") << result.out_dir << "\n";
  if (!stats.contains("splits")) return;
  out << std::left << std::setw(6) << "split" << std::right << std::setw(8) << "read" << std::setw(8) << "kept"
      << std::setw(8) << "empty" << std::setw(10) << "too long" << std::setw(8) << "ratio" << std::setw(11)
      << "src words" << std::setw(11) << "trg words" << std::setw(12) << "src pieces" << std::setw(12)
      << "trg pieces" << "\n";
  for (const char* name : {"train", "dev", "test"}) {
    const auto& s = stats["splits"][name];
    auto pieces = [&](const char* side) {
      const auto& sub = stats.value("subword_tokens", nlohmann::json::object());
      return sub.contains(name) && sub[name].contains(side) ? sub[name][side].value("mean", 0.0) : 0.0;
    };
    out << std::left << std::setw(6) << name << std::right << std::setw(8) << s.value("read", 0) << std::setw(8)
        << s.value("kept", 0) << std::setw(8) << s["dropped"].value("empty", 0) << std::setw(10)
        << s["dropped"].value("too_long", 0) << std::setw(8) << s["dropped"].value("ratio", 0) << std::fixed
        << std::setprecision(2) << std::setw(11) << s["words"]["source"].value("mean", 0.0) << std::setw(11)
        << s["words"]["target"].value("mean", 0.0) << std::setw(12) << pieces("source") << std::setw(12)
        << pieces("target") << "\n";
  }
  const auto& v = stats["vocabulary"];
  out << "vocabulary: " << (v.value("joint", true) ? "joint" : "separate") << " " << v.value("model_type", "")
      << ", requested " << v.value("vocab_size", 0) << ", actual " << v["actual_vocab_size"].dump() << "\n";
  out << "stats: " << result.out_dir << "/stats.json\n";
}

}  // namespace

static s2s::app::CommandRegistration reg("prepare", [](CLI::App* cmd) {
  auto options = std::make_shared<s2s::PrepareOptions>();
  cmd->footer(
      "Output layout: DIR/{train,dev,test}.{src,trg}, DIR/spm.model (or spm.src.model + spm.trg.model), "
      "DIR/stats.json, DIR/prepare.json.\n"
      "Example: s2s prepare --train-src c.es --train-trg c.en --dev-size 1000 --test-size 1000 --out data/es-en\n"
      "         s2s prepare --bible --out data/bible   (Spanish -> English, from the Debian SWORD packages)");

  auto* train_src = cmd->add_option("--train-src", options->train.source_path, "training source text, one sentence per line (may be gzipped)");
  auto* train_trg = cmd->add_option("--train-trg", options->train.target_path, "training target text, line-aligned with --train-src");
  auto* train_tsv = cmd->add_option("--train-tsv", options->train.tsv_path, "training pairs as one TSV file (see --src-col/--trg-col)");
  cmd->add_option("--src-col", options->source_column, "source column of TSV inputs, 0-based")->capture_default_str();
  cmd->add_option("--trg-col", options->target_column, "target column of TSV inputs, 0-based")->capture_default_str();
  cmd->add_option("--dev-src", options->dev.source_path, "dev source text");
  cmd->add_option("--dev-trg", options->dev.target_path, "dev target text");
  cmd->add_option("--dev-tsv", options->dev.tsv_path, "dev pairs as a TSV file");
  cmd->add_option("--test-src", options->test.source_path, "test source text");
  cmd->add_option("--test-trg", options->test.target_path, "test target text");
  cmd->add_option("--test-tsv", options->test.tsv_path, "test pairs as a TSV file");
  cmd->add_option("--dev-size", options->dev.carve, "carve N dev pairs out of the training data (seeded, deterministic)")
      ->check(CLI::Range(0, 100000000));
  cmd->add_option("--test-size", options->test.carve, "carve N test pairs out of the training data (seeded, deterministic)")
      ->check(CLI::Range(0, 100000000));
  cmd->add_option("--seed", options->seed, "seed for carving and SentencePiece")->capture_default_str();
  cmd->add_option("--out", options->out_dir, "the corpus directory to create")->required();
  cmd->add_option("--vocab-size", options->vocab_size, "SentencePiece vocabulary size")->capture_default_str();
  cmd->add_option("--model-type", options->model_type, "SentencePiece model type")
      ->check(CLI::IsMember({"unigram", "bpe"}))
      ->capture_default_str();
  cmd->add_flag("--separate-vocab", options->separate_vocab, "train separate source and target models instead of one joint model");
  cmd->add_option("--tokenizer-from", options->tokenizer_from,
                  "reuse the SentencePiece model(s) of this corpus or training directory instead of training new ones "
                  "(to fine-tune a run on this corpus with s2s train --init-from)");
  cmd->add_option("--character-coverage", options->character_coverage, "SentencePiece character coverage")->capture_default_str();
  cmd->add_option("--max-words", options->filter.max_words, "drop training pairs with a side longer than this many words (0: no limit)")
      ->capture_default_str();
  cmd->add_option("--max-ratio", options->filter.max_ratio, "drop training pairs whose word-count ratio exceeds this (0: no limit)")
      ->capture_default_str();
  cmd->add_option("--threads", options->threads, "threads for SentencePiece training")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  auto* bible = cmd->add_flag("--bible", options->bible,
                              "extract the Spanish-English Bible (Reina-Valera 1909 / King James, Debian SWORD packages) "
                              "into DIR/raw and prepare from it");
  cmd->add_option("--bible-script", options->bible_script, "the extraction script for --bible")
      ->default_str(s2s::default_bible_script());
  cmd->add_flag("--force", options->force, "redo the preparation even if DIR already holds it");

  train_src->excludes(train_tsv);
  train_trg->excludes(train_tsv);
  bible->excludes(train_src)->excludes(train_trg)->excludes(train_tsv);

  cmd->callback([options] {
    const auto result = s2s::prepare_corpus(*options, &std::cerr);
    print_summary(result, std::cout);
  });
});
