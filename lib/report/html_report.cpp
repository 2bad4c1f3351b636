#include "report/html_report.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "report/findings.h"
#include "report/report_format.h"
#include "report/report_tables.h"
#include "report/svg_plot.h"

namespace s2s::report {

namespace {

const int kPlotWidth = 560;

const char* const kStyle = R"css(
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#1d232b;font:15px/1.5 system-ui,-apple-system,"Segoe UI","DejaVu Sans","Liberation Sans",Arial,sans-serif}
main{max-width:1280px;margin:0 auto;padding:24px 24px 64px}
h1{font-size:26px;margin:8px 0 4px}
h2{font-size:19px;margin:0 0 8px}
h3{font-size:16px;margin:18px 0 6px}
p{margin:6px 0}
.sub{color:#5a6470;margin:0 0 4px}
section{background:#fff;border:1px solid #e0e3e8;border-radius:8px;padding:16px 22px;margin:18px 0}
.findings li{margin:6px 0}
.note{color:#5a6470;font-size:14px}
.plots{display:flex;flex-wrap:wrap;gap:16px;margin:10px 0}
.plots svg{max-width:100%;height:auto;border:1px solid #eceef1;border-radius:4px}
.heads{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-start}
.table-wrap{overflow-x:auto;margin:8px 0 12px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:13.5px}
caption{text-align:left;font-weight:600;padding:4px 0 6px}
th,td{padding:4px 9px;border-bottom:1px solid #e6e8eb;text-align:right;white-space:nowrap}
th{white-space:normal;vertical-align:bottom;max-width:110px}
th{background:#f7f8fa;font-weight:600;border-bottom:2px solid #d5d9df}
td.text,th.text{text-align:left}
tbody tr:hover{background:#fafbfc}
.swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:7px;vertical-align:-1px}
code{background:#f0f2f4;border-radius:3px;padding:1px 5px;font-size:13px;word-break:break-all}
pre{background:#f6f7f9;border:1px solid #e6e8eb;border-radius:4px;padding:10px;overflow-x:auto;font-size:12px}
.example{margin:8px 0 18px}
.tokens{font-size:13px;color:#3a434e;margin:2px 0}
.examples td{white-space:normal;min-width:90px;max-width:980px;text-align:left}
)css";

std::string e(const std::string& s) { return html_escape(s); }

std::string table_html(const Table& t) {
  std::ostringstream out;
  out << "<div class=\"table-wrap\"><table>";
  if (!t.caption.empty()) out << "<caption>" << e(t.caption) << "</caption>";
  out << "<thead><tr>";
  for (std::size_t c = 0; c < t.headers.size(); ++c)
    out << "<th" << (t.is_text_column(c) ? " class=\"text\"" : "") << " scope=\"col\">" << e(t.headers[c]) << "</th>";
  out << "</tr></thead><tbody>";
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    out << "<tr>";
    for (std::size_t c = 0; c < t.rows[r].size(); ++c) {
      out << "<td" << (t.is_text_column(c) ? " class=\"text\"" : "") << ">";
      if (c == t.swatch_column && r < t.row_colors.size()) out << "<span class=\"swatch\" style=\"background:" << t.row_colors[r] << "\"></span>";
      out << e(t.rows[r][c]) << "</td>";
    }
    out << "</tr>";
  }
  out << "</tbody></table></div>";
  return out.str();
}

std::vector<svg::Point> curve_points(const ModelInfo& m, const std::string& x_key, const std::string& y_key) {
  std::vector<svg::Point> points;
  const nlohmann::json* curve = array_at(*m.json, "training/curve");
  if (curve == nullptr) return points;
  for (const auto& entry : *curve) {
    auto x = number_at(entry, x_key);
    auto y = number_at(entry, y_key);
    if (x && y) points.push_back({*x, *y});
  }
  return points;
}

std::string loss_plot(const std::vector<ModelInfo>& models) {
  svg::LinePlot plot;
  plot.title = "Loss against wall-clock training time";
  plot.x_label = "wall-clock training time (s)";
  plot.y_label = "loss";
  plot.width = kPlotWidth;
  bool any_dev = false;
  for (const auto& m : models) {
    plot.series.push_back({m.name, m.color, curve_points(m, "seconds", "train_loss"), false, true});
    auto dev = curve_points(m, "seconds", "dev_loss");
    any_dev = any_dev || !dev.empty();
    plot.series.push_back({m.name + " dev", m.color, dev, true, false});
  }
  plot.style_keys = {{"train loss", false}};
  if (any_dev) plot.style_keys.push_back({"dev loss", true});
  plot.empty_message = "no training curve in results.json";
  return svg::render_line_plot(plot);
}

std::string dev_bleu_plot(const std::vector<ModelInfo>& models) {
  svg::LinePlot plot;
  plot.title = "Dev BLEU against wall-clock training time";
  plot.x_label = "wall-clock training time (s)";
  plot.y_label = "dev BLEU";
  plot.y_from_zero = true;
  plot.width = kPlotWidth;
  for (const auto& m : models) plot.series.push_back({m.name, m.color, curve_points(m, "seconds", "dev_bleu"), false, true});
  plot.empty_message = "no dev BLEU in results.json";
  return svg::render_line_plot(plot);
}

std::string throughput_plot(const std::vector<ModelInfo>& models) {
  svg::BarChart chart;
  chart.title = "Training throughput";
  chart.x_label = "model";
  chart.y_label = "target tokens per second";
  chart.width = kPlotWidth;
  chart.series_labels = {"target tokens/s"};
  chart.value_decimals = 0;
  chart.empty_message = "no training throughput in results.json";
  for (const auto& m : models) {
    chart.categories.push_back(m.name);
    chart.category_colors.push_back(m.color);
    chart.values.push_back({number_at(*m.json, "training/target_tokens_per_second")});
  }
  return svg::render_bar_chart(chart);
}

std::string latency_plot(const std::vector<ModelInfo>& models, const LatencyKind& kind) {
  svg::LinePlot plot;
  plot.title = std::string(kind.title) + " latency against length";
  plot.x_label = kind.length_label;
  plot.y_label = "latency (ms)";
  plot.log_x = true;
  plot.log_y = true;
  plot.width = kPlotWidth;
  plot.x_ticks = latency_lengths(models, kind.key);
  for (const auto& m : models) {
    std::vector<svg::Point> points;
    if (const nlohmann::json* list = array_at(*m.json, std::string("latency/") + kind.key)) {
      for (const auto& entry : *list) {
        auto l = number_at(entry, "length");
        auto ms = number_at(entry, "ms");
        if (l && ms) points.push_back({*l, *ms});
      }
    }
    std::sort(points.begin(), points.end(), [](const svg::Point& a, const svg::Point& b) { return a.x < b.x; });
    plot.series.push_back({m.name, m.color, points, false, true});
  }
  plot.empty_message = "no latency measurements in results.json";
  return svg::render_line_plot(plot);
}

std::string by_length_plot(const std::vector<ModelInfo>& models) {
  svg::BarChart chart;
  chart.title = "Test BLEU by source length (whiskers: 95% bootstrap interval)";
  chart.x_label = "source length (words)";
  chart.y_label = "test BLEU";
  chart.width = 2 * kPlotWidth + 16;
  chart.height = 380;
  for (const auto& m : models) {
    chart.series_labels.push_back(m.name);
    chart.series_colors.push_back(m.color);
  }
  for (const auto& name : bucket_names(models)) {
    chart.categories.push_back(name);
    std::optional<double> sentences;
    std::vector<std::optional<double>> values;
    std::vector<std::optional<svg::BarChart::Interval>> intervals;
    for (const auto& m : models) {
      const nlohmann::json* entry = bucket_entry(m, name);
      values.push_back(entry ? number_at(*entry, "bleu") : std::nullopt);
      auto low = entry ? number_at(*entry, "bleu_lower") : std::nullopt;
      auto high = entry ? number_at(*entry, "bleu_upper") : std::nullopt;
      intervals.push_back(low && high ? std::optional<svg::BarChart::Interval>({*low, *high}) : std::nullopt);
      if (entry && !sentences) sentences = number_at(*entry, "sentences");
    }
    chart.values.push_back(values);
    chart.intervals.push_back(intervals);
    chart.category_notes.push_back(sentences ? "n=" + grouped(sentences) : "");
  }
  chart.empty_message = "no BLEU by length in results.json";
  return svg::render_bar_chart(chart);
}

// A matrix of numbers; anything that is not a finite number becomes NaN (drawn grey).
std::vector<std::vector<double>> matrix_of(const nlohmann::json* j) {
  std::vector<std::vector<double>> m;
  if (j == nullptr || !j->is_array()) return m;
  for (const auto& row : *j) {
    std::vector<double> r;
    if (row.is_array())
      for (const auto& v : row) r.push_back(v.is_number() ? v.get<double>() : NAN);
    m.push_back(std::move(r));
  }
  return m;
}

std::vector<std::string> tokens_of(const nlohmann::json& example, const char* key) {
  std::vector<std::string> tokens;
  if (const nlohmann::json* list = array_at(example, key))
    for (const auto& t : *list) tokens.push_back(t.is_string() ? t.get<std::string>() : std::string(kDash));
  return tokens;
}

// SentencePiece pieces joined back into text ("▁" marks a word start).
// Special symbols such as "</s>" are left out of the text.
std::string detokenize(const std::vector<std::string>& tokens) {
  std::string text;
  for (const auto& t : tokens)
    if (!(t.size() >= 3 && t.front() == '<' && t.back() == '>')) text += t;
  std::string out;
  const std::string marker = "\xE2\x96\x81";
  for (std::size_t i = 0; i < text.size();) {
    if (text.compare(i, marker.size(), marker) == 0) {
      if (!out.empty()) out += ' ';
      i += marker.size();
    } else {
      out += text[i++];
    }
  }
  return out;
}

double max_finite(const std::vector<std::vector<double>>& m, double start) {
  double v = start;
  for (const auto& row : m)
    for (double x : row)
      if (std::isfinite(x)) v = std::max(v, x);
  return v;
}

std::string attention_section(const std::vector<ModelInfo>& models) {
  std::ostringstream out;
  for (const auto& m : models) {
    out << "<h3><span class=\"swatch\" style=\"background:" << m.color << "\"></span>" << e(m.name);
    if (auto d = string_at(*m.json, "description")) out << " <span class=\"note\">(" << e(*d) << ")</span>";
    out << "</h3>";
    const nlohmann::json* examples = array_at(*m.json, "attention_examples");
    if (examples == nullptr || examples->empty()) {
      if (m.attention == "none")
        out << "<p class=\"note\">No attention: the decoder sees only the final encoder state.</p>";
      else
        out << "<p class=\"note\">results.json has no attention examples for this model.</p>";
      continue;
    }
    for (std::size_t i = 0; i < examples->size(); ++i) {
      const nlohmann::json& ex = (*examples)[i];
      auto source = tokens_of(ex, "source_tokens");
      auto target = tokens_of(ex, "target_tokens");
      auto weights = matrix_of(find_at(ex, "weights"));
      const nlohmann::json* heads = array_at(ex, "heads");
      out << "<div class=\"example\">";
      out << "<p class=\"tokens\"><strong>Example " << i + 1 << "</strong> &middot; source: " << e(detokenize(source))
          << " &middot; output: " << e(detokenize(target)) << "</p>";
      svg::Heatmap map;
      map.title = m.name + ", example " + std::to_string(i + 1) +
                  (heads != nullptr && !heads->empty() ? ": average over heads" : ": attention weights");
      map.x_labels = source;
      map.y_labels = target;
      map.cells = weights;
      map.vmax = max_finite(weights, 0.0);
      out << "<div class=\"plots\">" << svg::render_heatmap(map) << "</div>";
      if (heads != nullptr && !heads->empty()) {
        std::vector<std::vector<std::vector<double>>> per_head;
        double vmax = 0;
        for (const auto& h : *heads) {
          per_head.push_back(matrix_of(&h));
          vmax = max_finite(per_head.back(), vmax);
        }
        out << "<p class=\"note\">Per head (encoder&ndash;decoder attention of the last decoder layer), one colour scale "
               "from 0 to "
            << e(significant(vmax, 2)) << ":</p><div class=\"heads\">";
        for (std::size_t h = 0; h < per_head.size(); ++h) {
          svg::Heatmap head;
          head.title = "head " + std::to_string(h + 1);
          head.x_labels = source;
          head.y_labels = target;
          head.cells = per_head[h];
          head.vmax = vmax;
          head.max_cell = 14;
          head.max_matrix_width = 280;
          head.colorbar = false;
          head.x_axis_label = "source";
          head.y_axis_label = "target";
          out << svg::render_heatmap(head);
        }
        out << "</div>";
      }
      out << "</div>";
    }
  }
  return out.str();
}

}  // namespace

std::string render_html(const nlohmann::json& results) {
  const std::vector<ModelInfo> models = read_models(results);
  const std::vector<std::string> findings = derive_findings(results);
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      << "<title>s2s compare report</title><style>" << kStyle << "</style></head><body><main>\n";

  // Header.
  out << "<h1>RNN seq2seq vs Transformer: s2s compare report</h1>";
  std::string corpus = corpus_sentence(results);
  if (!corpus.empty()) out << "<p class=\"sub\">Data: " << e(corpus) << ".</p>";
  out << "<p class=\"sub\">Run started " << e(string_at(results, "started_at").value_or(kDash)) << ", took "
      << e(duration(number_at(results, "wall_seconds"))) << "; device " << e(string_at(results, "machine/device").value_or(kDash))
      << "; seed " << e(grouped(number_at(results, "seed"))) << ".</p>";
  std::string budget = budget_sentence(results);
  if (!budget.empty()) out << "<p class=\"sub\">Equal budget: " << e(budget) << ".</p>";
  std::string test_set = test_set_sentence(results);
  if (!test_set.empty()) out << "<p class=\"sub\">Scored on " << e(test_set) << ".</p>";
  out << "\n";

  // Findings.
  out << "<section class=\"findings\"><h2>Findings</h2>";
  out << "<p class=\"note\">Derived from the numbers below; a different run may say something different.</p><ul>";
  for (const auto& f : findings) out << "<li>" << e(f) << "</li>";
  if (findings.empty()) out << "<li>results.json holds too few numbers to compare the models.</li>";
  out << "</ul></section>\n";

  // Headline.
  out << "<section><h2>Quality and cost at equal budget</h2>" << table_html(headline_table(models));
  auto sigs = signatures(models);
  if (sigs.empty()) {
    out << "<p class=\"note\">BLEU signature: " << kDash << "</p>";
  } else {
    for (const auto& s : sigs) {
      out << "<p class=\"note\">BLEU signature <code>" << e(s.signature) << "</code>";
      if (sigs.size() > 1) {
        out << " (";
        for (std::size_t i = 0; i < s.used_by.size(); ++i) out << (i ? ", " : "") << e(s.used_by[i]);
        out << ")";
      }
      out << "</p>";
    }
  }
  const Table references = references_table(models, results);
  if (!references.rows.empty()) out << table_html(references);
  out << "</section>\n";

  // Significance.
  const Table tests = significance_table(results);
  if (!tests.rows.empty()) {
    out << "<section><h2>Which differences are real</h2><p class=\"note\">Paired bootstrap resampling of the test "
           "sentences (sacreBLEU 2.6.0's test, 1,000 resamples, seed 12345): the 95% interval of each difference and "
           "the p-value of the hypothesis that the two models' outputs are equally good. A difference is called a win "
           "only when p &lt; 0.05 and it is not zero. Rerun any of them with <code>s2s bleu --ref "
        << e(string_at(results, "outputs_dir").value_or("outputs")) << "/test.ref.txt --hyp A --hyp B --paired-bs</code>."
        << "</p>" << table_html(tests) << "</section>\n";
  }

  // Training.
  out << "<section><h2>Training</h2><p class=\"note\">Loss and dev BLEU against wall-clock time: "
         "which model learns more per second of training on this machine.</p>";
  out << "<div class=\"plots\">" << loss_plot(models) << dev_bleu_plot(models) << throughput_plot(models) << "</div></section>\n";

  // Speed.
  out << "<section><h2>Speed against length</h2><p class=\"note\">Encoder: the whole source at once. "
         "Teacher-forced decoder: the whole target given at once, as in training. Autoregressive: generating one "
         "token at a time, each step seeing all earlier outputs. Log-log axes; a slope of 1 means latency "
         "proportional to length.</p><div class=\"plots\">";
  for (const auto& kind : latency_kinds()) out << latency_plot(models, kind);
  out << "</div>" << table_html(latency_table(models)) << "</section>\n";

  // Quality by length.
  out << "<section><h2>BLEU by source length</h2><p class=\"note\">A fixed-length encoder state has to hold the "
         "whole source; if that is a bottleneck, the model without attention falls behind on long sentences. "
         "A dash marks a bucket without a score.</p>";
  out << "<div class=\"plots\">" << by_length_plot(models) << "</div>" << table_html(by_length_table(models))
      << "</section>\n";

  // Attention.
  out << "<section><h2>Attention</h2><p class=\"note\">Where each output token looked in the source: rows are output "
         "tokens, columns source tokens, darker is more weight.</p>"
      << attention_section(models) << "</section>\n";

  // Examples.
  if (const nlohmann::json* examples = array_at(results, "examples"); examples != nullptr && !examples->empty()) {
    out << "<section class=\"examples\"><h2>Example translations</h2><p class=\"note\">Greedy decoding. Chosen by "
           "a fixed rule: the first test sentences of 6–12 source words, then the longest ones, where a fixed-size "
           "encoder state has the most to hold. Every test output is saved under <code>"
        << e(string_at(results, "outputs_dir").value_or("outputs")) << "</code>.</p>";
    for (const auto& example : *examples) out << table_html(example_table(example));
    out << "</section>\n";
  }

  // Run.
  out << "<section><h2>Run</h2>" << table_html(run_table(results));
  out << "<p>Reproduce: <code>" << e(string_at(results, "command").value_or(kDash)) << "</code></p>";
  out << "<p class=\"note\">Re-render this page from the numbers, in the folder holding results.json: "
         "<code>s2s report --results results.json --out .</code></p>";
  if (const nlohmann::json* config = find_at(results, "config"))
    out << "<details><summary>Resolved experiment config</summary><pre>" << e(config->dump(2)) << "</pre></details>";
  out << "</section>\n</main></body></html>\n";
  return out.str();
}

}  // namespace s2s::report
