// `s2s report`: re-renders report.html and report.md from a compare run's results.json.
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "command_registry.h"
#include "report/report.h"
#include "util/atomic_file.h"
#include "util/error.h"

namespace {

struct ReportOptions {
  std::string results;
  std::string out;
};

void run_report(const ReportOptions& options) {
  const std::string text = s2s::read_text_file(options.results);
  nlohmann::json results;
  try {
    results = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw s2s::Error(options.results + " is not valid JSON (byte " + std::to_string(e.byte) + ").");
  }
  if (!results.is_object() || !results.contains("models") || !results["models"].is_array())
    throw s2s::Error(options.results + " has no \"models\" array (expected the results.json written by s2s compare).");
  s2s::write_report(results, options.out);
  std::cout << "wrote " << options.out << "/report.html and " << options.out << "/report.md\n";
}

s2s::app::CommandRegistration registration("report", [](CLI::App* cmd) {
  auto options = std::make_shared<ReportOptions>();
  cmd->add_option("--results", options->results, "results.json written by `s2s compare`")->required();
  cmd->add_option("--out", options->out, "directory for report.html and report.md (created if missing)")->required();
  cmd->callback([options] { run_report(*options); });
});

}  // namespace
