#pragma once
// JSON configuration with strict checking: every key must exist in the
// defaults and keep its type, so a typo is an error naming the key's path
// (with the closest valid key as a suggestion) instead of a silent default.
#include <nlohmann/json.hpp>
#include <string>

namespace s2s {

// Returns `defaults` with `overrides` merged in, recursively. Throws s2s::Error
// for an unknown key ("unknown config key train.lerning_rate (did you mean
// train.learning_rate?)") or a value of the wrong type. `path` prefixes the
// key names in messages. Objects named in `open_objects` (by path) accept any key.
nlohmann::json merge_checked(const nlohmann::json& defaults, const nlohmann::json& overrides, const std::string& path);

// Applies "a.b.c=value" to `config` (value parsed as JSON, else taken as a
// string). Throws s2s::Error for a path that does not exist.
void apply_override(nlohmann::json& config, const std::string& assignment);

// Parses a JSON file, throwing s2s::Error with the file name and parser position.
nlohmann::json read_json_file(const std::string& path);

}  // namespace s2s
