#include "metrics/significance_format.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace s2s {
namespace {

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

nlohmann::ordered_json optional_json(const std::optional<double>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

size_t display_width(const std::string& text) {
  size_t width = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++width;  // count UTF-8 lead bytes
  return width;
}

std::vector<std::string> split_cell(const std::string& cell) {
  std::vector<std::string> lines;
  std::stringstream in(cell);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  if (lines.empty()) lines.emplace_back();
  return lines;
}

std::string repeat(const std::string& piece, size_t times) {
  std::string out;
  for (size_t i = 0; i < times; ++i) out += piece;
  return out;
}

std::string score_cell(const PairedScore& score, bool is_baseline) {
  std::string cell = fixed(score.score, 1);
  if (score.mean && score.ci) cell += " (" + fixed(*score.mean, 1) + " ± " + fixed(*score.ci, 1) + ")";
  if (!is_baseline && score.p_value)
    cell += "\n(p = " + fixed(*score.p_value, 4) + ")" + (*score.p_value < 0.05 ? "*" : "");
  return cell;
}

}  // namespace

std::string box_table(const std::vector<std::vector<std::string>>& rows) {
  if (rows.empty()) return {};
  const size_t n_cols = rows.front().size();
  std::vector<size_t> widths(n_cols, 0);
  std::vector<std::vector<std::vector<std::string>>> cells;
  for (const auto& row : rows) {
    cells.emplace_back();
    for (size_t c = 0; c < n_cols; ++c) {
      cells.back().push_back(split_cell(c < row.size() ? row[c] : std::string()));
      for (const std::string& line : cells.back().back()) widths[c] = std::max(widths[c], display_width(line));
    }
  }
  auto rule = [&](const char* left, const char* fill, const char* joint, const char* right) {
    std::string line = left;
    for (size_t c = 0; c < n_cols; ++c) {
      line += repeat(fill, widths[c] + 2);
      line += c + 1 < n_cols ? joint : right;
    }
    return line + "\n";
  };
  std::string out = rule("╒", "═", "╤", "╕");
  for (size_t r = 0; r < cells.size(); ++r) {
    size_t height = 0;
    for (const auto& cell : cells[r]) height = std::max(height, cell.size());
    for (size_t l = 0; l < height; ++l) {
      out += "│";
      for (size_t c = 0; c < n_cols; ++c) {
        const std::string text = l < cells[r][c].size() ? cells[r][c][l] : std::string();
        out += " " + text + std::string(widths[c] - display_width(text), ' ') + " │";
      }
      out += "\n";
    }
    if (r == 0) out += rule("╞", "═", "╪", "╡");
    else if (r + 1 < cells.size()) out += rule("├", "─", "┼", "┤");
  }
  return out + rule("╘", "═", "╧", "╛");
}

nlohmann::ordered_json paired_report_json(const PairedTestReport& report) {
  nlohmann::ordered_json systems = nlohmann::ordered_json::array();
  for (size_t s = 0; s < report.system_names.size(); ++s) {
    nlohmann::ordered_json system{{"name", report.system_names[s]}};
    for (size_t m = 0; m < report.metric_names.size(); ++m) {
      const PairedScore& score = report.scores[m][s];
      system[report.metric_names[m]] = {{"score", score.score},
                                        {"mean", optional_json(score.mean)},
                                        {"ci", optional_json(score.ci)},
                                        {"p_value", optional_json(score.p_value)}};
    }
    systems.push_back(system);
  }
  nlohmann::ordered_json signatures = nlohmann::ordered_json::object();
  for (size_t m = 0; m < report.metric_names.size(); ++m) signatures[report.metric_names[m]] = report.signatures[m];
  return {{"systems", systems}, {"signatures", signatures}};
}

std::string paired_report_text(const PairedTestReport& report) {
  const bool bootstrap = report.options.kind == PairedTestOptions::Kind::kBootstrap;
  const bool has_ci = bootstrap || report.options.n_ar_confidence > 0;
  std::vector<std::vector<std::string>> rows{{"System"}};
  for (const std::string& metric : report.metric_names) rows[0].push_back(metric + (has_ci ? " (μ ± 95% CI)" : ""));
  for (size_t s = 0; s < report.system_names.size(); ++s) {
    std::vector<std::string> row{s == 0 ? "Baseline: " + report.system_names[s] : report.system_names[s]};
    for (size_t m = 0; m < report.metric_names.size(); ++m) row.push_back(score_cell(report.scores[m][s], s == 0));
    rows.push_back(row);
  }
  std::ostringstream out;
  out << box_table(rows) << "\n";
  if (bootstrap)
    out << "Paired bootstrap resampling, " << report.options.n_samples << " resamples";
  else
    out << "Paired approximate randomization, " << report.options.n_samples << " trials";
  out << ", seed " << seed_name(report.options.seed) << ".\n"
      << "Each system is compared with the baseline (" << report.system_names.front() << "): its score,\n"
      << (has_ci ? "the bootstrap mean and the half-width of the 95% confidence interval, " : "")
      << "and the p-value of the null hypothesis\nthat the two systems' outputs come from the same process.\n"
      << "* marks p < 0.05: a difference that chance rarely produces. A small p-value says the systems differ\n"
      << "reproducibly, not which is better or by how much it matters. As in sacreBLEU, a system identical to the\n"
      << "baseline gets p = 1/(N+1), because only differences strictly larger than the observed one are counted.\n\n";
  for (size_t m = 0; m < report.metric_names.size(); ++m)
    out << report.metric_names[m] << " signature: " << report.signatures[m] << "\n";
  return out.str();
}

}  // namespace s2s
