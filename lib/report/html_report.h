#pragma once
// report.html: one self-contained page (inline CSS and SVG, no scripts, no network)
// with the findings, the tables and the plots of a compare run.
#include <nlohmann/json.hpp>

#include <string>

namespace s2s::report {

// Throws s2s::Error when results has no "models" array.
std::string render_html(const nlohmann::json& results);

}  // namespace s2s::report
