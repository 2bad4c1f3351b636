// sacreBLEU-exact BLEU and chrF, and the `s2s bleu` command.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "metrics/bleu.h"
#include "metrics/chrf.h"
#include "metrics/sacre_tokenize.h"
#include "util/error.h"

namespace {

using s2s::BleuOptions;
using s2s::SacreTokenizer;
using Streams = std::vector<std::vector<std::string>>;

constexpr double kTolerance = 1e-6;

std::vector<nlohmann::json> load_vectors() {
  std::ifstream in(std::string(S2S_TEST_DATA_DIR) + "/bleu_vectors.jsonl");
  REQUIRE(in);
  std::vector<nlohmann::json> cases;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) cases.push_back(nlohmann::json::parse(line));
  return cases;
}

bool has_case(const std::vector<nlohmann::json>& cases, bool (*pred)(const nlohmann::json&)) {
  for (const auto& c : cases)
    if (pred(c)) return true;
  return false;
}

// A scratch directory removed when the test ends.
struct TempDir {
  std::string path;
  TempDir() {
    std::string pattern = "/tmp/s2s_bleu_test_XXXXXX";
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string write(const std::string& name, const std::string& text) const {
    std::string file = path + "/" + name;
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }
};

struct CommandResult {
  int exit_code;
  std::string out;
  std::string err;
};

CommandResult run_s2s(const std::string& args, const TempDir& dir) {
  const std::string out = dir.path + "/stdout.txt", err = dir.path + "/stderr.txt";
  int status = std::system((std::string("'") + S2S_BINARY + "' " + args + " >'" + out + "' 2>'" + err + "'").c_str());
  auto slurp = [](const std::string& file) {
    std::ifstream in(file);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  };
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

}  // namespace

TEST_CASE("every conformance vector matches sacreBLEU 2.6.0 for BLEU, sentence BLEU, chrF and signature", "[bleu]") {
  const auto cases = load_vectors();
  REQUIRE(cases.size() >= 100);
  for (const auto& c : cases) {
    INFO("case " << c["id"].get<std::string>());
    BleuOptions options;
    options.tokenize = s2s::parse_sacre_tokenizer(c["tokenize"].get<std::string>());
    options.lowercase = c["lowercase"].get<bool>();
    const auto hyps = c["hyps"].get<std::vector<std::string>>();
    const auto refs = c["refs"].get<Streams>();

    const s2s::BleuResult bleu = s2s::corpus_bleu(hyps, refs, options);
    const auto& want = c["bleu"];
    CHECK(bleu.score == Approx(want["score"].get<double>()).margin(kTolerance));
    CHECK(bleu.bp == Approx(want["bp"].get<double>()).margin(kTolerance));
    CHECK(bleu.sys_len == want["sys_len"].get<int64_t>());
    CHECK(bleu.ref_len == want["ref_len"].get<int64_t>());
    for (int n = 0; n < 4; ++n) {
      CHECK(bleu.precisions[n] == Approx(want["precisions"][n].get<double>()).margin(kTolerance));
      CHECK(bleu.counts[n] == want["counts"][n].get<int64_t>());
      CHECK(bleu.totals[n] == want["totals"][n].get<int64_t>());
    }
    CHECK(bleu.signature == c["signature"].get<std::string>());

    const auto sentences = s2s::sentence_bleu_each(hyps, refs, options);
    REQUIRE(sentences.size() == c["sentence_bleu"].size());
    for (size_t i = 0; i < sentences.size(); ++i) {
      INFO("line " << i);
      CHECK(sentences[i].score == Approx(c["sentence_bleu"][i].get<double>()).margin(kTolerance));
    }

    s2s::ChrfOptions chrf_options;
    chrf_options.lowercase = options.lowercase;
    CHECK(s2s::corpus_chrf(hyps, refs, chrf_options).score == Approx(c["chrf"].get<double>()).margin(kTolerance));
  }
}

TEST_CASE("the conformance vectors cover the edge cases that matter", "[bleu]") {
  const auto cases = load_vectors();
  CHECK(has_case(cases, [](const nlohmann::json& c) {
    for (const auto& h : c["hyps"])
      if (h.get<std::string>().empty()) return true;
    return false;
  }));
  CHECK(has_case(cases, [](const nlohmann::json& c) { return c["lowercase"].get<bool>(); }));
  CHECK(has_case(cases, [](const nlohmann::json& c) { return c["refs"].size() >= 3; }));
  CHECK(has_case(cases, [](const nlohmann::json& c) { return c["tokenize"] == "char"; }));
  CHECK(has_case(cases, [](const nlohmann::json& c) { return c["tokenize"] == "intl"; }));
  CHECK(has_case(cases, [](const nlohmann::json& c) { return c.dump().find("日本") != std::string::npos; }));
}

TEST_CASE("sentence_bleu of one pair equals the matching line of sentence_bleu_each", "[bleu]") {
  const std::vector<std::string> hyps = {"the cat sat on the mat", "a dog"};
  const Streams refs = {{"the cat sat on a mat", "the dog"}, {"there is a cat on the mat", "a dog barks"}};
  const auto each = s2s::sentence_bleu_each(hyps, refs);
  CHECK(s2s::sentence_bleu(hyps[0], {refs[0][0], refs[1][0]}) == Approx(each[0].score).margin(1e-12));
  CHECK(s2s::sentence_bleu(hyps[1], {refs[0][1], refs[1][1]}) == Approx(each[1].score).margin(1e-12));
  CHECK(each[0].signature == "nrefs:2|case:mixed|eff:yes|tok:13a|smooth:exp|version:2.6.0");
}

TEST_CASE("an identical hypothesis scores 100 BLEU and 100 chrF", "[bleu]") {
  const std::vector<std::string> hyps = {"The quick brown fox jumps over the lazy dog.", "Hello, world!"};
  const auto bleu = s2s::corpus_bleu(hyps, {hyps});
  CHECK(bleu.score == Approx(100.0));
  CHECK(bleu.format() == "BLEU = 100.00 100.0/100.0/100.0/100.0 (BP = 1.000 ratio = 1.000 hyp_len = 14 ref_len = 14)");
  const auto chrf = s2s::corpus_chrf(hyps, {hyps});
  CHECK(chrf.score == Approx(100.0));
  CHECK(chrf.format() == "chrF2 = 100.00");
  CHECK(chrf.signature == "nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0");
}

TEST_CASE("an empty corpus and empty hypotheses score zero without failing", "[bleu]") {
  CHECK(s2s::corpus_bleu({}, {{}}).score == 0.0);
  const auto bleu = s2s::corpus_bleu({""}, {{"some words here"}});
  CHECK(bleu.score == 0.0);
  CHECK(bleu.bp == 0.0);
  CHECK(bleu.sys_len == 0);
  CHECK(bleu.ref_len == 3);
  CHECK(s2s::sentence_bleu("", {"x"}) == 0.0);
  CHECK(s2s::corpus_chrf({""}, {{"abc"}}).score == 0.0);
}

TEST_CASE("the 13a tokenizer splits punctuation but keeps decimal numbers and unescapes entities", "[bleu]") {
  CHECK(s2s::sacre_tokenize_utf8("Hello, world. It costs 3.50 &amp; 1,000-2", SacreTokenizer::k13a) ==
        "Hello , world . It costs 3.50 & 1,000 - 2");
  CHECK(s2s::sacre_tokenize_utf8("don't (x)", SacreTokenizer::k13a) == "don't ( x )");
}

TEST_CASE("the intl tokenizer separates Unicode punctuation and symbols", "[bleu]") {
  CHECK(s2s::sacre_tokenize_utf8("«Hola», dijo€5 3.5", SacreTokenizer::kIntl) == "« Hola » , dijo € 5 3.5");
}

TEST_CASE("the char tokenizer makes every non-space character a token", "[bleu]") {
  CHECK(s2s::sacre_tokenize_utf8("日本 語", SacreTokenizer::kChar) == "日 本 語");
}

TEST_CASE("lowercasing follows Python's str.lower, including one-to-many and final sigma", "[bleu]") {
  const std::u32string lowered = s2s::python_lower(U"ÅNGSTRÖM İ ΟΔΟΣ");
  CHECK(lowered == U"ångström i\u0307 οδος");
}

TEST_CASE("Python whitespace, including no-break space, separates words", "[bleu]") {
  CHECK(s2s::sacre_tokenize_utf8("a\u00a0b\u3000c\td", SacreTokenizer::kNone) == "a b c d");
  CHECK(s2s::sacre_tokenize_utf8("a\u200bb", SacreTokenizer::kNone) == "a\u200bb");
}

TEST_CASE("mismatched line counts and invalid UTF-8 raise s2s::Error", "[bleu]") {
  CHECK_THROWS_AS(s2s::corpus_bleu({"a", "b"}, {{"a"}}), s2s::Error);
  CHECK_THROWS_AS(s2s::corpus_chrf({"a"}, {}), s2s::Error);
  CHECK_THROWS_WITH(s2s::corpus_bleu({"ok", "bad \xff"}, {{"a", "b"}}), Catch::Contains("line 2"));
  CHECK_THROWS_AS(s2s::parse_sacre_tokenizer("zh"), s2s::Error);
}

TEST_CASE("a corpus of thousands of lines scores with positive BLEU and chrF", "[bleu]") {
  // Speed is measured by benchmarks, never by timed unit tests (the machine is noisy).
  std::vector<std::string> hyps, refs;
  for (int i = 0; i < 5000; ++i) {
    hyps.push_back("the quick brown fox number " + std::to_string(i) + " jumps over the lazy dog , again .");
    refs.push_back("a quick brown fox number " + std::to_string(i % 97) + " jumped over the lazy dog again .");
  }
  const auto bleu = s2s::corpus_bleu(hyps, {refs});
  const auto chrf = s2s::corpus_chrf(hyps, {refs});
  CHECK(bleu.score > 0.0);
  CHECK(bleu.score < 100.0);
  CHECK(chrf.score > 0.0);
  CHECK(bleu.sys_len == 5000 * 14);
}

TEST_CASE("s2s bleu prints sacreBLEU-style BLEU and chrF lines and JSON", "[bleu]") {
  TempDir dir;
  const std::string hyp = dir.write("hyp.txt", "the cat sat on the mat\nhello world\n");
  const std::string ref = dir.write("ref.txt", "the cat sat on the mat\nhello world\n");
  const auto text = run_s2s("bleu --ref '" + ref + "' --hyp '" + hyp + "'", dir);
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find("BLEU = 100.00 100.0/100.0/100.0/100.0 (BP = 1.000 ratio = 1.000 hyp_len = 8 ref_len = 8)") !=
        std::string::npos);
  CHECK(text.out.find("chrF2 = 100.00") != std::string::npos);
  CHECK(text.out.find("nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0") != std::string::npos);

  const auto json = run_s2s("bleu --json --ref '" + ref + "' --ref '" + ref + "' < '" + hyp + "'", dir);
  REQUIRE(json.exit_code == 0);
  const auto parsed = nlohmann::json::parse(json.out);
  CHECK(parsed["bleu"]["score"].get<double>() == Approx(100.0));
  CHECK(parsed["bleu"]["signature"] == "nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0");
  CHECK(parsed["chrf"]["score"].get<double>() == Approx(100.0));

  const auto sentence = run_s2s("bleu --sentence --ref '" + ref + "' --hyp '" + hyp + "'", dir);
  REQUIRE(sentence.exit_code == 0);
  CHECK(std::count(sentence.out.begin(), sentence.out.end(), '\n') == 2);
}

TEST_CASE("s2s bleu exits non-zero naming both files and both counts when line counts differ", "[bleu]") {
  TempDir dir;
  const std::string hyp = dir.write("hyp.txt", "one\ntwo\nthree\n");
  const std::string ref = dir.write("ref.txt", "one\ntwo\n");
  const auto result = run_s2s("bleu --ref '" + ref + "' --hyp '" + hyp + "'", dir);
  CHECK(result.exit_code != 0);
  CHECK(result.err.find(hyp) != std::string::npos);
  CHECK(result.err.find(ref) != std::string::npos);
  CHECK(result.err.find("3 lines") != std::string::npos);
  CHECK(result.err.find("2 lines") != std::string::npos);
}

TEST_CASE("s2s bleu exits non-zero naming the file and line of invalid UTF-8", "[bleu]") {
  TempDir dir;
  const std::string hyp = dir.write("hyp.txt", "fine\nbroken \xc3\x28\n");
  const std::string ref = dir.write("ref.txt", "fine\nfine\n");
  const auto result = run_s2s("bleu --ref '" + ref + "' --hyp '" + hyp + "'", dir);
  CHECK(result.exit_code != 0);
  CHECK(result.err.find(hyp) != std::string::npos);
  CHECK(result.err.find("line 2") != std::string::npos);
}
