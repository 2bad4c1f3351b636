#include "command_list.h"

namespace s2s::app {

const std::vector<CommandSummary>& command_list() {
  static const std::vector<CommandSummary> commands = {
      {"prepare", "Build a corpus directory: clean, filter and split parallel text, and train its SentencePiece model"},
      {"synthetic", "Write a synthetic task (copy, reverse, sort) as train/dev/test text"},
      {"train", "Train one model (RNN or Transformer) from a JSON config"},
      {"translate", "Translate lines with a trained model (stdin to stdout by default)"},
      {"evaluate", "Translate a test set and report BLEU, chrF and BLEU by source length"},
      {"bleu", "Score a hypothesis file with BLEU and chrF exactly as sacreBLEU 2.6.0 does"},
      {"compare", "Train every model of an experiment on the same data and budget, evaluate, benchmark and write the report"},
      {"report", "Render report.html and report.md from a compare run's results.json"},
      {"bench", "Speed measurements for one trained model (JSON on stdout)"},
      {"export", "Export a trained model to TorchScript (usable from C++ and Python)"},
      {"average", "Average the parameters of a run's last N kept checkpoints"},
  };
  return commands;
}

}  // namespace s2s::app
