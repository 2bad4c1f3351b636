#include "data/prepare.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <ostream>
#include <random>
#include <sstream>
#include <unordered_set>

#include "text/tokenizer.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/fingerprint.h"

#ifndef S2S_SOURCE_DIR
#define S2S_SOURCE_DIR "."
#endif
#ifndef S2S_VERSION
#define S2S_VERSION "unknown"
#endif

extern char** environ;

namespace s2s {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFormat = "s2s-prepare/1";

std::string absolute_path(const std::string& path) {
  if (path.empty()) return path;
  fs::path p = fs::absolute(fs::path(path)).lexically_normal();
  std::string s = p.string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}


nlohmann::json input_fingerprint(const std::string& role, const std::string& path) {
  std::error_code ec;
  const auto bytes = fs::file_size(path, ec);
  if (ec) throw Error("cannot open " + path + " (" + role + "): " + ec.message());
  return {{"role", role}, {"path", path}, {"bytes", bytes}, {"fnv1a64", fingerprint_hex(file_fingerprint(path))}};
}

// The input paths of every split in bible mode: DIR/raw/{split}.{es,en}.
SplitInput bible_split(const std::string& raw_dir, const std::string& split) {
  SplitInput in;
  in.source_path = raw_dir + "/" + split + ".es";
  in.target_path = raw_dir + "/" + split + ".en";
  return in;
}

nlohmann::json split_json(const SplitInput& in) {
  if (!in.tsv_path.empty()) return {{"tsv", absolute_path(in.tsv_path)}};
  if (!in.source_path.empty()) return {{"source", absolute_path(in.source_path)}, {"target", absolute_path(in.target_path)}};
  return {{"carved_from_train", in.carve}};
}

std::string describe(const SplitInput& in) {
  if (!in.tsv_path.empty()) return in.tsv_path;
  if (!in.source_path.empty()) return in.source_path + " + " + in.target_path;
  return std::to_string(in.carve) + " pairs carved from train";
}

ParallelCorpus read_split(const SplitInput& in, const PrepareOptions& options) {
  ParallelCorpus corpus = !in.tsv_path.empty()
                              ? read_parallel_tsv(in.tsv_path, options.source_column, options.target_column)
                              : read_parallel_text(in.source_path, in.target_path);
  for (auto& s : corpus.source) s = normalize_whitespace(s);
  for (auto& t : corpus.target) t = normalize_whitespace(t);
  return corpus;
}

// Runs `/bin/bash script arg` with its stdout sent to our stderr (so the
// program's stdout stays the summary); throws when it fails.
void run_script(const std::string& script, const std::string& arg) {
  if (!fs::exists(script)) {
    throw Error("the Bible extraction script " + script +
                " does not exist (run from a source checkout or pass --bible-script)");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
  std::vector<std::string> args = {"/bin/bash", script, arg};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, "/bin/bash", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw Error("cannot run " + script + ": " + std::strerror(rc));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw Error("cannot wait for " + script + ": " + std::strerror(errno));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw Error(script + " failed (" +
                (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                   : "killed by signal " + std::to_string(WTERMSIG(status))) +
                "); see its message above");
  }
}

// Subword statistics of one side of a split under a trained tokenizer.
nlohmann::json subword_stats(const Tokenizer& tokenizer, const std::vector<std::string>& lines) {
  std::vector<std::size_t> lengths;
  lengths.reserve(lines.size());
  std::size_t total = 0, unknown = 0;
  for (const auto& line : lines) {
    const auto ids = tokenizer.encode(line);
    lengths.push_back(ids.size());
    total += ids.size();
    unknown += static_cast<std::size_t>(std::count(ids.begin(), ids.end(), SpecialIds::unk));
  }
  std::sort(lengths.begin(), lengths.end());
  auto quantile = [&](double q) -> std::size_t {
    if (lengths.empty()) return 0;
    return lengths[std::min(lengths.size() - 1, static_cast<std::size_t>(q * static_cast<double>(lengths.size())))];
  };
  return {{"sentences", lines.size()},
          {"tokens", total},
          {"mean", lines.empty() ? 0.0 : static_cast<double>(total) / static_cast<double>(lines.size())},
          {"p50", quantile(0.5)},
          {"p95", quantile(0.95)},
          {"p99", quantile(0.99)},
          {"max", lengths.empty() ? 0 : lengths.back()},
          {"unknown_tokens", unknown}};
}

// The first top-level key whose value differs, for the "other settings" message.
std::string first_difference(const nlohmann::json& a, const nlohmann::json& b) {
  for (auto it = b.begin(); it != b.end(); ++it) {
    if (!a.contains(it.key()) || a[it.key()] != it.value()) return it.key();
  }
  for (auto it = a.begin(); it != a.end(); ++it) {
    if (!b.contains(it.key())) return it.key();
  }
  return "(none)";
}

std::vector<std::string> required_outputs(const PrepareOptions& options) {
  std::vector<std::string> files = {"train.src", "train.trg", "dev.src", "dev.trg", "test.src", "test.trg",
                                    "stats.json", "prepare.json"};
  const bool separate = options.tokenizer_from.empty() ? options.separate_vocab
                                                       : !fs::exists(options.tokenizer_from + "/spm.model");
  if (separate) {
    files.emplace_back("spm.src.model");
    files.emplace_back("spm.trg.model");
  } else {
    files.emplace_back("spm.model");
  }
  return files;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::string default_bible_script() { return std::string(S2S_SOURCE_DIR) + "/data/bible/extract_bible.sh"; }

std::vector<std::size_t> pick_indices(std::vector<std::size_t> candidates, std::size_t count, uint64_t seed) {
  if (count > candidates.size()) {
    throw Error("cannot pick " + std::to_string(count) + " items out of " + std::to_string(candidates.size()));
  }
  std::mt19937_64 rng(seed);
  for (std::size_t i = 0; i < count; ++i) {
    const uint64_t n = candidates.size() - i;
    const uint64_t threshold = (0 - n) % n;  // 2^64 mod n: reject below it to avoid modulo bias
    uint64_t x;
    do {
      x = rng();
    } while (x < threshold);
    std::swap(candidates[i], candidates[i + static_cast<std::size_t>(x % n)]);
  }
  candidates.resize(count);
  return candidates;
}

void validate_prepare_options(const PrepareOptions& o) {
  if (o.out_dir.empty()) throw UsageError("no output directory: give --out DIR");
  if (o.bible) {
    if (o.train.given() || o.dev.given() || o.test.given() || o.dev.carve || o.test.carve) {
      throw UsageError("--bible brings its own train/dev/test splits; do not combine it with --train-*, --dev-* or --test-*");
    }
  } else {
    auto check_split = [](const SplitInput& in, const std::string& name, bool may_carve) {
      const bool pair = !in.source_path.empty() || !in.target_path.empty();
      if (pair && (in.source_path.empty() || in.target_path.empty())) {
        throw UsageError("--" + name + "-src and --" + name + "-trg must be given together");
      }
      if (pair && !in.tsv_path.empty()) {
        throw UsageError("give either --" + name + "-src/--" + name + "-trg or --" + name + "-tsv, not both");
      }
      if (may_carve && in.given() && in.carve > 0) {
        throw UsageError("give either --" + name + "-src/--" + name + "-trg (or --" + name + "-tsv) or --" + name +
                    "-size, not both");
      }
      if (!in.given() && (!may_carve || in.carve == 0)) {
        throw UsageError(may_carve ? "no " + name + " set: give --" + name + "-src and --" + name + "-trg, --" + name +
                                    "-tsv, or --" + name + "-size N to carve it from the training data"
                              : "no training data: give --train-src and --train-trg, --train-tsv, or --bible");
      }
    };
    check_split(o.train, "train", false);
    check_split(o.dev, "dev", true);
    check_split(o.test, "test", true);
  }
  if (o.vocab_size < 8) throw UsageError("--vocab-size must be at least 8 (got " + std::to_string(o.vocab_size) + ")");
  if (!o.tokenizer_from.empty()) {
    const std::string& dir = o.tokenizer_from;
    const bool joint = fs::exists(dir + "/spm.model");
    const bool separate = fs::exists(dir + "/spm.src.model") && fs::exists(dir + "/spm.trg.model");
    if (!fs::is_directory(dir)) throw UsageError("--tokenizer-from: " + dir + " is not a directory");
    if (!joint && !separate) {
      throw UsageError("--tokenizer-from: " + dir + " holds neither spm.model nor spm.src.model and spm.trg.model");
    }
    if (o.separate_vocab && joint) throw UsageError("--tokenizer-from: " + dir + " has a joint spm.model; drop --separate-vocab");
  }
  if (o.model_type != "unigram" && o.model_type != "bpe") {
    throw UsageError("--model-type must be unigram or bpe (got '" + o.model_type + "')");
  }
  if (!(o.character_coverage > 0.0 && o.character_coverage <= 1.0)) {
    throw UsageError("--character-coverage must be in (0, 1]");
  }
  if (o.filter.max_ratio > 0 && o.filter.max_ratio < 1.0) {
    throw UsageError("--max-ratio must be at least 1 (or 0 for no limit)");
  }
  if (o.source_column < 0 || o.target_column < 0 || o.source_column == o.target_column) {
    throw UsageError("--src-col and --trg-col must be two different columns, 0 or more");
  }
  if (o.threads < 1) throw Error("--threads must be at least 1");
}

nlohmann::json prepare_settings_json(const PrepareOptions& options) {
  PrepareOptions o = options;
  const std::string out = absolute_path(o.out_dir);
  nlohmann::json inputs = nlohmann::json::array();
  nlohmann::json bible = nullptr;
  if (o.bible) {
    const std::string script = absolute_path(o.bible_script.empty() ? default_bible_script() : o.bible_script);
    o.train = bible_split(out + "/raw", "train");
    o.dev = bible_split(out + "/raw", "dev");
    o.test = bible_split(out + "/raw", "test");
    bible = {{"script", script}, {"source_language", "es"}, {"target_language", "en"}};
    // The extraction is a pure function of the script, its helper and the SWORD packages.
    if (fs::exists(script)) inputs.push_back(input_fingerprint("bible_script", script));
    const std::string helper = (fs::path(script).parent_path() / "bible_join.py").string();
    if (fs::exists(helper)) inputs.push_back(input_fingerprint("bible_helper", helper));
  } else {
    for (const auto& [name, in] : {std::pair<std::string, const SplitInput*>{"train", &o.train},
                                   {"dev", &o.dev},
                                   {"test", &o.test}}) {
      if (!in->tsv_path.empty()) inputs.push_back(input_fingerprint(name + ".tsv", absolute_path(in->tsv_path)));
      if (!in->source_path.empty()) {
        inputs.push_back(input_fingerprint(name + ".src", absolute_path(in->source_path)));
        inputs.push_back(input_fingerprint(name + ".trg", absolute_path(in->target_path)));
      }
    }
  }
  const bool any_tsv = !o.train.tsv_path.empty() || !o.dev.tsv_path.empty() || !o.test.tsv_path.empty();
  nlohmann::json j = {
      {"format", kFormat},
      {"s2s_version", S2S_VERSION},
      {"out_dir", out},
      {"train", split_json(o.train)},
      {"dev", split_json(o.dev)},
      {"test", split_json(o.test)},
      {"seed", o.seed},
      {"filter",
       {{"train", {{"max_words", o.filter.max_words}, {"max_ratio", o.filter.max_ratio}, {"drop_empty", o.filter.drop_empty}}},
        {"dev_test", {{"max_words", 0}, {"max_ratio", 0.0}, {"drop_empty", o.filter.drop_empty}}}}},
      {"cleaning", "UTF-8 validated; trailing CR removed; whitespace trimmed and collapsed"},
      {"vocabulary",
       {{"joint", !o.separate_vocab},
        {"vocab_size", o.vocab_size},
        {"model_type", o.model_type},
        {"character_coverage", o.character_coverage},
        {"seed", o.seed}}},
      {"bible", bible},
      {"inputs", inputs},
  };
  if (!o.tokenizer_from.empty()) {
    // The reused models' bytes, so another tokenizer in the same place is a new preparation.
    nlohmann::json reused = {{"dir", fs::absolute(o.tokenizer_from).string()}};
    for (const char* name : {"spm.model", "spm.src.model", "spm.trg.model"}) {
      const std::string path = o.tokenizer_from + "/" + name;
      if (fs::exists(path)) reused[name] = fingerprint_hex(file_fingerprint(path));
    }
    j["vocabulary"]["tokenizer_from"] = reused;
  }
  if (any_tsv) j["tsv_columns"] = {{"source", o.source_column}, {"target", o.target_column}};
  return j;
}

namespace {

void say(std::ostream* log, const std::string& message) {
  if (log) *log << "prepare: " << message << std::endl;
}

// Removes the temporary output directory unless disarmed (the run succeeded).
struct TmpGuard {
  std::string path;
  bool armed = true;
  ~TmpGuard() {
    if (armed) {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  }
};

// An existing `out`: true when it already holds this very preparation
// (`result` then carries its stats); s2s::Error when it holds something else
// and --force was not given.
bool holds_this_preparation(const std::string& out, const nlohmann::json& settings, const PrepareOptions& options,
                            std::ostream* log, PrepareResult& result) {
  std::error_code ec;
  if (!fs::exists(out, ec)) return false;
  if (!fs::is_directory(out, ec)) throw Error(out + " exists and is not a directory");
  const std::string previous_json = out + "/prepare.json";
  if (!fs::exists(previous_json)) {
    if (!fs::is_empty(out, ec)) {
      throw Error(out + " exists, is not empty and holds no prepare.json; refusing to replace it (choose another --out)");
    }
    return false;
  }
  nlohmann::json previous;
  try {
    previous = nlohmann::json::parse(read_text_file(previous_json));
  } catch (const nlohmann::json::exception&) {
    previous = nullptr;
  }
  bool complete = true;
  for (const auto& f : required_outputs(options)) complete = complete && fs::exists(out + "/" + f);
  if (!options.force && previous == settings && complete) {
    say(log, out + " already holds this preparation (same prepare.json); nothing to do (use --force to redo it)");
    result.skipped = true;
    try {
      result.stats = nlohmann::json::parse(read_text_file(out + "/stats.json"));
    } catch (const nlohmann::json::exception& e) {
      throw Error("cannot parse " + out + "/stats.json: " + e.what());
    }
    return true;
  }
  if (!options.force && previous != settings) {
    throw Error(out + " already holds a corpus prepared with other settings or inputs (first difference: '" +
                (previous.is_object() ? first_difference(previous, settings) : std::string("prepare.json")) +
                "'); pass --force to replace it or choose another --out");
  }
  return false;
}

// Dev and test pairs carved out of train where no file was given for them;
// returns how (for stats.json), or null when nothing was carved.
nlohmann::json carve_held_out(const PrepareOptions& o, ParallelCorpus& train, ParallelCorpus& dev, ParallelCorpus& test) {
  if (o.dev.given() && o.test.given()) return nullptr;
  const std::size_t train_read = train.size();
  const std::size_t want_test = o.test.given() ? 0 : o.test.carve;
  const std::size_t want_dev = o.dev.given() ? 0 : o.dev.carve;
  std::vector<std::size_t> candidates;
  for (std::size_t i = 0; i < train.size(); ++i) {
    if (!train.source[i].empty() && !train.target[i].empty()) candidates.push_back(i);
  }
  if (want_test + want_dev >= candidates.size()) {
    throw Error("cannot carve " + std::to_string(want_dev) + " dev and " + std::to_string(want_test) +
                " test pairs out of " + std::to_string(candidates.size()) + " non-empty training pairs in " +
                describe(o.train) + "; lower --dev-size/--test-size");
  }
  const auto picked = pick_indices(candidates, want_test + want_dev, o.seed);
  std::vector<std::size_t> test_idx(picked.begin(), picked.begin() + static_cast<std::ptrdiff_t>(want_test));
  std::vector<std::size_t> dev_idx(picked.begin() + static_cast<std::ptrdiff_t>(want_test), picked.end());
  std::sort(test_idx.begin(), test_idx.end());
  std::sort(dev_idx.begin(), dev_idx.end());
  std::vector<char> taken(train.size(), 0);
  auto take = [&](const std::vector<std::size_t>& idx, ParallelCorpus& into) {
    for (auto i : idx) {
      into.source.push_back(train.source[i]);
      into.target.push_back(train.target[i]);
      taken[i] = 1;
    }
  };
  if (want_test) take(test_idx, test);
  if (want_dev) take(dev_idx, dev);
  ParallelCorpus rest;
  for (std::size_t i = 0; i < train.size(); ++i) {
    if (taken[i]) continue;
    rest.source.push_back(std::move(train.source[i]));
    rest.target.push_back(std::move(train.target[i]));
  }
  train = std::move(rest);
  return {{"rule", "first test-size, then dev-size pairs of a Fisher-Yates shuffle (mt19937_64(seed)) of the "
                     "non-empty training pairs; each set kept in corpus order"},
            {"seed", o.seed},
            {"dev", want_dev},
            {"test", want_test},
            {"train_pairs_read", train_read}};
}

// The SentencePiece model(s) in `tmp`, trained on its train.* or reused from
// --tokenizer-from, and what they make of every split.
struct Vocabulary {
  nlohmann::json description;     // stats.json "vocabulary"
  nlohmann::json subword_tokens;  // stats.json "subword_tokens": per split and side
};
Vocabulary make_vocabulary(const std::string& tmp, const PrepareOptions& o, const ParallelCorpus& train,
                           const ParallelCorpus& dev, const ParallelCorpus& test, std::ostream* log) {
  auto train_spm = [&](const std::vector<std::string>& files, const std::string& prefix) {
    SentencePieceTrainOptions spm;
    spm.input_files = files;
    spm.model_prefix = prefix;
    spm.vocab_size = o.vocab_size;
    spm.model_type = o.model_type;
    spm.character_coverage = o.character_coverage;
    spm.seed = o.seed;
    spm.threads = o.threads;
    say(log, "training SentencePiece (" + o.model_type + ", vocab " + std::to_string(o.vocab_size) + ") -> " +
        fs::path(prefix).filename().string() + ".model");
    try {
      Tokenizer::train(spm);
    } catch (const Error& e) {
      throw Error("training the SentencePiece model " + fs::path(prefix).filename().string() + ".model failed: " +
                  e.what());
    }
  };
  Vocabulary out;
  nlohmann::json& vocabulary = out.description;
  vocabulary = {{"joint", !o.separate_vocab},
                               {"vocab_size", o.vocab_size},
                               {"model_type", o.model_type},
                               {"character_coverage", o.character_coverage}};
  nlohmann::json& subwords = out.subword_tokens;
  subwords = nlohmann::json::object();
  auto measure = [&](const Tokenizer& tok, const std::string& side, bool source) {
    for (const auto& [name, corpus] : {std::pair<std::string, const ParallelCorpus*>{"train", &train},
                                       {"dev", &dev},
                                       {"test", &test}}) {
      subwords[name][side] = subword_stats(tok, source ? corpus->source : corpus->target);
    }
  };
  const bool reuse_joint = !o.tokenizer_from.empty() && fs::exists(o.tokenizer_from + "/spm.model");
  const bool separate = o.tokenizer_from.empty() ? o.separate_vocab : !reuse_joint;
  auto reuse = [&](const std::string& name) {
    say(log, "reusing the SentencePiece model " + o.tokenizer_from + "/" + name);
    write_text_atomically(tmp + "/" + name, read_text_file(o.tokenizer_from + "/" + name));
  };
  if (!o.tokenizer_from.empty()) {
    vocabulary["tokenizer_from"] = fs::absolute(o.tokenizer_from).string();
    if (reuse_joint) {
      reuse("spm.model");
    } else {
      reuse("spm.src.model");
      reuse("spm.trg.model");
    }
  }
  vocabulary["joint"] = !separate;
  if (separate) {
    if (o.tokenizer_from.empty()) train_spm({tmp + "/train.src"}, tmp + "/spm.src");
    if (o.tokenizer_from.empty()) train_spm({tmp + "/train.trg"}, tmp + "/spm.trg");
    const Tokenizer src_tok = Tokenizer::load(tmp + "/spm.src.model");
    const Tokenizer trg_tok = Tokenizer::load(tmp + "/spm.trg.model");
    vocabulary["models"] = {{"source", "spm.src.model"}, {"target", "spm.trg.model"}};
    vocabulary["actual_vocab_size"] = {{"source", src_tok.vocab_size()}, {"target", trg_tok.vocab_size()}};
    measure(src_tok, "source", true);
    measure(trg_tok, "target", false);
  } else {
    if (o.tokenizer_from.empty()) train_spm({tmp + "/train.src", tmp + "/train.trg"}, tmp + "/spm");
    const Tokenizer tok = Tokenizer::load(tmp + "/spm.model");
    vocabulary["models"] = {{"joint", "spm.model"}};
    vocabulary["actual_vocab_size"] = tok.vocab_size();
    measure(tok, "source", true);
    measure(tok, "target", false);
  }
  return out;
}

// Replaces `out` (if any) by the finished `tmp` in two renames; the previous
// directory comes back if the second fails.
void swap_into_place(const std::string& tmp, const std::string& out) {
  std::error_code ec;
  if (fs::exists(out)) {
    const std::string old = out + ".old." + std::to_string(::getpid());
    fs::remove_all(old, ec);
    fs::rename(out, old, ec);
    if (ec) throw Error("cannot move the previous " + out + " aside: " + ec.message());
    fs::rename(tmp, out, ec);
    if (ec) {
      std::error_code ignored;
      fs::rename(old, out, ignored);
      throw Error("cannot move " + tmp + " to " + out + ": " + ec.message());
    }
    fs::remove_all(old, ec);
  } else {
    fs::create_directories(fs::path(out).parent_path(), ec);
    fs::rename(tmp, out, ec);
    if (ec) throw Error("cannot move " + tmp + " to " + out + ": " + ec.message());
  }
}

}  // namespace

PrepareResult prepare_corpus(const PrepareOptions& options, std::ostream* log) {
  validate_prepare_options(options);
  const auto started = std::chrono::steady_clock::now();

  const std::string out = absolute_path(options.out_dir);
  if (out == "/" || out.empty()) throw Error("refusing to use / as the output directory");
  const nlohmann::json settings = prepare_settings_json(options);

  PrepareResult result;
  result.out_dir = out;

  if (holds_this_preparation(out, settings, options, log, result)) return result;
  std::error_code ec;

  // ---- build everything in DIR.tmp
  const std::string tmp = out + ".tmp";
  fs::remove_all(tmp, ec);
  if (ec) throw Error("cannot remove the stale temporary directory " + tmp + ": " + ec.message());
  fs::create_directories(tmp, ec);
  if (ec) throw Error("cannot create " + tmp + ": " + ec.message());
  TmpGuard guard{tmp};

  PrepareOptions o = options;
  nlohmann::json timings = nlohmann::json::object();
  if (o.bible) {
    const std::string script = o.bible_script.empty() ? default_bible_script() : o.bible_script;
    say(log, "extracting the Bible with " + script + " into " + out + "/raw");
    const auto t = std::chrono::steady_clock::now();
    run_script(script, tmp + "/raw");
    timings["extract_seconds"] = seconds_since(t);
    o.train = bible_split(tmp + "/raw", "train");
    o.dev = bible_split(tmp + "/raw", "dev");
    o.test = bible_split(tmp + "/raw", "test");
  }

  auto t_read = std::chrono::steady_clock::now();
  say(log, "reading train: " + describe(o.train));
  ParallelCorpus train = read_split(o.train, o);
  ParallelCorpus dev, test;
  if (o.dev.given()) {
    say(log, "reading dev: " + describe(o.dev));
    dev = read_split(o.dev, o);
  }
  if (o.test.given()) {
    say(log, "reading test: " + describe(o.test));
    test = read_split(o.test, o);
  }

  const nlohmann::json carved = carve_held_out(o, train, dev, test);

  // ---- filter
  FilterStats train_stats, dev_stats, test_stats;
  const CorpusFilter eval_filter{0, 0.0, o.filter.drop_empty};
  train = filter_corpus(train, o.filter, &train_stats);
  dev = filter_corpus(dev, eval_filter, &dev_stats);
  test = filter_corpus(test, eval_filter, &test_stats);
  if (train.size() == 0) throw Error("no training pairs left after filtering " + describe(o.train));
  if (dev.size() == 0) throw Error("the dev set is empty after dropping empty pairs (" + describe(o.dev) + ")");
  if (test.size() == 0) throw Error("the test set is empty after dropping empty pairs (" + describe(o.test) + ")");
  timings["read_filter_seconds"] = seconds_since(t_read);

  // Held-out pairs whose source sentence also occurs in the training data.
  std::unordered_set<std::string> train_sources(train.source.begin(), train.source.end());
  auto overlap = [&](const ParallelCorpus& c) {
    std::size_t n = 0;
    for (const auto& s : c.source) n += train_sources.count(s);
    return n;
  };

  say(log, "writing " + std::to_string(train.size()) + " train, " + std::to_string(dev.size()) + " dev, " +
      std::to_string(test.size()) + " test pairs");
  write_lines_atomically(tmp + "/train.src", train.source);
  write_lines_atomically(tmp + "/train.trg", train.target);
  write_lines_atomically(tmp + "/dev.src", dev.source);
  write_lines_atomically(tmp + "/dev.trg", dev.target);
  write_lines_atomically(tmp + "/test.src", test.source);
  write_lines_atomically(tmp + "/test.trg", test.target);

  const auto t_spm = std::chrono::steady_clock::now();
  const Vocabulary vocabulary = make_vocabulary(tmp, o, train, dev, test, log);
  timings["sentencepiece_seconds"] = seconds_since(t_spm);

  // ---- stats.json, then prepare.json last
  auto split_stats = [&](const FilterStats& st, const SplitInput& in, const CorpusFilter& f, std::size_t overlap_n,
                         bool is_train) {
    nlohmann::json j = st.to_json();
    j["input"] = split_json(in);
    j["filter"] = {{"max_words", f.max_words}, {"max_ratio", f.max_ratio}, {"drop_empty", f.drop_empty}};
    if (!is_train) j["source_also_in_train"] = overlap_n;
    return j;
  };
  nlohmann::json stats = {
      {"format", kFormat},
      {"out_dir", out},
      {"splits",
       {{"train", split_stats(train_stats, options.bible ? bible_split(out + "/raw", "train") : o.train, o.filter, 0, true)},
        {"dev", split_stats(dev_stats, options.bible ? bible_split(out + "/raw", "dev") : o.dev, eval_filter, overlap(dev), false)},
        {"test", split_stats(test_stats, options.bible ? bible_split(out + "/raw", "test") : o.test, eval_filter, overlap(test), false)}}},
      {"carved", carved},
      {"vocabulary", vocabulary.description},
      {"subword_tokens", vocabulary.subword_tokens},
      {"inputs", settings["inputs"]},
      {"threads", o.threads},
      {"timings", timings},
  };
  stats["timings"]["total_seconds"] = seconds_since(started);
  write_text_atomically(tmp + "/stats.json", stats.dump(2) + "\n");
  write_text_atomically(tmp + "/prepare.json", settings.dump(2) + "\n");

  swap_into_place(tmp, out);
  guard.armed = false;
  say(log, "done in " + std::to_string(seconds_since(started)) + " s: " + out);
  result.stats = std::move(stats);
  return result;
}

}  // namespace s2s
