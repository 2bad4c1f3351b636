#pragma once
// The compare report: renders results.json (written by `s2s compare`) as
// OUT/report.html and OUT/report.md. Both files are written atomically, so a
// reader never sees a half-written report. `s2s report` calls this to re-render.
#include <nlohmann/json.hpp>

#include <string>

#include "report/findings.h"

namespace s2s {

// Creates out_dir if needed. Throws s2s::Error naming the key or file at fault.
void write_report(const nlohmann::json& results, const std::string& out_dir);

}  // namespace s2s
