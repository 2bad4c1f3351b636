#pragma once
// The short list of findings at the top of the compare report. Each sentence is
// derived by comparing numbers in results.json (which model scores best and by how
// much, how latency grows with length, where the RNN wins); none is fixed text, so a
// run where the RNN does better says so. Findings whose inputs are missing are left
// out rather than guessed.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace s2s {

std::vector<std::string> derive_findings(const nlohmann::json& results);

}  // namespace s2s
