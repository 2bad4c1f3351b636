#include "models/script_text.h"

#include <cstdio>

namespace s2s {

// A double as a TorchScript literal that parses back to the same value.
std::string script_literal(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.17g", value);
  std::string s = buffer;
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

// Replaces every ${KEY} in `text`.
std::string fill_script(std::string text, std::map<std::string, std::string> values) {
  // Without Python, TorchScript source names dtypes by their ScalarType codes.
  values["LONG"] = std::to_string(static_cast<int>(torch::kLong));
  values["DOUBLE"] = std::to_string(static_cast<int>(torch::kDouble));
  for (const auto& [key, value] : values) {
    const std::string pattern = "${" + key + "}";
    for (size_t at = text.find(pattern); at != std::string::npos; at = text.find(pattern, at + value.size())) {
      text.replace(at, pattern.size(), value);
    }
  }
  return text;
}

std::string script_bool(bool b) { return b ? "True" : "False"; }

}  // namespace s2s
