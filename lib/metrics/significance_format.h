#pragma once
// How `s2s bleu --paired-bs/--paired-ar` shows its results: a boxed table in the
// layout of sacreBLEU's (one row per system, "score (mean ± CI)" and the p-value
// under it, "*" where p < 0.05), and a JSON document scripts can rely on.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "metrics/significance.h"

namespace s2s {

// The results of one paired test: metrics[m] was scored for every system; scores[m][s] is system s's.
struct PairedTestReport {
  std::vector<std::string> system_names;  // the baseline first
  std::vector<std::string> metric_names;  // "BLEU", "chrF2"
  std::vector<std::string> signatures;    // per metric, with the test's fields
  std::vector<std::vector<PairedScore>> scores;
  PairedTestOptions options;
};

// {"systems": [{"name", "BLEU": {"score","mean","ci","p_value"}, ...}], "signatures": {...}}, keys in that
// order; absent
// figures are null.
nlohmann::ordered_json paired_report_json(const PairedTestReport& report);

// The table, a note on what the test means, and the signatures.
std::string paired_report_text(const PairedTestReport& report);

// A grid of cells drawn with box characters; cells may hold several lines ('\n').
// rows[0] is the header. Widths count code points, not bytes.
std::string box_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace s2s
