// Reading, validating and filtering parallel corpora (lib/data/corpus.h).
#include <zlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <unistd.h>

#include "data/corpus.h"
#include "test_support.h"
#include "util/error.h"

namespace fs = std::filesystem;
using s2s_test::error_of;

namespace {

// A fresh temporary directory, removed when the test ends.
struct CorpusTempDir {
  fs::path path;
  CorpusTempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("s2s_test_corpus_" + std::to_string(::getpid()) + "_" + std::to_string(++counter));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~CorpusTempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name, const std::string& bytes) const {
    const std::string p = (path / name).string();
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  std::string gzip_file(const std::string& name, const std::string& bytes) const {
    const std::string p = (path / name).string();
    gzFile f = gzopen(p.c_str(), "wb");
    REQUIRE(f != nullptr);
    REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
    gzclose(f);
    return p;
  }
};

std::string sample(const std::string& name) { return std::string(S2S_TEST_DATA_DIR) + "/corpus/" + name; }

using Catch::Matchers::Contains;

}  // namespace

TEST_CASE("two aligned text files are read pair by pair", "[corpus]") {
  const auto corpus = s2s::read_parallel_text(sample("sample.es"), sample("sample.en"));
  REQUIRE(corpus.size() == 5);
  CHECK(corpus.source[0] == "Hola mundo.");
  CHECK(corpus.target[0] == "Hello world.");
  CHECK(corpus.source[2].empty());
  CHECK(corpus.target[4] == "Thanks.");
}

TEST_CASE("a TSV file is read from the chosen 0-based columns", "[corpus]") {
  auto corpus = s2s::read_parallel_tsv(sample("sample.tsv"), 1, 2);
  REQUIRE(corpus.size() == 4);  // the header line is data like any other
  CHECK(corpus.source[1] == "Hola mundo.");
  CHECK(corpus.target[1] == "Hello world.");
  corpus = s2s::read_parallel_tsv(sample("sample.tsv"), 2, 0);
  CHECK(corpus.source[3] == "Thanks.");
  CHECK(corpus.target[3] == "3");
}

TEST_CASE("trailing carriage returns and a leading byte-order mark are removed", "[corpus]") {
  CorpusTempDir dir;
  const auto path = dir.file("crlf.txt", "\xEF\xBB\xBFuno\r\ndos\r\n\r\ntres");
  const auto lines = s2s::read_lines(path);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == "uno");
  CHECK(lines[1] == "dos");
  CHECK(lines[2].empty());
  CHECK(lines[3] == "tres");  // the last line needs no newline
}

TEST_CASE("an empty file has no lines and a final newline adds no empty line", "[corpus]") {
  CorpusTempDir dir;
  CHECK(s2s::read_lines(dir.file("empty.txt", "")).empty());
  CHECK(s2s::read_lines(dir.file("one.txt", "a\n")).size() == 1);
}

TEST_CASE("lines longer than the read buffer come back whole", "[corpus]") {
  CorpusTempDir dir;
  const std::string long_line(200000, 'x');
  const auto lines = s2s::read_lines(dir.file("long.txt", "a\n" + long_line + "\nb\n"));
  REQUIRE(lines.size() == 3);
  CHECK(lines[1] == long_line);
  CHECK(lines[2] == "b");
}

TEST_CASE("invalid UTF-8 is an error naming the file and the line number", "[corpus]") {
  CorpusTempDir dir;
  const auto path = dir.file("bad.es", "bien\ntambién\nmal \xC3\x28 aquí\n");
  const auto message = error_of([&] { s2s::read_lines(path); });
  CHECK_THAT(message, Contains(path + ":3"));
  CHECK_THAT(message, Contains("invalid UTF-8"));
  CHECK_THAT(message, Contains("byte 5"));
}

TEST_CASE("invalid UTF-8 in the target file of a pair names the target file", "[corpus]") {
  CorpusTempDir dir;
  const auto src = dir.file("a.es", "uno\ndos\n");
  const auto trg = dir.file("a.en", "one\n\xFFtwo\n");
  const auto message = error_of([&] { s2s::read_parallel_text(src, trg); });
  CHECK_THAT(message, Contains(trg + ":2"));
}

TEST_CASE("overlong encodings and UTF-16 surrogates are rejected as invalid UTF-8", "[corpus]") {
  CorpusTempDir dir;
  CHECK_THAT(error_of([&] { s2s::read_lines(dir.file("overlong.txt", "\xC0\xAF\n")); }), Contains("invalid UTF-8"));
  CHECK_THAT(error_of([&] { s2s::read_lines(dir.file("surrogate.txt", "ok\n\xED\xA0\x80\n")); }),
             Contains("surrogate.txt:2"));
  CHECK(s2s::first_invalid_utf8("ab\xC3\xA9" "c\xE2\x82") == 5);
  CHECK(s2s::first_invalid_utf8("caf\xC3\xA9") == std::string_view::npos);
}

TEST_CASE("a NUL byte is an error naming the file and line", "[corpus]") {
  CorpusTempDir dir;
  const auto path = dir.file("nul.txt", std::string("ok\nbin\0ary\n", 11));
  const auto message = error_of([&] { s2s::read_lines(path); });
  CHECK_THAT(message, Contains(path + ":2"));
  CHECK_THAT(message, Contains("NUL"));
}

TEST_CASE("two files with different line counts are an error naming both files and both counts", "[corpus]") {
  CorpusTempDir dir;
  const auto src = dir.file("short.es", "uno\ndos\ntres\n");
  const auto trg = dir.file("long.en", "one\ntwo\nthree\nfour\nfive\n");
  auto message = error_of([&] { s2s::read_parallel_text(src, trg); });
  CHECK_THAT(message, Contains(src + " has 3 lines"));
  CHECK_THAT(message, Contains(trg + " has 5"));
  message = error_of([&] { s2s::read_parallel_text(trg, src); });
  CHECK_THAT(message, Contains(trg + " has 5 lines"));
  CHECK_THAT(message, Contains(src + " has 3"));
}

TEST_CASE("a missing file is an error naming it", "[corpus]") {
  CorpusTempDir dir;
  const std::string missing = (dir.path / "nope.en").string();
  CHECK_THAT(error_of([&] { s2s::read_lines(missing); }), Contains(missing));
  CHECK_THAT(error_of([&] { s2s::read_parallel_text(sample("sample.es"), missing); }), Contains(missing));
  CHECK_THAT(error_of([&] { s2s::read_parallel_tsv(missing, 0, 1); }), Contains(missing));
  CHECK_THAT(error_of([&] { s2s::read_lines(dir.path.string()); }), Contains("directory"));
}

TEST_CASE("a TSV line with too few fields is an error naming the file and line", "[corpus]") {
  CorpusTempDir dir;
  const auto path = dir.file("short.tsv", "a\tb\tc\nd\te\tf\ng\th\n");
  const auto message = error_of([&] { s2s::read_parallel_tsv(path, 0, 1); });
  CHECK_THAT(message, Contains(path + ":3"));
  CHECK_THAT(message, Contains("expected 3"));
  CHECK_THAT(message, Contains("found 2"));
}

TEST_CASE("a TSV line with too many fields is an error naming the file and line", "[corpus]") {
  CorpusTempDir dir;
  const auto path = dir.file("long.tsv", "a\tb\nc\td\te\n");
  const auto message = error_of([&] { s2s::read_parallel_tsv(path, 0, 1); });
  CHECK_THAT(message, Contains(path + ":2"));
  CHECK_THAT(message, Contains("expected 2"));
  CHECK_THAT(message, Contains("found 3"));
}

TEST_CASE("a TSV whose lines lack the requested column is an error naming the file and line", "[corpus]") {
  CorpusTempDir dir;
  const auto path = dir.file("two.tsv", "a\tb\nc\td\n");
  const auto message = error_of([&] { s2s::read_parallel_tsv(path, 0, 2); });
  CHECK_THAT(message, Contains(path + ":1"));
  CHECK_THAT(message, Contains("found 2"));
  CHECK_THROWS_AS(s2s::read_parallel_tsv(path, 1, 1), s2s::Error);
}

TEST_CASE("an explicit TSV field count is enforced from the first line", "[corpus]") {
  CorpusTempDir dir;
  const auto path = dir.file("x.tsv", "a\tb\nc\td\n");
  const auto message = error_of([&] { s2s::read_parallel_tsv(path, 0, 1, 3); });
  CHECK_THAT(message, Contains(path + ":1"));
  CHECK_THAT(message, Contains("expected 3"));
}

TEST_CASE("gzip input is recognised by its magic bytes, not its name", "[corpus]") {
  CorpusTempDir dir;
  const std::string text = "uno\ndos\ntrés\n";
  const auto gz = dir.gzip_file("looks_plain.txt", text);
  const auto plain = dir.file("looks_gzipped.gz", text);
  CHECK(s2s::is_gzip_file(gz));
  CHECK_FALSE(s2s::is_gzip_file(plain));
  CHECK(s2s::read_lines(gz) == s2s::read_lines(plain));
  CHECK(s2s::read_lines(gz).size() == 3);
  s2s::LineReader reader(gz);
  CHECK(reader.compressed());
}

TEST_CASE("gzip-compressed parallel files and TSV files are read like plain ones", "[corpus]") {
  CorpusTempDir dir;
  const auto src = dir.gzip_file("c.es.gz", "hola\r\nadiós\r\n");
  const auto trg = dir.file("c.en", "hello\ngoodbye\n");
  const auto corpus = s2s::read_parallel_text(src, trg);
  REQUIRE(corpus.size() == 2);
  CHECK(corpus.source[1] == "adiós");
  const auto tsv = dir.gzip_file("c.tsv.gz", "hola\thello\nadiós\tgoodbye\n");
  CHECK(s2s::read_parallel_tsv(tsv, 1, 0).source[1] == "goodbye");
}

TEST_CASE("invalid UTF-8 inside a gzip file names the file and line", "[corpus]") {
  CorpusTempDir dir;
  const auto gz = dir.gzip_file("bad.gz", "fine\nfine\nbad\xFE\n");
  CHECK_THAT(error_of([&] { s2s::read_lines(gz); }), Contains(gz + ":3"));
}

TEST_CASE("a truncated gzip file is an error naming the file", "[corpus]") {
  CorpusTempDir dir;
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "line number " + std::to_string(i * 7919 % 10007) + "\n";
  const auto gz = dir.gzip_file("full.gz", text);
  std::ifstream in(gz, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto cut = dir.file("cut.gz", bytes.substr(0, bytes.size() / 2));
  CHECK_THAT(error_of([&] { s2s::read_lines(cut); }), Contains(cut));
}

TEST_CASE("words are whitespace-separated runs and whitespace is normalised", "[corpus]") {
  CHECK(s2s::count_words("") == 0);
  CHECK(s2s::count_words("   \t ") == 0);
  CHECK(s2s::count_words("  uno  dos\ttres ") == 3);
  CHECK(s2s::normalize_whitespace("  uno  dos\t\ttres ") == "uno dos tres");
  CHECK(s2s::normalize_whitespace(" \t ").empty());
}

TEST_CASE("the filter counts each dropped pair under the first rule it fails", "[corpus]") {
  s2s::ParallelCorpus c;
  auto add = [&](const std::string& s, const std::string& t) {
    c.source.push_back(s);
    c.target.push_back(t);
  };
  add("a b c", "x y z");               // kept (3, 3)
  add("", "x");                        // empty
  add("a", "   ");                     // empty (only whitespace)
  add("a b c d e f", "x y z");         // too long with max_words 5
  add("", "a b c d e f g");            // empty and too long: counted as empty
  add("a", "x y z w");                 // ratio 4 > 3
  add("a b c d e", "x");               // ratio 5 > 3 and at the word limit: ratio
  add("a b", "x y z w v w");           // too long (6) and ratio 3: too long
  add("a b", "x y z w v");             // ratio 2.5: kept (2, 5)
  add("uno dos tres", "one two");      // kept (3, 2)
  s2s::CorpusFilter f;
  f.max_words = 5;
  f.max_ratio = 3.0;
  s2s::FilterStats st;
  const auto kept = s2s::filter_corpus(c, f, &st);
  CHECK(st.read == 10);
  CHECK(st.kept == 3);
  CHECK(st.dropped_empty == 3);
  CHECK(st.dropped_too_long == 2);
  CHECK(st.dropped_ratio == 2);
  CHECK(st.dropped() == 7);
  REQUIRE(kept.size() == 3);
  CHECK(kept.source[1] == "a b");
  CHECK(kept.target[2] == "one two");
  CHECK(st.source_words.sentences == 3);
  CHECK(st.source_words.total_words == 8);
  CHECK(st.target_words.max_words == 5);
  REQUIRE(st.source_words.counts.size() == 1);  // every source has < 10 words
  CHECK(st.source_words.counts[0] == 3);
}

TEST_CASE("filter limits of 0 turn the length and ratio rules off", "[corpus]") {
  s2s::ParallelCorpus c;
  c.source = {std::string(300 * 2, ' ') + "a", "a", ""};
  for (int i = 0; i < 300; ++i) c.source[0] += " w";
  c.target = {"x", "x y z w v u t s r q p o", "x"};
  s2s::FilterStats st;
  const auto kept = s2s::filter_corpus(c, s2s::CorpusFilter{0, 0.0, true}, &st);
  CHECK(kept.size() == 2);
  CHECK(st.dropped_empty == 1);
  CHECK(st.dropped_too_long == 0);
  CHECK(st.dropped_ratio == 0);
  CHECK(st.source_words.max_words == 301);
  CHECK(st.source_words.counts.size() == 31);
  CHECK(st.source_words.counts[30] == 1);
}

TEST_CASE("the default filter drops pairs over 250 words and with a ratio over 9", "[corpus]") {
  auto words = [](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += (i ? " w" : "w");
    return s;
  };
  s2s::ParallelCorpus c;
  c.source = {words(250), words(251), words(10), words(9), words(1)};
  c.target = {words(250), words(100), words(1), words(1), words(1)};
  s2s::FilterStats st;
  s2s::filter_corpus(c, s2s::CorpusFilter{}, &st);
  CHECK(st.kept == 3);
  CHECK(st.dropped_too_long == 1);
  CHECK(st.dropped_ratio == 1);
}

TEST_CASE("filter statistics serialise to JSON with counts per reason and histograms", "[corpus]") {
  const auto corpus = s2s::read_parallel_text(sample("sample.es"), sample("sample.en"));
  s2s::FilterStats st;
  s2s::filter_corpus(corpus, s2s::CorpusFilter{}, &st);
  const auto j = st.to_json();
  CHECK(j["read"] == 5);
  CHECK(j["kept"] == 4);
  CHECK(j["dropped"]["empty"] == 1);
  CHECK(j["dropped"]["too_long"] == 0);
  CHECK(j["dropped"]["ratio"] == 0);
  CHECK(j["dropped"]["total"] == 1);
  CHECK(j["words"]["source"]["max"] == 5);
  CHECK(j["words"]["target"]["histogram"]["bucket_width"] == 10);
  CHECK(j["words"]["target"]["histogram"]["counts"] == nlohmann::json::array({4}));
  CHECK(j["words"]["source"]["mean"].get<double>() == Approx(11.0 / 4.0));
}
