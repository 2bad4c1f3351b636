// Tests of the compare report renderer (lib/report) and the `s2s report` subcommand.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "report/html_report.h"
#include "report/markdown_report.h"
#include "report/report.h"
#include "report/report_format.h"
#include "report/svg_plot.h"
#include "util/atomic_file.h"
#include "util/error.h"

namespace fs = std::filesystem;
using nlohmann::json;
using Catch::Matchers::Contains;

namespace {

const std::string kFixture = std::string(S2S_TEST_DATA_DIR) + "/report/results_fixture.json";
const std::string kEmDash = "\xE2\x80\x94";

json fixture() { return json::parse(s2s::read_text_file(kFixture)); }

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + needle.size())) ++n;
  return n;
}

// A fresh, empty directory under the system temp dir, removed at scope exit.
struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("s2s_report_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

json& model(json& results, const std::string& name) {
  for (auto& m : results["models"])
    if (m["name"] == name) return m;
  FAIL("fixture has no model " << name);
  throw std::logic_error("unreachable");
}

std::string findings_text(const json& results) {
  std::string all;
  for (const auto& f : s2s::derive_findings(results)) all += f + "\n";
  return all;
}

std::string finding_starting(const json& results, const std::string& prefix) {
  for (const auto& f : s2s::derive_findings(results))
    if (f.rfind(prefix, 0) == 0) return f;
  return "";
}

// Words that must never reach a reader in place of a number.
void require_no_placeholder_words(const std::string& text) {
  CHECK(text.find("NaN") == std::string::npos);
  CHECK(text.find(">nan") == std::string::npos);
  CHECK(text.find(" nan") == std::string::npos);
  CHECK(text.find("inf<") == std::string::npos);
  CHECK(text.find("null") == std::string::npos);
  CHECK(text.find("undefined") == std::string::npos);
}

}  // namespace

TEST_CASE("the HTML report has one svg per plot and per attention map", "[report]") {
  const std::string html = s2s::report::render_html(fixture());
  // 2 training curves + throughput + 3 latency plots + BLEU by length = 7;
  // rnn-attention: 2 examples; transformer: 1 example averaged + 4 heads.
  CHECK(count(html, "<svg") == 7 + 2 + 1 + 4);
  CHECK(count(html, "</svg>") == count(html, "<svg"));
  require_no_placeholder_words(html);
}

TEST_CASE("the HTML and Markdown tables have a row per model, bucket and latency series", "[report]") {
  const json results = fixture();
  const std::string html = s2s::report::render_html(results);
  const std::string md = s2s::report::render_markdown(results);
  // headline 1+3, latency 1+9, by length 1+6, run 1+13.
  CHECK(count(html, "<tr>") == 4 + 10 + 7 + 14);
  CHECK(count(md, "\n| rnn |") == 1);
  CHECK(count(md, "\n| rnn-attention |") == 1);
  CHECK(count(md, "\n| transformer |") == 1);
  CHECK(count(md, "| Encoder |") == 3);
  CHECK(count(md, "| Autoregressive decoding |") == 3);
  CHECK(count(md, "\n| 41-60 |") == 1);
  // The same numbers appear in both files.
  for (const char* value : {"6.41 M", "3,120", "10.4", "11.1", "36.2", "271", "0.90", "5.9"}) {
    CHECK_THAT(html, Contains(value));
    CHECK_THAT(md, Contains(value));
  }
  CHECK_THAT(md, Contains("nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0"));
  CHECK_THAT(html, Contains("s2s compare --config models/compare-demo.json --out runs/fixture"));
  require_no_placeholder_words(md);
}

TEST_CASE("a missing BLEU value renders as a dash, never as NaN", "[report]") {
  json results = fixture();
  json& rnn = model(results, "rnn");
  rnn["test"]["greedy"].erase("bleu");
  rnn["test"]["beam"]["bleu"] = nullptr;
  rnn["test"]["bleu_by_length"][0].erase("bleu");
  model(results, "transformer")["test"]["greedy"]["chrf"] = std::nan("");  // non-finite, as if computed from nothing
  const std::string html = s2s::report::render_html(results);
  const std::string md = s2s::report::render_markdown(results);
  require_no_placeholder_words(html);
  require_no_placeholder_words(md);
  CHECK_THAT(md, Contains("| rnn | rnn, no attention | 6.41 M | 600 | 231.4 | max_steps | 3,120 | 4.020 | " + kEmDash +
                          " | " + kEmDash + " | 24.3 |"));
  CHECK_THAT(md, Contains("| 1-10 | 212 | " + kEmDash + " | 11.2 | 13.0 |"));
  CHECK_THAT(html, Contains("<td>" + kEmDash + "</td>"));
  // The empty 61+ bucket is a dash in the table and in the bar chart, not a zero-height bar.
  CHECK_THAT(md, Contains("| 61+ | 0 | " + kEmDash + " | " + kEmDash + " | " + kEmDash + " |"));
  CHECK_THAT(findings_text(results), !Contains("rnn (4.1)"));
}

TEST_CASE("the findings name the model with the best test BLEU and its margin", "[report]") {
  const std::string f = finding_starting(fixture(), "Best test BLEU");
  CHECK_THAT(f, Contains("transformer with 10.4"));
  CHECK_THAT(f, Contains("rnn-attention (7.9) by 2.5"));
  CHECK_THAT(f, Contains("rnn (4.1) by 6.3"));
  CHECK_THAT(f, !Contains("RNN beat"));
}

TEST_CASE("the findings say the RNN wins when its BLEU is higher", "[report]") {
  json results = fixture();
  model(results, "rnn-attention")["test"]["greedy"]["bleu"] = 12.0;
  const std::string best = finding_starting(results, "Best test BLEU");
  CHECK_THAT(best, Contains("rnn-attention with 12.0"));
  CHECK_THAT(best, Contains("transformer (10.4) by 1.6"));
  CHECK_THAT(best, Contains("an RNN beat the Transformer"));
  const std::string wins = finding_starting(results, "Where the RNN wins");
  CHECK_THAT(wins, Contains("better test BLEU under the same budget (rnn-attention 12.0 vs 10.4)"));
}

TEST_CASE("the throughput finding gives the Transformer/RNN ratio and who was faster", "[report]") {
  json results = fixture();
  std::string f = finding_starting(results, "Training throughput");
  CHECK_THAT(f, Contains("4,096 target tokens/s, 1.3\xC3\x97 rnn's 3,120 and 1.7\xC3\x97 rnn-attention's 2,415"));
  CHECK_THAT(f, Contains("The Transformer trained faster than every RNN"));

  model(results, "transformer")["training"]["target_tokens_per_second"] = 1000.0;
  f = finding_starting(results, "Training throughput");
  CHECK_THAT(f, Contains("0.32\xC3\x97 rnn's 3,120"));
  CHECK_THAT(f, Contains("Every RNN trained faster than the Transformer"));
  CHECK_THAT(finding_starting(results, "Where the RNN wins"), Contains("higher training throughput"));
}

TEST_CASE("the encoder finding reports latency growth from the shortest to the longest length", "[report]") {
  json results = fixture();
  std::string f = finding_starting(results, "Encoder latency");
  CHECK_THAT(f, Contains("transformer 0.6 ms at 8 \xE2\x86\x92 6.4 ms at 256 (11\xC3\x97 for 32\xC3\x97 the length, sub-linear)"));
  CHECK_THAT(f, Contains("rnn 0.9 ms at 8 \xE2\x86\x92 26.4 ms at 256 (29\xC3\x97 for 32\xC3\x97 the length, roughly linear"));
  CHECK_THAT(f, Contains("grew less with length than every RNN encoder's"));

  // Make the Transformer encoder grow faster than the RNNs': the finding must follow.
  auto& enc = model(results, "transformer")["latency"]["encoder"];
  enc.back()["ms"] = 60.0;
  f = finding_starting(results, "Encoder latency");
  CHECK_THAT(f, Contains("grew more with length than every RNN encoder's"));
  CHECK_THAT(f, Contains("the fastest encoder was rnn (26.4 ms)"));
}

TEST_CASE("the decoding finding calls Transformer generation sequential only when latency grows about linearly",
          "[report]") {
  json results = fixture();
  std::string f = finding_starting(results, "Generating is sequential for the Transformer too");
  CHECK_THAT(f, Contains("6 ms for 8 output tokens and 271 ms for 256"));
  CHECK_THAT(f, Contains("30\xC3\x97 for rnn and 31\xC3\x97 for rnn-attention"));
  CHECK_THAT(f, Contains("256 target tokens in 8.3 ms, 33\xC3\x97 faster than generating them one by one"));

  for (auto& point : model(results, "transformer")["latency"]["autoregressive"]) point["ms"] = 5.0;
  CHECK(finding_starting(results, "Generating is sequential").empty());
  CHECK_THAT(finding_starting(results, "The Transformer's generation latency grew less than linearly"),
             Contains("nearly flat"));
}

TEST_CASE("the longest-bucket finding compares the RNN without and with attention", "[report]") {
  json results = fixture();
  std::string f = finding_starting(results, "On the longest source-length bucket");
  CHECK_THAT(f, Contains("(41-60, 83 sentences)"));
  CHECK_THAT(f, Contains("rnn (no attention) scored 0.9 BLEU and rnn-attention (bahdanau attention) 5.9"));
  CHECK_THAT(f, Contains("attention helped by 5.0 BLEU"));
  CHECK_THAT(f, Contains("On that bucket transformer scored 7.4"));

  model(results, "rnn")["test"]["bleu_by_length"][4]["bleu"] = 7.0;
  f = finding_starting(results, "On the longest source-length bucket");
  CHECK_THAT(f, Contains("attention did not help there; the RNN without attention was 1.1 BLEU better"));
}

TEST_CASE("when no RNN wins on any measure the findings say so", "[report]") {
  json results = fixture();
  for (const std::string name : {"rnn", "rnn-attention"}) {
    json& m = model(results, name);
    m["parameters"] = 20000000;
    for (auto& point : m["latency"]["autoregressive"]) point["ms"] = point["ms"].get<double>() * 10;
  }
  const std::string all = findings_text(results);
  CHECK_THAT(all, !Contains("Where the RNN wins"));
  CHECK_THAT(all, Contains("On these numbers no RNN beat transformer on parameter count, per-token decoding latency, "
                           "training throughput or test BLEU."));
}

TEST_CASE("findings whose numbers are missing are left out instead of guessed", "[report]") {
  json results = fixture();
  for (auto& m : results["models"]) {
    m.erase("latency");
    m["training"].erase("target_tokens_per_second");
  }
  const std::string all = findings_text(results);
  CHECK_THAT(all, !Contains("Encoder latency"));
  CHECK_THAT(all, !Contains("Training throughput"));
  CHECK_THAT(all, !Contains("autoregressive"));
  CHECK_THAT(all, Contains("Best test BLEU"));
  const std::string html = s2s::report::render_html(results);
  CHECK(count(html, "no latency measurements in results.json") == 3);
  require_no_placeholder_words(html);
}

TEST_CASE("a model without attention is reported as having no attention maps", "[report]") {
  const json results = fixture();
  CHECK_THAT(s2s::report::render_html(results),
             Contains("No attention: the decoder sees only the final encoder state."));
  CHECK_THAT(s2s::report::render_markdown(results),
             Contains("- rnn: no attention: the decoder sees only the final encoder state."));
}

TEST_CASE("text from results.json is escaped in HTML and Markdown", "[report]") {
  json results = fixture();
  model(results, "rnn")["name"] = "<b>rnn|x</b>";
  const std::string html = s2s::report::render_html(results);
  const std::string md = s2s::report::render_markdown(results);
  CHECK_THAT(html, Contains("&lt;b&gt;rnn|x&lt;/b&gt;"));
  CHECK_THAT(html, !Contains("<b>rnn"));
  CHECK_THAT(md, Contains("<b>rnn\\|x</b>"));
}

TEST_CASE("the HTML report is self-contained: no scripts and no external resources", "[report]") {
  const std::string html = s2s::report::render_html(fixture());
  CHECK_THAT(html, !Contains("<script"));
  CHECK_THAT(html, !Contains("<link"));
  CHECK_THAT(html, !Contains("src="));
  CHECK_THAT(html, !Contains("href="));
  CHECK_THAT(html, !Contains("url("));
  CHECK_THAT(html, Contains("<style>"));
}

TEST_CASE("write_report writes report.html and report.md and no temporary files", "[report]") {
  TempDir dir;
  const fs::path out = dir.path / "nested" / "out";
  s2s::write_report(fixture(), out.string());
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(out)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"report.html", "report.md"});
  CHECK(fs::file_size(out / "report.html") > 10000);
  CHECK(fs::file_size(out / "report.md") > 1000);
}

TEST_CASE("results without a models array are rejected with an error naming the key, writing nothing", "[report]") {
  TempDir dir;
  CHECK_THROWS_WITH(s2s::write_report(json{{"seed", 1}}, dir.path.string()), Contains("\"models\""));
  CHECK_THROWS_WITH(s2s::write_report(json{{"models", 3}}, dir.path.string()), Contains("\"models\""));
  CHECK_THROWS_WITH(s2s::write_report(json{{"models", json::array({1})}}, dir.path.string()), Contains("models[0]"));
  CHECK_THROWS_AS(s2s::derive_findings(json::array()), s2s::Error);
  CHECK(fs::is_empty(dir.path));
}

TEST_CASE("a model with nothing but a name still renders, with dashes and empty-plot notes", "[report]") {
  const json results = {{"models", json::array({json{{"name", "bare"}}})}};
  const std::string html = s2s::report::render_html(results);
  const std::string md = s2s::report::render_markdown(results);
  require_no_placeholder_words(html);
  require_no_placeholder_words(md);
  CHECK(count(html, "<svg") == 7);
  CHECK_THAT(html, Contains("no training curve in results.json"));
  CHECK_THAT(md, Contains("| bare | " + kEmDash + " | " + kEmDash + " |"));
  CHECK_THAT(findings_text(results), Contains("No model has a test BLEU score"));
}

TEST_CASE("svg axes: linear ticks are round numbers and log axes get decade ticks", "[report]") {
  CHECK(s2s::svg::linear_ticks(0, 10) == std::vector<double>{0, 2, 4, 6, 8, 10});
  CHECK(s2s::svg::linear_ticks(0, 1) == std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1});
  CHECK(s2s::svg::log_ticks(1, 1000) == std::vector<double>{1, 10, 100, 1000});
  CHECK(s2s::svg::log_ticks(1, 100) == std::vector<double>{1, 2, 5, 10, 20, 50, 100});
  CHECK(s2s::svg::tick_label(0.6000000000000001, 0.2) == "0.6");
  CHECK(s2s::svg::tick_label(10000, 2000) == "10,000");
  CHECK(s2s::svg::tick_label(0.01, 0.01) == "0.01");
}

TEST_CASE("svg line plot on log axes skips values it cannot draw and labels its axes", "[report]") {
  s2s::svg::LinePlot plot;
  plot.title = "latency";
  plot.x_label = "length (tokens)";
  plot.y_label = "latency (ms)";
  plot.log_x = plot.log_y = true;
  plot.series.push_back({"a", "#0072B2", {{8, 1.0}, {16, 0.0}, {32, -1.0}, {64, std::nan("")}, {128, 100.0}}});
  const std::string svg = s2s::svg::render_line_plot(plot);
  CHECK(count(svg, "<circle") == 2);
  CHECK_THAT(svg, Contains(">length (tokens)<"));
  CHECK_THAT(svg, Contains(">latency (ms)<"));
  CHECK_THAT(svg, Contains(">100<"));
  CHECK_THAT(svg, Contains("log-log axes"));
  CHECK_THAT(svg, !Contains("nan"));
  CHECK_THAT(svg, !Contains("inf"));
}

TEST_CASE("svg charts with nothing to draw say so instead of inventing a range", "[report]") {
  s2s::svg::LinePlot plot;
  plot.title = "empty";
  plot.series.push_back({"a", "#000000", {{1, std::nan("")}}});
  const std::string line = s2s::svg::render_line_plot(plot);
  CHECK_THAT(line, Contains("no data in results.json"));
  CHECK_THAT(line, !Contains("<polyline"));

  s2s::svg::BarChart bars;
  bars.title = "bars";
  bars.categories = {"1-10", "61+"};
  bars.series_labels = {"rnn"};
  bars.series_colors = {"#0072B2"};
  bars.values = {{7.5}, {std::nullopt}};
  const std::string svg = s2s::svg::render_bar_chart(bars);
  CHECK(count(svg, "fill=\"#0072B2\"><title>") == 1);  // one bar; the missing value is a dash
  CHECK_THAT(svg, Contains(kEmDash));
  CHECK_THAT(svg, Contains(">7.5<"));

  bars.values = {{std::nullopt}, {std::nullopt}};
  const std::string none = s2s::svg::render_bar_chart(bars);
  CHECK_THAT(none, Contains("no data in results.json"));
  CHECK_THAT(none, !Contains("<title>rnn"));
}

TEST_CASE("svg heatmap draws one cell per weight with token labels on both axes", "[report]") {
  s2s::svg::Heatmap map;
  map.title = "example";
  map.x_labels = {"\xE2\x96\x81" "En", "\xE2\x96\x81" "el", "<tag>"};
  map.y_labels = {"\xE2\x96\x81" "In", "</s>"};
  map.cells = {{0.9, 0.05, 0.05}, {0.1, std::nan(""), 0.8}};
  const std::string svg = s2s::svg::render_heatmap(map);
  CHECK(count(svg, "</title></rect>") == 6);
  CHECK_THAT(svg, Contains("&lt;tag&gt;"));
  CHECK_THAT(svg, Contains("&lt;/s&gt;"));
  CHECK_THAT(svg, Contains("no value"));
  CHECK_THAT(svg, Contains(">source tokens<"));
  CHECK_THAT(svg, Contains(">target tokens<"));
}

TEST_CASE("report number formats never print exponents, NaN or negative zero", "[report]") {
  using namespace s2s::report;
  CHECK(fixed(std::nullopt, 1) == kEmDash);
  CHECK(fixed(std::nan(""), 1) == kEmDash);
  CHECK(fixed(-0.01, 1) == "0.0");
  CHECK(fixed(12345.678, 1) == "12,345.7");
  CHECK(grouped(29000.0) == "29,000");
  CHECK(parameter_count(5123456.0) == "5.12 M");
  CHECK(parameter_count(812000.0) == "812 k");
  CHECK(significant(0.000123) == "0.000123");
  CHECK(significant(26.4) == "26.4");
  CHECK(significant(1.0) == "1");
  CHECK(times(2.44) == "2.4\xC3\x97");
}

TEST_CASE("s2s report re-renders report.html and report.md from results.json", "[report]") {
  TempDir dir;
  const fs::path out = dir.path / "out";
  const std::string command = std::string("'") + S2S_BINARY + "' report --results '" + kFixture + "' --out '" +
                              out.string() + "' > '" + (dir.path / "stdout").string() + "' 2>&1";
  const int status = std::system(command.c_str());
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(fs::exists(out / "report.html"));
  CHECK(fs::exists(out / "report.md"));
  CHECK(s2s::read_text_file((out / "report.html").string()) == s2s::report::render_html(fixture()));
}

TEST_CASE("s2s report fails with one sentence naming a missing or malformed results file", "[report]") {
  TempDir dir;
  const fs::path missing = dir.path / "nowhere.json";
  const fs::path broken = dir.path / "broken.json";
  const fs::path wrong = dir.path / "wrong.json";
  s2s::write_text_atomically(broken.string(), "{\"models\": [");
  s2s::write_text_atomically(wrong.string(), "{\"model\": []}");
  for (const fs::path& input : {missing, broken, wrong}) {
    const fs::path err = dir.path / "stderr";
    const std::string command = std::string("'") + S2S_BINARY + "' report --results '" + input.string() + "' --out '" +
                                (dir.path / "out").string() + "' 2> '" + err.string() + "'";
    const int status = std::system(command.c_str());
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) != 0);
    const std::string message = s2s::read_text_file(err.string());
    CHECK_THAT(message, Contains(input.string()));
    CHECK(count(message, "\n") == 1);
  }
  CHECK_FALSE(fs::exists(dir.path / "out" / "report.html"));
}
