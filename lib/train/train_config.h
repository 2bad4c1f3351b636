#pragma once
// The training configuration: one JSON document with sections data, model,
// train and eval. Every key has a documented default here; a config file only
// states what differs, and unknown keys are errors (util/config.h).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace s2s {

// The defaults of every section. The model section's keys depend on
// model.architecture and are filled in by resolve_config().
nlohmann::json default_train_config();

// Reads `path` (may be empty: defaults only), applies `--set` overrides, checks
// every key and type and returns the fully resolved config.
nlohmann::json resolve_config(const std::string& path, const std::vector<std::string>& overrides);

// Same, from an already parsed document (for experiments that embed configs).
nlohmann::json resolve_config_json(const nlohmann::json& config, const std::vector<std::string>& overrides);

}  // namespace s2s
