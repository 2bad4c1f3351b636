#include "report/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "report/report_format.h"

namespace s2s::svg {

namespace {

using report::html_escape;
using report::truncate_display;

const char* const kFont = "system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif";
const char* const kGrid = "#e3e6ea";
const char* const kInk = "#1d232b";
const char* const kMuted = "#5a6470";

// Coordinates with at most two decimals keep the markup short and exact enough.
std::string num(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", v);
  std::string s = buffer;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

double nice_step(double raw) {
  if (!(raw > 0) || !std::isfinite(raw)) return 1.0;
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double f = raw / magnitude;
  double nice = f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 2.5 ? 2.5 : f <= 5.0 ? 5.0 : 10.0;
  return nice * magnitude;
}

// An axis maps data values to [0, 1]. Log axes work in log10 units internally.
struct Axis {
  double lo = 0;
  double hi = 1;
  bool log = false;
  std::vector<double> ticks;  // data units
  double step = 1;            // spacing of linear ticks, for label decimals

  double fraction(double v) const {
    double t = log ? std::log10(v) : v;
    return (t - lo) / (hi - lo);
  }
};

Axis linear_axis(double min, double max, bool from_zero, const std::vector<double>& explicit_ticks) {
  Axis axis;
  if (from_zero) {
    min = std::min(min, 0.0);
    max = std::max(max, 0.0);
  }
  if (!(max > min)) {
    double pad = std::fabs(max) > 0 ? std::fabs(max) * 0.1 : 1.0;
    if (from_zero && min == 0.0) {
      max = min + pad;
    } else {
      min -= pad;
      max += pad;
    }
  }
  axis.step = nice_step((max - min) / 5.0);
  axis.lo = std::floor(min / axis.step + 1e-9) * axis.step;
  axis.hi = std::ceil(max / axis.step - 1e-9) * axis.step;
  if (!(axis.hi > axis.lo)) axis.hi = axis.lo + axis.step;
  if (explicit_ticks.empty()) {
    axis.ticks = linear_ticks(axis.lo, axis.hi);
  } else {
    for (double t : explicit_ticks)
      if (t >= axis.lo && t <= axis.hi) axis.ticks.push_back(t);
  }
  return axis;
}

Axis log_axis(double min, double max, const std::vector<double>& explicit_ticks) {
  Axis axis;
  axis.log = true;
  if (!explicit_ticks.empty()) {
    double lo = std::log10(min);
    double hi = std::log10(max);
    double pad = hi > lo ? (hi - lo) * 0.05 : 0.1;
    axis.lo = lo - pad;
    axis.hi = hi + pad;
    for (double t : explicit_ticks)
      if (t > 0 && std::log10(t) >= axis.lo && std::log10(t) <= axis.hi) axis.ticks.push_back(t);
    return axis;
  }
  axis.lo = std::floor(std::log10(min) + 1e-9);
  axis.hi = std::ceil(std::log10(max) - 1e-9);
  if (!(axis.hi > axis.lo)) axis.hi = axis.lo + 1;
  axis.ticks = log_ticks(std::pow(10.0, axis.lo), std::pow(10.0, axis.hi));
  return axis;
}

std::string label_for(const Axis& axis, double value) {
  return tick_label(value, axis.log ? value : axis.step);
}

std::string svg_open(int width, int height, const std::string& title) {
  std::ostringstream out;
  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" width=\"" << width << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << width << ' ' << height << "\" role=\"img\" font-family=\"" << kFont
      << "\" font-size=\"12\">";
  out << "<title>" << html_escape(title) << "</title>";
  out << "<rect width=\"" << width << "\" height=\"" << height << "\" fill=\"#ffffff\"/>";
  return out.str();
}

std::string text(double x, double y, const std::string& content, const std::string& attributes = "") {
  std::ostringstream out;
  out << "<text x=\"" << num(x) << "\" y=\"" << num(y) << "\"" << (attributes.empty() ? "" : " ") << attributes << ">"
      << html_escape(content) << "</text>";
  return out.str();
}

std::string title_text(int width, const std::string& title) {
  return text(width / 2.0, 24, title, "text-anchor=\"middle\" font-size=\"15\" font-weight=\"600\" fill=\"" +
                                          std::string(kInk) + "\"");
}

struct Frame {
  double left, top, right, bottom;
  double width() const { return right - left; }
  double height() const { return bottom - top; }
};

// Title, frame, axis labels and a centred message: what an empty chart shows.
std::string empty_chart(int width, int height, const std::string& title, const std::string& message) {
  std::ostringstream out;
  out << svg_open(width, height, title) << title_text(width, title);
  out << "<rect x=\"20\" y=\"40\" width=\"" << width - 40 << "\" height=\"" << height - 60
      << "\" fill=\"#fafbfc\" stroke=\"" << kGrid << "\"/>";
  out << text(width / 2.0, height / 2.0 + 10, message,
              "text-anchor=\"middle\" font-size=\"13\" fill=\"" + std::string(kMuted) + "\"");
  out << "</svg>";
  return out.str();
}

// Grid lines, tick labels and axis labels for a frame.
std::string axes(const Frame& f, const Axis& x, const Axis* y_axis, const std::string& x_label,
                 const std::string& y_label, int svg_height) {
  std::ostringstream out;
  out << "<rect x=\"" << num(f.left) << "\" y=\"" << num(f.top) << "\" width=\"" << num(f.width()) << "\" height=\""
      << num(f.height()) << "\" fill=\"#ffffff\" stroke=\"#c5cad1\"/>";
  if (y_axis != nullptr) {
    for (double t : y_axis->ticks) {
      double py = f.bottom - y_axis->fraction(t) * f.height();
      out << "<line x1=\"" << num(f.left) << "\" x2=\"" << num(f.right) << "\" y1=\"" << num(py) << "\" y2=\""
          << num(py) << "\" stroke=\"" << kGrid << "\"/>";
      out << text(f.left - 6, py + 4, label_for(*y_axis, t),
                  "text-anchor=\"end\" font-size=\"11\" fill=\"" + std::string(kMuted) + "\"");
    }
  }
  for (double t : x.ticks) {
    double px = f.left + x.fraction(t) * f.width();
    out << "<line x1=\"" << num(px) << "\" x2=\"" << num(px) << "\" y1=\"" << num(f.top) << "\" y2=\""
        << num(f.bottom) << "\" stroke=\"" << kGrid << "\"/>";
    out << text(px, f.bottom + 16, label_for(x, t),
                "text-anchor=\"middle\" font-size=\"11\" fill=\"" + std::string(kMuted) + "\"");
  }
  out << text((f.left + f.right) / 2.0, svg_height - 10, x_label,
              "text-anchor=\"middle\" font-size=\"12\" fill=\"" + std::string(kInk) + "\"");
  out << "<text transform=\"translate(16 " << num((f.top + f.bottom) / 2.0)
      << ") rotate(-90)\" text-anchor=\"middle\" font-size=\"12\" fill=\"" << kInk << "\">" << html_escape(y_label)
      << "</text>";
  return out.str();
}

struct Rgb {
  double r, g, b;
};

std::string heat_color(double t) {
  static const Rgb stops[] = {{247, 251, 255}, {198, 219, 239}, {107, 174, 214}, {33, 113, 181}, {8, 48, 107}};
  if (!std::isfinite(t)) t = 0;
  t = std::clamp(t, 0.0, 1.0);
  double scaled = t * 4.0;
  int i = std::min(3, static_cast<int>(std::floor(scaled)));
  double u = scaled - i;
  auto mix = [&](double a, double b) { return static_cast<int>(std::lround(a + (b - a) * u)); };
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "#%02x%02x%02x", mix(stops[i].r, stops[i + 1].r), mix(stops[i].g, stops[i + 1].g),
                mix(stops[i].b, stops[i + 1].b));
  return buffer;
}

}  // namespace

std::vector<double> linear_ticks(double lo, double hi, int target_count) {
  std::vector<double> ticks;
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(hi > lo) || target_count < 1) return ticks;
  double step = nice_step((hi - lo) / target_count);
  double first = std::ceil(lo / step - 1e-9);
  for (int i = 0; i < 100; ++i) {
    double v = (first + i) * step;
    if (v > hi + step * 1e-9) break;
    if (std::fabs(v) < step * 1e-9) v = 0;
    ticks.push_back(v);
  }
  return ticks;
}

std::vector<double> log_ticks(double lo, double hi) {
  std::vector<double> ticks;
  if (!(lo > 0) || !(hi > lo) || !std::isfinite(hi)) return ticks;
  int first = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
  int last = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
  bool fine = (last - first) <= 2;
  for (int e = first; e <= last; ++e) {
    double base = std::pow(10.0, e);
    for (double m : {1.0, 2.0, 5.0}) {
      if (m != 1.0 && !fine) continue;
      double v = m * base;
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push_back(v);
    }
  }
  return ticks;
}

std::string tick_label(double value, double step_hint) {
  if (!std::isfinite(value)) return "";
  double step = std::fabs(step_hint);
  int decimals = 0;
  if (step > 0) {
    while (decimals < 6) {
      double scaled = step * std::pow(10.0, decimals);
      if (std::fabs(scaled - std::round(scaled)) < 1e-6 * std::max(1.0, scaled)) break;
      ++decimals;
    }
  }
  return report::fixed(value, decimals);
}

std::string render_line_plot(const LinePlot& plot) {
  // Keep only the points that can be drawn honestly on these axes.
  std::vector<std::vector<Point>> drawable;
  double x_min = INFINITY, x_max = -INFINITY, y_min = INFINITY, y_max = -INFINITY;
  for (const auto& series : plot.series) {
    std::vector<Point> kept;
    for (const auto& p : series.points) {
      if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
      if (plot.log_x && p.x <= 0) continue;
      if (plot.log_y && p.y <= 0) continue;
      kept.push_back(p);
      x_min = std::min(x_min, p.x);
      x_max = std::max(x_max, p.x);
      y_min = std::min(y_min, p.y);
      y_max = std::max(y_max, p.y);
    }
    drawable.push_back(std::move(kept));
  }
  if (!std::isfinite(x_min)) return empty_chart(plot.width, plot.height, plot.title, plot.empty_message);

  Frame f{72, 44, plot.width - 160.0, plot.height - 52.0};
  Axis x = plot.log_x ? log_axis(x_min, x_max, plot.x_ticks) : linear_axis(x_min, x_max, true, plot.x_ticks);
  Axis y = plot.log_y ? log_axis(y_min, y_max, {}) : linear_axis(y_min, y_max, plot.y_from_zero, {});

  std::ostringstream out;
  out << svg_open(plot.width, plot.height, plot.title) << title_text(plot.width, plot.title);
  out << axes(f, x, &y, plot.x_label, plot.y_label, plot.height);

  auto px = [&](double v) { return f.left + x.fraction(v) * f.width(); };
  auto py = [&](double v) { return f.bottom - y.fraction(v) * f.height(); };
  for (std::size_t s = 0; s < plot.series.size(); ++s) {
    const auto& series = plot.series[s];
    const auto& points = drawable[s];
    if (points.empty()) continue;
    out << "<g class=\"series\">";
    if (points.size() >= 2) {
      out << "<polyline fill=\"none\" stroke=\"" << series.color << "\" stroke-width=\"2\" stroke-linejoin=\"round\""
          << (series.dashed ? " stroke-dasharray=\"6 4\"" : "") << " points=\"";
      for (std::size_t i = 0; i < points.size(); ++i)
        out << (i ? " " : "") << num(px(points[i].x)) << ',' << num(py(points[i].y));
      out << "\"/>";
    }
    if (points.size() <= 80) {
      for (const auto& p : points) {
        out << "<circle cx=\"" << num(px(p.x)) << "\" cy=\"" << num(py(p.y)) << "\" r=\"3\" fill=\""
            << (series.dashed ? "#ffffff" : series.color) << "\" stroke=\"" << series.color
            << "\" stroke-width=\"1.5\"><title>" << html_escape(series.label) << ": " << html_escape(label_for(x, p.x))
            << ", " << html_escape(report::significant(p.y, 4)) << "</title></circle>";
      }
    }
    out << "</g>";
  }

  // Legend: one row per model, then the line-style keys.
  double lx = f.right + 16;
  double ly = f.top + 10;
  for (const auto& series : plot.series) {
    if (!series.in_legend) continue;
    out << "<line x1=\"" << num(lx) << "\" x2=\"" << num(lx + 22) << "\" y1=\"" << num(ly) << "\" y2=\"" << num(ly)
        << "\" stroke=\"" << series.color << "\" stroke-width=\"3\"/>";
    out << text(lx + 28, ly + 4, truncate_display(series.label, 16), "fill=\"" + std::string(kInk) + "\"");
    ly += 20;
  }
  if (!plot.style_keys.empty()) ly += 6;
  for (const auto& key : plot.style_keys) {
    out << "<line x1=\"" << num(lx) << "\" x2=\"" << num(lx + 22) << "\" y1=\"" << num(ly) << "\" y2=\"" << num(ly)
        << "\" stroke=\"" << kMuted << "\" stroke-width=\"2\"" << (key.dashed ? " stroke-dasharray=\"6 4\"" : "")
        << "/>";
    out << text(lx + 28, ly + 4, truncate_display(key.label, 16), "fill=\"" + std::string(kMuted) + "\"");
    ly += 20;
  }
  if (plot.log_x || plot.log_y) {
    std::string note = plot.log_x && plot.log_y ? "log-log axes" : plot.log_y ? "log y axis" : "log x axis";
    out << text(lx, f.bottom, note, "font-size=\"11\" fill=\"" + std::string(kMuted) + "\"");
  }
  out << "</svg>";
  return out.str();
}

std::string render_bar_chart(const BarChart& chart) {
  const std::size_t categories = chart.categories.size();
  const std::size_t series = chart.series_labels.size();
  if (categories == 0 || series == 0) return empty_chart(chart.width, chart.height, chart.title, chart.empty_message);
  auto value_at = [&](std::size_t c, std::size_t s) -> std::optional<double> {
    if (c >= chart.values.size() || s >= chart.values[c].size()) return std::nullopt;
    auto v = chart.values[c][s];
    if (v && !std::isfinite(*v)) return std::nullopt;
    return v;
  };
  auto interval_at = [&](std::size_t c, std::size_t s) -> std::optional<BarChart::Interval> {
    if (c >= chart.intervals.size() || s >= chart.intervals[c].size()) return std::nullopt;
    auto i = chart.intervals[c][s];
    if (i && (!std::isfinite(i->low) || !std::isfinite(i->high))) return std::nullopt;
    return i;
  };
  double v_min = 0, v_max = 0;
  bool any = false;
  for (std::size_t c = 0; c < categories; ++c)
    for (std::size_t s = 0; s < series; ++s)
      if (auto v = value_at(c, s)) {
        v_min = std::min(v_min, *v);
        v_max = std::max(v_max, *v);
        if (auto i = interval_at(c, s)) {
          v_min = std::min(v_min, i->low);
          v_max = std::max(v_max, i->high);
        }
        any = true;
      }
  // Without a single value there is no honest y range to draw.
  if (!any) return empty_chart(chart.width, chart.height, chart.title, chart.empty_message);

  const bool colour_by_category = series == 1 && chart.category_colors.size() == categories;
  const bool legend = !colour_by_category;
  const bool has_notes = !chart.category_notes.empty();
  Frame f{72, 44, chart.width - (legend ? 160.0 : 24.0), chart.height - (has_notes ? 66.0 : 52.0)};
  // Headroom above the tallest bar for its value label.
  Axis y = linear_axis(v_min, v_max * 1.08, true, {});
  Axis x;  // categorical: no ticks of its own
  x.ticks.clear();

  std::ostringstream out;
  out << svg_open(chart.width, chart.height, chart.title) << title_text(chart.width, chart.title);
  out << axes(f, x, &y, chart.x_label, chart.y_label, chart.height);

  const double group = f.width() / categories;
  const double bar = group * 0.8 / series;
  auto py = [&](double v) { return f.bottom - y.fraction(v) * f.height(); };
  const double zero = py(0.0);
  for (std::size_t c = 0; c < categories; ++c) {
    double gx = f.left + c * group;
    for (std::size_t s = 0; s < series; ++s) {
      double bx = gx + group * 0.1 + s * bar;
      double cx = bx + bar / 2;
      std::string color = colour_by_category ? chart.category_colors[c]
                          : s < chart.series_colors.size() ? chart.series_colors[s]
                                                           : std::string("#777777");
      auto v = value_at(c, s);
      std::string who = chart.series_labels[s] + (categories > 1 || series == 1 ? ", " + chart.categories[c] : "");
      if (!v) {
        out << "<text x=\"" << num(cx) << "\" y=\"" << num(zero - 5) << "\" text-anchor=\"middle\" font-size=\"12\" fill=\""
            << kMuted << "\"><title>" << html_escape(who) << ": no value in results.json</title>" << report::kDash
            << "</text>";
        continue;
      }
      double top = std::min(py(*v), zero);
      double height = std::fabs(py(*v) - zero);
      out << "<rect x=\"" << num(bx + 1) << "\" y=\"" << num(top) << "\" width=\"" << num(std::max(1.0, bar - 2))
          << "\" height=\"" << num(height) << "\" fill=\"" << color << "\"><title>" << html_escape(who) << ": "
          << html_escape(report::fixed(*v, chart.value_decimals)) << "</title></rect>";
      double label_y = top - 4;
      if (auto i = interval_at(c, s)) {
        const double lo = py(i->low), hi = py(i->high), cap = std::min(5.0, bar / 4);
        out << "<path d=\"M" << num(cx) << " " << num(lo) << "V" << num(hi) << "M" << num(cx - cap) << " " << num(lo)
            << "H" << num(cx + cap) << "M" << num(cx - cap) << " " << num(hi) << "H" << num(cx + cap)
            << "\" stroke=\"" << kInk << "\" stroke-width=\"1.2\" fill=\"none\"><title>" << html_escape(who)
            << ": 95% interval " << html_escape(report::fixed(i->low, chart.value_decimals)) << "–"
            << html_escape(report::fixed(i->high, chart.value_decimals)) << "</title></path>";
        label_y = std::min(label_y, hi - 4);
      }
      if (chart.value_labels && bar >= 22) {
        out << text(cx, label_y, report::fixed(*v, chart.value_decimals),
                    "text-anchor=\"middle\" font-size=\"10\" fill=\"" + std::string(kInk) + "\"");
      }
    }
    out << text(gx + group / 2, f.bottom + 16, truncate_display(chart.categories[c], 18),
                "text-anchor=\"middle\" font-size=\"11\" fill=\"" + std::string(kInk) + "\"");
    if (c < chart.category_notes.size() && !chart.category_notes[c].empty()) {
      out << text(gx + group / 2, f.bottom + 30, chart.category_notes[c],
                  "text-anchor=\"middle\" font-size=\"10\" fill=\"" + std::string(kMuted) + "\"");
    }
  }
  if (legend) {
    double lx = f.right + 16;
    double ly = f.top + 10;
    for (std::size_t s = 0; s < series; ++s) {
      std::string color = s < chart.series_colors.size() ? chart.series_colors[s] : "#777777";
      out << "<rect x=\"" << num(lx) << "\" y=\"" << num(ly - 6) << "\" width=\"14\" height=\"12\" fill=\"" << color
          << "\"/>";
      out << text(lx + 20, ly + 4, truncate_display(chart.series_labels[s], 18), "fill=\"" + std::string(kInk) + "\"");
      ly += 20;
    }
  }
  out << "</svg>";
  return out.str();
}

std::string render_heatmap(const Heatmap& map) {
  std::size_t rows = map.cells.size();
  std::size_t cols = map.x_labels.size();
  for (const auto& row : map.cells) cols = std::max(cols, row.size());
  rows = std::max(rows, map.y_labels.size());
  if (rows == 0 || cols == 0) return empty_chart(360, 140, map.title, "no attention weights in results.json");

  int cell = std::min(map.max_cell, map.max_matrix_width / static_cast<int>(cols));
  cell = std::max(cell, 4);
  const bool labels = cell >= 8;
  const double font = std::clamp(cell * 0.62, 7.0, 12.0);
  const double char_w = font * 0.62;

  std::size_t y_chars = 0, x_chars = 0;
  for (const auto& l : map.y_labels) y_chars = std::max(y_chars, report::display_length(truncate_display(l, 14)));
  for (const auto& l : map.x_labels) x_chars = std::max(x_chars, report::display_length(truncate_display(l, 14)));

  const double left = 24 + (labels ? std::min(150.0, y_chars * char_w + 10) : 8);
  const double top = 40;
  const double mw = static_cast<double>(cols) * cell;
  const double mh = static_cast<double>(rows) * cell;
  const double below = labels ? x_chars * char_w * 0.87 + 14 : 8;
  const double colorbar_w = map.colorbar ? 64 : 12;
  const double title_w = report::display_length(map.title) * 8.0 + 24;
  const int width = static_cast<int>(std::ceil(std::max(left + mw + colorbar_w, title_w)));
  const int height = static_cast<int>(std::ceil(top + std::max(mh, map.colorbar ? 80.0 : 0.0) + below + 26));
  const double vmax = (map.vmax > 0 && std::isfinite(map.vmax)) ? map.vmax : 1.0;

  std::ostringstream out;
  out << svg_open(width, height, map.title);
  out << text(width / 2.0, 22, map.title,
              "text-anchor=\"middle\" font-size=\"13\" font-weight=\"600\" fill=\"" + std::string(kInk) + "\"");
  auto label_of = [](const std::vector<std::string>& labels_in, std::size_t i) {
    return i < labels_in.size() ? labels_in[i] : "#" + std::to_string(i + 1);
  };
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      double v = (r < map.cells.size() && c < map.cells[r].size()) ? map.cells[r][c] : NAN;
      bool ok = std::isfinite(v);
      out << "<rect x=\"" << num(left + c * cell) << "\" y=\"" << num(top + r * cell) << "\" width=\"" << cell
          << "\" height=\"" << cell << "\" fill=\"" << (ok ? heat_color(v / vmax) : std::string("#d0d4d9")) << "\"><title>"
          << html_escape(label_of(map.y_labels, r)) << " \xE2\x86\x92 " << html_escape(label_of(map.x_labels, c)) << ": "
          << (ok ? report::fixed(v, 3) : std::string("no value")) << "</title></rect>";
    }
  }
  out << "<rect x=\"" << num(left) << "\" y=\"" << num(top) << "\" width=\"" << num(mw) << "\" height=\"" << num(mh)
      << "\" fill=\"none\" stroke=\"#9aa3ad\"/>";
  if (labels) {
    for (std::size_t r = 0; r < rows; ++r) {
      out << text(left - 5, top + r * cell + cell / 2.0 + font * 0.35, truncate_display(label_of(map.y_labels, r), 14),
                  "text-anchor=\"end\" font-size=\"" + num(font) + "\" fill=\"" + std::string(kInk) + "\"");
    }
    for (std::size_t c = 0; c < cols; ++c) {
      double cx = left + c * cell + cell / 2.0 + font * 0.35;
      out << "<text transform=\"translate(" << num(cx) << ' ' << num(top + mh + 6)
          << ") rotate(-60)\" text-anchor=\"end\" font-size=\"" << num(font) << "\" fill=\"" << kInk << "\">"
          << html_escape(truncate_display(label_of(map.x_labels, c), 14)) << "</text>";
    }
  }
  out << text(left + mw / 2, height - 8, map.x_axis_label,
              "text-anchor=\"middle\" font-size=\"11\" fill=\"" + std::string(kMuted) + "\"");
  out << "<text transform=\"translate(12 " << num(top + mh / 2) << ") rotate(-90)\" text-anchor=\"middle\" font-size=\"11\" fill=\""
      << kMuted << "\">" << html_escape(map.y_axis_label) << "</text>";
  if (map.colorbar) {
    const double bx = left + mw + 14;
    const double bh = std::max(mh, 80.0);
    const int steps = 24;
    for (int i = 0; i < steps; ++i) {
      double t = (i + 0.5) / steps;
      out << "<rect x=\"" << num(bx) << "\" y=\"" << num(top + bh - (i + 1) * bh / steps) << "\" width=\"12\" height=\""
          << num(bh / steps + 0.5) << "\" fill=\"" << heat_color(t) << "\"/>";
    }
    out << "<rect x=\"" << num(bx) << "\" y=\"" << num(top) << "\" width=\"12\" height=\"" << num(bh)
        << "\" fill=\"none\" stroke=\"#9aa3ad\"/>";
    out << text(bx + 16, top + 8, report::significant(vmax, 2), "font-size=\"10\" fill=\"" + std::string(kMuted) + "\"");
    out << text(bx + 16, top + bh, "0", "font-size=\"10\" fill=\"" + std::string(kMuted) + "\"");
  }
  out << "</svg>";
  return out.str();
}

}  // namespace s2s::svg
