#pragma once
// A small writer of self-contained SVG charts for the compare report: line plots
// (linear or log axes), grouped bar charts and heatmaps, each with a title, axis
// labels, ticks and a legend. Output is plain SVG markup, ready to inline in HTML;
// it never contains scripts or references to other files.
//
// Honesty rules the renderers keep: non-finite values are never drawn (a bar whose
// value is missing shows a dash instead, a line skips the point, a log axis skips
// values <= 0), and a chart with nothing to draw says so instead of inventing a range.
#include <optional>
#include <string>
#include <vector>

namespace s2s::svg {

struct Point {
  double x = 0;
  double y = 0;
};

struct LineSeries {
  std::string label;
  std::string color;
  std::vector<Point> points;
  bool dashed = false;
  bool in_legend = true;  // false for a second line of a model already in the legend
};

// An extra legend row explaining a line style (e.g. "dashed: dev loss").
struct StyleKey {
  std::string label;
  bool dashed = false;
};

struct LinePlot {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_x = false;
  bool log_y = false;
  bool y_from_zero = false;        // linear y axis starts at 0 (BLEU, throughput)
  std::vector<double> x_ticks;     // explicit x tick positions (e.g. measured lengths); empty = automatic
  std::vector<LineSeries> series;
  std::vector<StyleKey> style_keys;
  std::string empty_message = "no data in results.json";
  int width = 600;
  int height = 360;
};

std::string render_line_plot(const LinePlot& plot);

struct BarChart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<std::string> categories;      // groups along the x axis
  std::vector<std::string> category_notes;  // optional second line under each category (e.g. "n=120")
  std::vector<std::string> series_labels;   // bars within a group
  std::vector<std::string> series_colors;
  // values[category][series]; nullopt draws a dash instead of a bar.
  std::vector<std::vector<std::optional<double>>> values;
  // Optional whiskers, intervals[category][series] = {low, high} (e.g. a 95% bootstrap interval).
  struct Interval {
    double low = 0, high = 0;
  };
  std::vector<std::vector<std::optional<Interval>>> intervals;
  // With one series, colour each bar by its category instead (and skip the legend).
  std::vector<std::string> category_colors;
  int value_decimals = 1;
  bool value_labels = true;
  std::string empty_message = "no data in results.json";
  int width = 600;
  int height = 360;
};

std::string render_bar_chart(const BarChart& chart);

struct Heatmap {
  std::string title;
  std::vector<std::string> x_labels;          // columns (source tokens)
  std::vector<std::string> y_labels;          // rows (target tokens)
  std::vector<std::vector<double>> cells;     // cells[row][column]; non-finite = missing (grey)
  std::string x_axis_label = "source tokens";
  std::string y_axis_label = "target tokens";
  double vmax = 1.0;                          // value drawn in the darkest colour
  int max_cell = 26;                          // cell edge in pixels, before shrinking to fit
  int max_matrix_width = 520;
  bool colorbar = true;
};

std::string render_heatmap(const Heatmap& map);

// Exposed for tests: the tick positions an axis over [lo, hi] would get.
std::vector<double> linear_ticks(double lo, double hi, int target_count = 5);
std::vector<double> log_ticks(double lo, double hi);
std::string tick_label(double value, double step_hint);

}  // namespace s2s::svg
