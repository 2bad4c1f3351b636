#pragma once
// report.md: the findings and the same tables as report.html, as Markdown.
#include <nlohmann/json.hpp>

#include <string>

namespace s2s::report {

// Throws s2s::Error when results has no "models" array.
std::string render_markdown(const nlohmann::json& results);

}  // namespace s2s::report
