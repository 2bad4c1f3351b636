#include "report/markdown_report.h"

#include <sstream>

#include "report/findings.h"
#include "report/report_format.h"
#include "report/report_tables.h"

namespace s2s::report {

namespace {

std::string table_markdown(const Table& t) {
  std::ostringstream out;
  if (!t.caption.empty()) out << "**" << markdown_escape(t.caption) << "**\n\n";
  out << "|";
  for (const auto& h : t.headers) out << ' ' << markdown_escape(h) << " |";
  out << "\n|";
  for (std::size_t c = 0; c < t.headers.size(); ++c) out << (t.is_text_column(c) ? " --- |" : " ---: |");
  out << "\n";
  for (const auto& row : t.rows) {
    out << "|";
    for (const auto& cell : row) out << ' ' << markdown_escape(cell) << " |";
    out << "\n";
  }
  out << "\n";
  return out.str();
}

std::string code(const std::string& text) {
  // A code span that survives backticks in the text.
  std::string fence = text.find('`') == std::string::npos ? "`" : "`` ";
  std::string close = fence == "`" ? "`" : " ``";
  return fence + text + close;
}

}  // namespace

std::string render_markdown(const nlohmann::json& results) {
  const std::vector<ModelInfo> models = read_models(results);
  const std::vector<std::string> findings = derive_findings(results);
  std::ostringstream out;
  out << "# RNN seq2seq vs Transformer: s2s compare report\n\n";
  std::string corpus = corpus_sentence(results);
  if (!corpus.empty()) out << "Data: " << corpus << ".  \n";
  out << "Run started " << string_at(results, "started_at").value_or(kDash) << ", took "
      << duration(number_at(results, "wall_seconds")) << "; device "
      << string_at(results, "machine/device").value_or(kDash) << "; seed " << grouped(number_at(results, "seed"))
      << ".  \n";
  std::string budget = budget_sentence(results);
  if (!budget.empty()) out << "Equal budget: " << budget << ".  \n";
  std::string test_set = test_set_sentence(results);
  if (!test_set.empty()) out << "Scored on " << test_set << ".\n";
  out << "\nThe plots are in report.html beside this file.\n\n## Findings\n\n";
  for (const auto& f : findings) out << "- " << f << "\n";
  if (findings.empty()) out << "- results.json holds too few numbers to compare the models.\n";

  out << "\n## Quality and cost at equal budget\n\n" << table_markdown(headline_table(models));
  auto sigs = signatures(models);
  if (sigs.empty()) out << "BLEU signature: " << kDash << "\n\n";
  for (const auto& s : sigs) {
    out << "BLEU signature " << code(s.signature);
    if (sigs.size() > 1) {
      out << " (";
      for (std::size_t i = 0; i < s.used_by.size(); ++i) out << (i ? ", " : "") << s.used_by[i];
      out << ")";
    }
    out << "\n\n";
  }

  const Table references = references_table(models, results);
  if (!references.rows.empty()) out << table_markdown(references);
  const Table tests = significance_table(results);
  if (!tests.rows.empty())
    out << "## Which differences are real\n\nPaired bootstrap resampling (sacreBLEU 2.6.0's test, 1,000 resamples, "
           "seed 12345). A difference is called a win only when p < 0.05 and it is not zero.\n\n"
        << table_markdown(tests);

  out << "## Speed against length\n\n" << table_markdown(latency_table(models));
  out << "## BLEU by source length\n\n" << table_markdown(by_length_table(models));

  out << "## Attention\n\n";
  for (const auto& m : models) {
    const nlohmann::json* examples = array_at(*m.json, "attention_examples");
    out << "- " << markdown_escape(m.name) << ": ";
    if (examples == nullptr || examples->empty()) {
      out << (m.attention == "none" ? "no attention: the decoder sees only the final encoder state."
                                    : "results.json has no attention examples for this model.");
    } else {
      out << examples->size() << (examples->size() == 1 ? " example" : " examples") << " (heatmaps in report.html).";
    }
    out << "\n";
  }

  if (const nlohmann::json* examples = array_at(results, "examples"); examples != nullptr && !examples->empty()) {
    out << "\n## Example translations\n\nGreedy decoding; the first test sentences of 6–12 source words, then the "
           "longest.\n\n";
    for (const auto& example : *examples) out << table_markdown(example_table(example));
  }

  out << "\n## Run\n\n" << table_markdown(run_table(results));
  out << "Reproduce: " << code(string_at(results, "command").value_or(kDash)) << "\n\n";
  out << "Re-render the report from the numbers, in the folder holding results.json: "
      << code("s2s report --results results.json --out .") << "\n";
  return out.str();
}

}  // namespace s2s::report
