#include "report/report_format.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "util/error.h"

namespace s2s::report {

const char* const kDash = "\xE2\x80\x94";

namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Inserts thousands separators into the integer part of a plain decimal string.
std::string group_digits(const std::string& plain) {
  std::size_t start = (!plain.empty() && plain[0] == '-') ? 1 : 0;
  std::size_t end = plain.find('.');
  if (end == std::string::npos) end = plain.size();
  std::string out = plain.substr(0, start);
  std::string digits = plain.substr(start, end - start);
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  out += plain.substr(end);
  return out;
}

std::string printf_fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", std::max(0, decimals), value);
  std::string s = buffer;
  if (s == "-0" || s.rfind("-0.", 0) == 0) {
    // Avoid printing "-0.0" for tiny negative values that round to zero.
    bool all_zero = std::all_of(s.begin() + 1, s.end(), [](char c) { return c == '0' || c == '.'; });
    if (all_zero) s.erase(0, 1);
  }
  return s;
}

}  // namespace

const nlohmann::json* find_at(const nlohmann::json& root, const std::string& path) {
  const nlohmann::json* node = &root;
  std::size_t pos = 0;
  while (pos < path.size()) {
    std::size_t slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    const std::string key = path.substr(pos, slash - pos);
    pos = slash + 1;
    if (key.empty()) continue;
    if (node->is_object()) {
      auto it = node->find(key);
      if (it == node->end()) return nullptr;
      node = &*it;
    } else if (node->is_array() && all_digits(key) && key.size() < 10) {
      const std::size_t index = std::stoul(key);
      if (index >= node->size()) return nullptr;
      node = &(*node)[index];
    } else {
      return nullptr;
    }
  }
  return node;
}

std::optional<double> number_at(const nlohmann::json& root, const std::string& path) {
  const nlohmann::json* node = find_at(root, path);
  if (node == nullptr || !node->is_number()) return std::nullopt;
  double value = node->get<double>();
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<std::string> string_at(const nlohmann::json& root, const std::string& path) {
  const nlohmann::json* node = find_at(root, path);
  if (node == nullptr || !node->is_string()) return std::nullopt;
  return node->get<std::string>();
}

const nlohmann::json* array_at(const nlohmann::json& root, const std::string& path) {
  const nlohmann::json* node = find_at(root, path);
  return (node != nullptr && node->is_array()) ? node : nullptr;
}

std::string fixed(std::optional<double> value, int decimals) {
  if (!value || !std::isfinite(*value)) return kDash;
  return group_digits(printf_fixed(*value, decimals));
}

std::string grouped(std::optional<double> value) {
  if (!value || !std::isfinite(*value)) return kDash;
  return group_digits(printf_fixed(*value, 0));
}

std::string parameter_count(std::optional<double> value) {
  if (!value || !std::isfinite(*value)) return kDash;
  const double v = *value;
  auto three_digits = [](double x) { return fixed(x, std::fabs(x) < 10 ? 2 : std::fabs(x) < 100 ? 1 : 0); };
  if (std::fabs(v) >= 1e6) return three_digits(v / 1e6) + " M";
  if (std::fabs(v) >= 1e3) return three_digits(v / 1e3) + " k";
  return grouped(v);
}

std::string significant(std::optional<double> value, int digits) {
  if (!value || !std::isfinite(*value)) return kDash;
  double v = *value;
  if (v == 0.0) return "0";
  int magnitude = static_cast<int>(std::floor(std::log10(std::fabs(v))));
  int decimals = std::max(0, digits - 1 - magnitude);
  decimals = std::min(decimals, 6);
  std::string s = printf_fixed(v, decimals);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return group_digits(s);
}

std::string times(double ratio) {
  if (!std::isfinite(ratio)) return kDash;
  std::string s = std::fabs(ratio) < 10.0 ? significant(ratio, 2) : grouped(ratio);
  return s + "\xC3\x97";
}

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string markdown_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '|': out += "\\|"; break;
      case '\\': out += "\\\\"; break;
      case '`': out += "\\`"; break;
      case '\n':
      case '\r': out += ' '; break;
      default: out += c;
    }
  }
  return out;
}

std::size_t display_length(const std::string& text) {
  std::size_t n = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string truncate_display(const std::string& text, std::size_t max_chars) {
  if (max_chars == 0) return "";
  if (display_length(text) <= max_chars) return text;
  std::size_t kept = 0;
  std::size_t i = 0;
  for (; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80) {
      if (kept == max_chars - 1) break;
      ++kept;
    }
  }
  return text.substr(0, i) + "\xE2\x80\xA6";
}

std::string model_color(std::size_t index) {
  // Okabe–Ito colours, which stay distinguishable for colour-blind readers.
  static const char* const palette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"};
  return palette[index % (sizeof palette / sizeof palette[0])];
}

std::vector<ModelInfo> read_models(const nlohmann::json& results) {
  if (!results.is_object()) throw Error("results.json must hold a JSON object at the top level");
  auto it = results.find("models");
  if (it == results.end()) throw Error("results.json has no \"models\" key");
  if (!it->is_array()) throw Error("results.json key \"models\" must be an array");
  std::vector<ModelInfo> models;
  for (std::size_t i = 0; i < it->size(); ++i) {
    const nlohmann::json& m = (*it)[i];
    if (!m.is_object())
      throw Error("results.json key \"models[" + std::to_string(i) + "]\" must be an object");
    ModelInfo info;
    info.index = i;
    info.json = &m;
    info.name = string_at(m, "name").value_or("");
    if (info.name.empty()) info.name = "model " + std::to_string(i + 1);
    info.architecture = lower(string_at(m, "architecture").value_or(""));
    info.attention = lower(string_at(m, "attention").value_or(""));
    info.color = model_color(i);
    models.push_back(std::move(info));
  }
  return models;
}

}  // namespace s2s::report
