#include "report/report.h"

#include <filesystem>
#include <system_error>

#include "report/html_report.h"
#include "report/markdown_report.h"
#include "util/atomic_file.h"
#include "util/error.h"

namespace s2s {

void write_report(const nlohmann::json& results, const std::string& out_dir) {
  // Render both before writing either, so a bad results object leaves no files behind.
  const std::string html = report::render_html(results);
  const std::string markdown = report::render_markdown(results);
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) throw Error("cannot create report directory " + out_dir + ": " + ec.message());
  const std::filesystem::path dir(out_dir);
  write_text_atomically((dir / "report.html").string(), html);
  write_text_atomically((dir / "report.md").string(), markdown);
}

}  // namespace s2s
