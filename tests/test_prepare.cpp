// `s2s prepare` (lib/data/prepare.h and app/cmd_prepare.cpp) on small generated corpora.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include "data/corpus.h"
#include "data/prepare.h"
#include "test_support.h"
#include "util/error.h"

namespace fs = std::filesystem;
using s2s_test::error_of;

namespace {

struct PrepareTempDir {
  fs::path path;
  PrepareTempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("s2s_test_prepare_" + std::to_string(::getpid()) + "_" + std::to_string(++counter));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~PrepareTempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

void write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::size_t count_lines(const std::string& path) {
  const auto text = slurp(path);
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// A synthetic "language pair": the target is the source with every word
// mapped through a fixed table and the word order reversed.
struct SyntheticCorpus {
  std::vector<std::string> source, target;
};

SyntheticCorpus make_corpus(int lines, uint32_t seed = 7) {
  static const char* src_words[] = {"ka",   "lo",   "mi",   "nube", "sol",  "tara", "pez",  "roca",
                                    "luna", "mar",  "vino", "pan",  "casa", "río",  "flor", "lobo",
                                    "ojo",  "mano", "pie",  "cielo"};
  static const char* trg_words[] = {"ba",   "ru",  "ti",    "cloud", "sun",  "tor",   "fish", "rock",
                                    "moon", "sea", "wine",  "bread", "home", "river", "bloom", "wolf",
                                    "eye",  "hand", "foot", "sky"};
  std::mt19937 rng(seed);
  SyntheticCorpus c;
  for (int i = 0; i < lines; ++i) {
    const int n = 3 + static_cast<int>(rng() % 10);
    std::string s, t;
    std::vector<int> ids;
    for (int k = 0; k < n; ++k) ids.push_back(static_cast<int>(rng() % 20));
    for (int k = 0; k < n; ++k) s += (k ? " " : "") + std::string(src_words[ids[k]]);
    for (int k = n - 1; k >= 0; --k) t += std::string(trg_words[ids[k]]) + (k ? " " : "");
    c.source.push_back(s + " " + std::to_string(i));
    c.target.push_back(t + " " + std::to_string(i));
  }
  return c;
}

void write_corpus(const SyntheticCorpus& c, const std::string& src, const std::string& trg) {
  std::ofstream s(src, std::ios::binary), t(trg, std::ios::binary);
  for (std::size_t i = 0; i < c.source.size(); ++i) {
    s << c.source[i] << "\n";
    t << c.target[i] << "\n";
  }
}

// Options for a quick run: a few hundred lines, vocabulary 100, carved dev/test.
s2s::PrepareOptions small_options(const PrepareTempDir& dir) {
  auto corpus = make_corpus(300);
  // Known rule breakers, so the counts in stats.json can be checked exactly.
  corpus.source.push_back("");  // empty source
  corpus.target.push_back("sun moon");
  corpus.source.push_back("sol");  // ratio 12 > 9
  corpus.target.push_back("sun sun sun sun sun sun sun sun sun sun sun sun");
  std::string long_src, long_trg;
  for (int i = 0; i < 40; ++i) {
    long_src += "mar ";
    long_trg += "sea ";
  }
  corpus.source.push_back(long_src);  // 40 words > --max-words 30
  corpus.target.push_back(long_trg);
  corpus.source.push_back("  espacios \t  de   más  ");  // whitespace gets normalised
  corpus.target.push_back("extra   spaces\r");            // \r at the end is stripped
  write_corpus(corpus, dir / "in.src", dir / "in.trg");

  s2s::PrepareOptions o;
  o.out_dir = dir / "prepared";
  o.train.source_path = dir / "in.src";
  o.train.target_path = dir / "in.trg";
  o.dev.carve = 20;
  o.test.carve = 25;
  o.seed = 3;
  o.filter.max_words = 30;
  o.vocab_size = 100;
  o.threads = 1;
  return o;
}

using Catch::Matchers::Contains;

}  // namespace

TEST_CASE("prepare writes the fixed layout, and stats.json counts every dropped pair by reason", "[prepare]") {
  PrepareTempDir dir;
  const auto o = small_options(dir);
  std::ostringstream log;
  const auto result = s2s::prepare_corpus(o, &log);
  const std::string out = o.out_dir;
  CHECK_FALSE(result.skipped);
  for (const char* f : {"train.src", "train.trg", "dev.src", "dev.trg", "test.src", "test.trg", "spm.model",
                        "stats.json", "prepare.json"}) {
    INFO(f);
    CHECK(fs::is_regular_file(out + "/" + f));
  }
  CHECK_FALSE(fs::exists(out + ".tmp"));
  CHECK_FALSE(fs::exists(out + "/spm.src.model"));

  // 304 pairs read; 45 carved; of the 259 left: 1 empty, 1 too long, 1 ratio.
  CHECK(count_lines(out + "/test.src") == 25);
  CHECK(count_lines(out + "/test.trg") == 25);
  CHECK(count_lines(out + "/dev.src") == 20);
  CHECK(count_lines(out + "/train.src") == 304 - 45 - 3);
  CHECK(count_lines(out + "/train.trg") == 304 - 45 - 3);

  const auto stats = nlohmann::json::parse(slurp(out + "/stats.json"));
  const auto& train = stats["splits"]["train"];
  CHECK(train["read"] == 304 - 45);
  CHECK(train["kept"] == 304 - 48);
  CHECK(train["dropped"]["empty"] == 1);
  CHECK(train["dropped"]["too_long"] == 1);
  CHECK(train["dropped"]["ratio"] == 1);
  CHECK(train["words"]["source"]["max"].get<int>() <= 30);
  CHECK(train["words"]["source"]["histogram"]["bucket_width"] == 10);
  CHECK(stats["splits"]["dev"]["kept"] == 20);
  CHECK(stats["splits"]["test"]["kept"] == 25);
  CHECK(stats["splits"]["test"]["dropped"]["total"] == 0);
  CHECK(stats["carved"]["dev"] == 20);
  CHECK(stats["carved"]["test"] == 25);
  CHECK(stats["carved"]["seed"] == 3);
  CHECK(stats["vocabulary"]["joint"] == true);
  CHECK(stats["vocabulary"]["vocab_size"] == 100);
  // SentencePiece may stop short of the requested size on a tiny corpus, never above it.
  CHECK(stats["vocabulary"]["actual_vocab_size"].get<int>() <= 100);
  CHECK(stats["vocabulary"]["actual_vocab_size"].get<int>() > 50);
  CHECK(stats["vocabulary"]["model_type"] == "unigram");
  CHECK(stats["subword_tokens"]["test"]["source"]["sentences"] == 25);
  CHECK(stats["subword_tokens"]["train"]["target"]["mean"].get<double>() > 1.0);
  CHECK(stats["inputs"].size() == 2);
  CHECK(stats["inputs"][0]["path"] == dir / "in.src");
  CHECK(result.stats == stats);

  const auto settings = nlohmann::json::parse(slurp(out + "/prepare.json"));
  CHECK(settings["train"]["source"] == dir / "in.src");
  CHECK(settings["dev"]["carved_from_train"] == 20);
  CHECK(settings["vocabulary"]["vocab_size"] == 100);
  CHECK(settings["filter"]["train"]["max_words"] == 30);

  // Cleaning: whitespace normalised, CR gone; the carved sets never hold an empty side.
  const auto train_src = s2s::read_lines(out + "/train.src");
  const auto train_trg = s2s::read_lines(out + "/train.trg");
  const auto pos = std::find(train_src.begin(), train_src.end(), "espacios de más");
  REQUIRE(pos != train_src.end());
  CHECK(train_trg[static_cast<std::size_t>(pos - train_src.begin())] == "extra spaces");
  for (const auto& line : s2s::read_lines(out + "/dev.src")) CHECK_FALSE(line.empty());
}

TEST_CASE("carving dev and test is deterministic for a seed and disjoint from train", "[prepare]") {
  PrepareTempDir dir;
  auto o = small_options(dir);
  s2s::prepare_corpus(o);
  const auto test1 = s2s::read_lines(o.out_dir + "/test.src");
  const auto dev1 = s2s::read_lines(o.out_dir + "/dev.src");
  const auto train1 = s2s::read_lines(o.out_dir + "/train.src");
  std::set<std::string> train_set(train1.begin(), train1.end());
  for (const auto& s : test1) CHECK(train_set.count(s) == 0);
  for (const auto& s : dev1) CHECK(train_set.count(s) == 0);

  o.out_dir = dir / "again";
  s2s::prepare_corpus(o);
  CHECK(s2s::read_lines(o.out_dir + "/test.src") == test1);
  CHECK(s2s::read_lines(o.out_dir + "/dev.src") == dev1);
  // The .model file embeds its training paths; the learned pieces must match.
  CHECK(slurp(o.out_dir + "/spm.vocab") == slurp(dir / "prepared/spm.vocab"));

  o.out_dir = dir / "other-seed";
  o.seed = 4;
  s2s::prepare_corpus(o);
  CHECK(s2s::read_lines(o.out_dir + "/test.src") != test1);
}

TEST_CASE("picking indices is reproducible, distinct and bounded", "[prepare]") {
  std::vector<std::size_t> candidates(1000);
  for (std::size_t i = 0; i < candidates.size(); ++i) candidates[i] = i * 2;
  const auto a = s2s::pick_indices(candidates, 100, 42);
  CHECK(a == s2s::pick_indices(candidates, 100, 42));
  CHECK(a != s2s::pick_indices(candidates, 100, 43));
  std::set<std::size_t> distinct(a.begin(), a.end());
  CHECK(distinct.size() == 100);
  for (auto x : a) CHECK(x % 2 == 0);
  CHECK(s2s::pick_indices(candidates, 1000, 1).size() == 1000);
  CHECK_THROWS_AS(s2s::pick_indices(candidates, 1001, 1), s2s::Error);
}

TEST_CASE("a second prepare with identical settings does nothing, and --force redoes it", "[prepare]") {
  PrepareTempDir dir;
  auto o = small_options(dir);
  s2s::prepare_corpus(o);
  const auto model = o.out_dir + "/spm.model";
  const auto before = fs::last_write_time(model);
  const auto again = s2s::prepare_corpus(o);
  CHECK(again.skipped);
  CHECK(fs::last_write_time(model) == before);
  CHECK(again.stats["splits"]["dev"]["kept"] == 20);

  o.force = true;
  const auto forced = s2s::prepare_corpus(o);
  CHECK_FALSE(forced.skipped);
  CHECK(fs::exists(model));
  CHECK_FALSE(fs::exists(o.out_dir + ".tmp"));
}

TEST_CASE("prepare refuses to replace a corpus prepared with other settings unless forced", "[prepare]") {
  PrepareTempDir dir;
  auto o = small_options(dir);
  s2s::prepare_corpus(o);
  o.vocab_size = 90;
  CHECK_THAT(error_of([&] { s2s::prepare_corpus(o); }), Contains("vocabulary"));
  o.force = true;
  s2s::prepare_corpus(o);
  const auto stats = nlohmann::json::parse(slurp(o.out_dir + "/stats.json"));
  CHECK(stats["vocabulary"]["vocab_size"] == 90);
}

TEST_CASE("a changed input file makes prepare.json differ", "[prepare]") {
  PrepareTempDir dir;
  auto o = small_options(dir);
  s2s::prepare_corpus(o);
  std::ofstream(dir / "in.src", std::ios::app) << "otra línea\n";
  std::ofstream(dir / "in.trg", std::ios::app) << "another line\n";
  CHECK_THAT(error_of([&] { s2s::prepare_corpus(o); }), Contains("inputs"));
}

TEST_CASE("prepare refuses to replace a non-empty directory that is not a prepared corpus", "[prepare]") {
  PrepareTempDir dir;
  auto o = small_options(dir);
  fs::create_directories(o.out_dir);
  write(o.out_dir + "/precious.txt", "keep me");
  o.force = true;
  CHECK_THAT(error_of([&] { s2s::prepare_corpus(o); }), Contains(o.out_dir));
  CHECK(slurp(o.out_dir + "/precious.txt") == "keep me");
}

TEST_CASE("a failed prepare leaves neither the directory nor its temporary twin", "[prepare]") {
  PrepareTempDir dir;
  auto o = small_options(dir);
  o.vocab_size = 10;  // fewer pieces than the corpus has characters: SentencePiece fails
  const auto message = error_of([&] { s2s::prepare_corpus(o); });
  CHECK_THAT(message, Contains("spm.model"));
  CHECK_FALSE(fs::exists(o.out_dir));
  CHECK_FALSE(fs::exists(o.out_dir + ".tmp"));
}

TEST_CASE("a malformed input fails prepare with the file and line, leaving no directory", "[prepare]") {
  PrepareTempDir dir;
  auto o = small_options(dir);
  std::ofstream(dir / "in.trg", std::ios::app) << "bad \xFF byte\n";
  std::ofstream(dir / "in.src", std::ios::app) << "fine\n";
  const auto message = error_of([&] { s2s::prepare_corpus(o); });
  CHECK_THAT(message, Contains(dir / "in.trg:305"));
  CHECK_FALSE(fs::exists(o.out_dir));
}

TEST_CASE("explicit dev and test sets are only cleaned, not length-filtered", "[prepare]") {
  PrepareTempDir dir;
  auto o = small_options(dir);
  std::string long_src, long_trg;
  for (int i = 0; i < 60; ++i) {
    long_src += "mar ";
    long_trg += "sea ";
  }
  write(dir / "dev.src", "sol luna\n" + long_src + "\n\nsol\n");
  write(dir / "dev.trg", "sun moon\n" + long_trg + "\nsky\nsun sun sun sun sun sun sun sun sun sun sun sun\n");
  write(dir / "test.tsv", "1\tsol\tsun\n2\tmar  pez\tsea fish\n");
  o.dev = {};
  o.dev.source_path = dir / "dev.src";
  o.dev.target_path = dir / "dev.trg";
  o.test = {};
  o.test.tsv_path = dir / "test.tsv";
  o.source_column = 1;
  o.target_column = 2;
  s2s::prepare_corpus(o);
  CHECK(s2s::read_lines(o.out_dir + "/dev.src") == std::vector<std::string>{"sol luna", long_src.substr(0, long_src.size() - 1), "sol"});
  CHECK(s2s::read_lines(o.out_dir + "/test.src") == std::vector<std::string>{"sol", "mar pez"});
  CHECK(s2s::read_lines(o.out_dir + "/test.trg") == std::vector<std::string>{"sun", "sea fish"});
  const auto stats = nlohmann::json::parse(slurp(o.out_dir + "/stats.json"));
  CHECK(stats["splits"]["dev"]["read"] == 4);
  CHECK(stats["splits"]["dev"]["dropped"]["empty"] == 1);
  CHECK(stats["splits"]["dev"]["dropped"]["too_long"] == 0);
  CHECK(stats["splits"]["dev"]["dropped"]["ratio"] == 0);
  CHECK(stats["splits"]["train"]["read"] == 304);
  CHECK(stats["carved"].is_null());
  const auto settings = nlohmann::json::parse(slurp(o.out_dir + "/prepare.json"));
  CHECK(settings["tsv_columns"]["source"] == 1);
  CHECK(settings["test"]["tsv"] == dir / "test.tsv");
}

TEST_CASE("separate vocabularies give one SentencePiece model per side", "[prepare]") {
  PrepareTempDir dir;
  auto o = small_options(dir);
  o.separate_vocab = true;
  o.vocab_size = 60;
  o.model_type = "bpe";
  s2s::prepare_corpus(o);
  CHECK(fs::exists(o.out_dir + "/spm.src.model"));
  CHECK(fs::exists(o.out_dir + "/spm.trg.model"));
  CHECK_FALSE(fs::exists(o.out_dir + "/spm.model"));
  const auto stats = nlohmann::json::parse(slurp(o.out_dir + "/stats.json"));
  CHECK(stats["vocabulary"]["joint"] == false);
  CHECK(stats["vocabulary"]["model_type"] == "bpe");
  CHECK(stats["vocabulary"]["actual_vocab_size"]["source"].get<int>() <= 60);
  CHECK(stats["vocabulary"]["actual_vocab_size"]["target"].get<int>() > 30);
}

TEST_CASE("contradictory or missing prepare inputs are errors naming the flag", "[prepare]") {
  PrepareTempDir dir;
  auto base = small_options(dir);
  auto o = base;
  o.dev.carve = 0;
  CHECK_THAT(error_of([&] { s2s::validate_prepare_options(o); }), Contains("--dev-size"));
  o = base;
  o.test.source_path = dir / "x";
  CHECK_THAT(error_of([&] { s2s::validate_prepare_options(o); }), Contains("--test-trg"));
  o = base;
  o.train.tsv_path = dir / "x.tsv";
  CHECK_THAT(error_of([&] { s2s::validate_prepare_options(o); }), Contains("--train-tsv"));
  o = base;
  o.bible = true;
  CHECK_THAT(error_of([&] { s2s::validate_prepare_options(o); }), Contains("--bible"));
  o = base;
  o.model_type = "word";
  CHECK_THAT(error_of([&] { s2s::validate_prepare_options(o); }), Contains("--model-type"));
  o = base;
  o.train = {};
  CHECK_THAT(error_of([&] { s2s::validate_prepare_options(o); }), Contains("--train-src"));
  o = base;
  o.dev.carve = 200;
  o.test.carve = 200;
  CHECK_THAT(error_of([&] { s2s::prepare_corpus(o); }), Contains("non-empty training pairs"));
  CHECK_FALSE(fs::exists(o.out_dir));
}

TEST_CASE("prepare with --bible runs the extraction script into DIR/raw and prepares Spanish to English", "[prepare]") {
  PrepareTempDir dir;
  // A stand-in for data/bible/extract_bible.sh that writes a tiny generated corpus.
  const auto corpus = make_corpus(200, 11);
  write_corpus(corpus, dir / "all.es", dir / "all.en");
  const std::string script = dir / "fake_extract.sh";
  write(script,
        "set -e\nmkdir -p \"$1\"\n"
        "head -n 160 '" + (dir / "all.es") + "' > \"$1/train.es\"\nhead -n 160 '" + (dir / "all.en") + "' > \"$1/train.en\"\n"
        "sed -n 161,180p '" + (dir / "all.es") + "' > \"$1/dev.es\"\nsed -n 161,180p '" + (dir / "all.en") + "' > \"$1/dev.en\"\n"
        "sed -n 181,200p '" + (dir / "all.es") + "' > \"$1/test.es\"\nsed -n 181,200p '" + (dir / "all.en") + "' > \"$1/test.en\"\n");
  s2s::PrepareOptions o;
  o.bible = true;
  o.bible_script = script;
  o.out_dir = dir / "bible";
  o.vocab_size = 90;
  o.threads = 1;
  s2s::prepare_corpus(o);
  CHECK(fs::exists(o.out_dir + "/raw/train.es"));
  CHECK(s2s::read_lines(o.out_dir + "/test.src") == s2s::read_lines(o.out_dir + "/raw/test.es"));
  CHECK(s2s::read_lines(o.out_dir + "/test.trg").front() == corpus.target[180]);
  CHECK(count_lines(o.out_dir + "/train.src") == 160);
  const auto settings = nlohmann::json::parse(slurp(o.out_dir + "/prepare.json"));
  CHECK(settings["train"]["source"] == o.out_dir + "/raw/train.es");
  CHECK(settings["bible"]["script"] == script);
  CHECK(s2s::prepare_corpus(o).skipped);

  o.out_dir = dir / "broken";
  o.bible_script = dir / "fail.sh";
  write(o.bible_script, "echo 'no SWORD modules' >&2\nexit 3\n");
  CHECK_THAT(error_of([&] { s2s::prepare_corpus(o); }), Contains("exit status 3"));
  CHECK_FALSE(fs::exists(o.out_dir));
}

TEST_CASE("the prepare command exits 1 with a one-line message naming the bad file", "[prepare]") {
  PrepareTempDir dir;
  write(dir / "a.src", "uno\ndos\n");
  write(dir / "a.trg", "one\n");
  const std::string cmd = std::string("'") + S2S_BINARY + "' prepare --train-src '" + (dir / "a.src") +
                          "' --train-trg '" + (dir / "a.trg") + "' --dev-size 1 --test-size 1 --out '" +
                          (dir / "out") + "' > '" + (dir / "stdout") + "' 2> '" + (dir / "stderr") + "'";
  const int status = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  const auto err = slurp(dir / "stderr");
  CHECK_THAT(err, Contains("error"));
  CHECK_THAT(err, Contains(dir / "a.trg"));
  CHECK_FALSE(fs::exists(dir / "out"));
}

TEST_CASE("the prepare command builds a corpus from flags and prints a summary", "[prepare]") {
  PrepareTempDir dir;
  write_corpus(make_corpus(250, 5), dir / "c.src", dir / "c.trg");
  const std::string cmd = std::string("'") + S2S_BINARY + "' prepare --train-src '" + (dir / "c.src") +
                          "' --train-trg '" + (dir / "c.trg") + "' --dev-size 10 --test-size 10 --vocab-size 80 " +
                          "--model-type bpe --max-words 40 --max-ratio 5 --seed 9 --threads 1 --out '" +
                          (dir / "out") + "' > '" + (dir / "stdout") + "' 2> '" + (dir / "stderr") + "'";
  const int status = std::system(cmd.c_str());
  INFO(slurp(dir / "stderr"));
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  CHECK_THAT(slurp(dir / "stdout"), Contains("train"));
  const auto settings = nlohmann::json::parse(slurp(dir / "out/prepare.json"));
  CHECK(settings["vocabulary"]["model_type"] == "bpe");
  CHECK(settings["filter"]["train"]["max_ratio"] == 5.0);
  CHECK(settings["seed"] == 9);
  CHECK(count_lines(dir / "out/dev.trg") == 10);
}

TEST_CASE("the Bible extraction script gives the documented split of clean verse pairs", "[corpus][bible]") {
  if (std::system("command -v mod2imp >/dev/null 2>&1 && test -f /usr/share/sword/mods.d/spaRV1909eb.conf "
                  "&& test -f /usr/share/sword/mods.d/engKJV2006eb.conf") != 0) {
    WARN("mod2imp or the SWORD modules are not installed; the Bible extraction is not tested");
    return;
  }
  PrepareTempDir dir;
  const std::string out = dir / "bible";
  const std::string cmd = "/bin/bash '" + std::string(S2S_SOURCE_DIR) + "/data/bible/extract_bible.sh' '" + out +
                          "' > '" + (dir / "log") + "' 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::size_t total = 0;
  for (const char* split : {"train", "dev", "test"}) {
    const auto es = s2s::read_lines(out + "/" + split + ".es");
    const auto en = s2s::read_lines(out + "/" + split + ".en");
    const auto keys = s2s::read_lines(out + "/keys." + split);
    REQUIRE(es.size() == en.size());
    REQUIRE(keys.size() == es.size());
    total += es.size();
    std::vector<std::string> noisy;  // keys of pairs with an empty side or leftover markup
    for (std::size_t i = 0; i < es.size(); ++i) {
      if (es[i].empty() || en[i].empty() || es[i].find('<') != std::string::npos ||
          en[i].find("\xC2\xB6") != std::string::npos ||  // pilcrow
          en[i].find('\\') != std::string::npos || es[i].find("  ") != std::string::npos ||
          en[i].find("  ") != std::string::npos) {
        noisy.push_back(keys[i]);
      }
    }
    CHECK(noisy.empty());
  }
  CHECK(total == 31084);
  // i % 31 == 0 -> test, i % 31 == 1 -> dev, in canonical order.
  CHECK(s2s::read_lines(out + "/keys.test").front() == "Genesis 1:1");
  CHECK(s2s::read_lines(out + "/keys.dev").front() == "Genesis 1:2");
  CHECK(s2s::read_lines(out + "/keys.train").front() == "Genesis 1:3");
  CHECK(s2s::read_lines(out + "/keys.test").size() == 1003);
  CHECK(s2s::read_lines(out + "/keys.dev").size() == 1003);
  CHECK(s2s::read_lines(out + "/test.es").front() == "En el principio crió Dios los cielos y la tierra.");
}
