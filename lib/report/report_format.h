#pragma once
// Small helpers shared by the report writers: tolerant reads from results.json
// (a missing key, a null, a wrong type or a non-finite number all read as
// "missing") and the number formats the tables and plots use. A missing value
// is always printed as kDash, never as 0, NaN or "null".
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace s2s::report {

// U+2014 EM DASH: how every missing value appears in HTML and Markdown.
extern const char* const kDash;

// Follows a "/"-separated path of object keys and array indices ("training/steps",
// "test/bleu_by_length/0/bleu"). Returns nullptr where any step is absent.
const nlohmann::json* find_at(const nlohmann::json& root, const std::string& path);

// A finite number at `path`, or nullopt.
std::optional<double> number_at(const nlohmann::json& root, const std::string& path);

// A string at `path`, or nullopt (numbers are not converted).
std::optional<std::string> string_at(const nlohmann::json& root, const std::string& path);

// The array at `path`, or nullptr.
const nlohmann::json* array_at(const nlohmann::json& root, const std::string& path);

// Fixed decimals ("12.30"); kDash when missing.
std::string fixed(std::optional<double> value, int decimals);

// Rounded to an integer with thousands separators ("29,000"); kDash when missing.
std::string grouped(std::optional<double> value);

// A parameter count in millions or thousands ("5.12 M", "812 k"); kDash when missing.
std::string parameter_count(std::optional<double> value);

// At most `digits` significant digits, trailing zeros dropped, never in exponent form ("0.0123", "1.2", "123", "1,234").
std::string significant(std::optional<double> value, int digits = 3);

// A ratio such as "2.4×" (two significant digits below 10, else whole numbers).
std::string times(double ratio);

// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string html_escape(const std::string& text);

// Escapes characters that would break a Markdown table cell (|, \, backtick, newlines).
std::string markdown_escape(const std::string& text);

// Number of code points in UTF-8 text (continuation bytes are not counted).
std::size_t display_length(const std::string& text);

// Cuts UTF-8 text to at most `max_chars` code points, ending in "…" when cut.
std::string truncate_display(const std::string& text, std::size_t max_chars);

// A compact model summary read from one entry of results["models"].
struct ModelInfo {
  std::size_t index = 0;
  std::string name;          // "model 1" when results.json has no name
  std::string architecture;  // lower-cased; "" when missing
  std::string attention;     // lower-cased; "" when missing
  std::string color;         // the model's colour in every plot
  const nlohmann::json* json = nullptr;

  bool is_rnn() const { return architecture == "rnn"; }
  bool is_transformer() const { return architecture == "transformer"; }
  bool has_attention() const { return !attention.empty() && attention != "none"; }
};

// Reads results["models"]; throws s2s::Error naming the key when it is absent,
// not an array, or holds an entry that is not an object.
std::vector<ModelInfo> read_models(const nlohmann::json& results);

// The colour of the i-th model (a colour-blind-safe palette, cycled).
std::string model_color(std::size_t index);

}  // namespace s2s::report
