#include "util/config.h"

#include <algorithm>
#include <vector>

#include "util/atomic_file.h"
#include "util/error.h"

namespace s2s {
namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

std::string suggestion(const nlohmann::json& defaults, const std::string& key, const std::string& path) {
  std::string best;
  size_t best_distance = 4;
  for (auto it = defaults.begin(); it != defaults.end(); ++it) {
    size_t d = edit_distance(key, it.key());
    if (d < best_distance) {
      best_distance = d;
      best = it.key();
    }
  }
  return best.empty() ? "" : " (did you mean " + join(path, best) + "?)";
}

bool compatible(const nlohmann::json& expected, const nlohmann::json& given) {
  if (expected.is_null()) return true;  // null default: any value (e.g. optional paths)
  if (expected.is_number() && given.is_number()) {
    return !(expected.is_number_integer() && given.is_number_float());
  }
  return expected.type() == given.type();
}

}  // namespace

nlohmann::json merge_checked(const nlohmann::json& defaults, const nlohmann::json& overrides, const std::string& path) {
  if (!overrides.is_object()) throw UsageError("config section " + (path.empty() ? "(top)" : path) + " must be an object");
  nlohmann::json merged = defaults;
  for (auto it = overrides.begin(); it != overrides.end(); ++it) {
    const std::string key_path = join(path, it.key());
    if (!defaults.contains(it.key())) {
      throw UsageError("unknown config key " + key_path + suggestion(defaults, it.key(), path));
    }
    const auto& expected = defaults.at(it.key());
    if (expected.is_object() && !expected.empty()) {
      merged[it.key()] = merge_checked(expected, it.value(), key_path);
    } else if (!compatible(expected, it.value())) {
      throw UsageError("config key " + key_path + " must be " + std::string(expected.type_name()) + ", not " +
                  it.value().type_name() + " (" + it.value().dump() + ")");
    } else {
      merged[it.key()] = it.value();
    }
  }
  return merged;
}

void apply_override(nlohmann::json& config, const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) throw UsageError("--set expects key=value, got \"" + assignment + "\"");
  const std::string key = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  nlohmann::json value = nlohmann::json::parse(text, nullptr, false);
  if (value.is_discarded()) value = text;
  nlohmann::json* node = &config;
  size_t start = 0;
  std::string walked;
  while (true) {
    auto dot = key.find('.', start);
    std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!node->is_object()) throw UsageError("unknown config key " + key + " (" + walked + " is not a section)");
    if (!node->contains(part)) throw UsageError("unknown config key " + key + suggestion(*node, part, walked));
    walked = join(walked, part);
    if (dot == std::string::npos) {
      const auto& expected = (*node)[part];
      if (expected.is_number_float() && value.is_number()) value = value.get<double>();
      if (!compatible(expected, value)) {
        throw UsageError("config key " + key + " must be " + std::string(expected.type_name()) + ", not " + value.type_name());
      }
      (*node)[part] = value;
      return;
    }
    node = &(*node)[part];
    start = dot + 1;
  }
}

nlohmann::json read_json_file(const std::string& path) {
  const std::string text = read_text_file(path);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error("invalid JSON in " + path + " at byte " + std::to_string(e.byte) + ": " + e.what());
  }
}

}  // namespace s2s
