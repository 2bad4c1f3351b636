#include "data/corpus.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/utf8.h"

namespace s2s {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string where(const std::string& path, std::size_t line) { return path + ":" + std::to_string(line); }

std::string open_error(const std::string& path, int err) {
  if (err == ENOENT) return "cannot open " + path + ": no such file";
  return "cannot open " + path + ": " + std::strerror(err);
}

nlohmann::json histogram_json(const LengthHistogram& h) {
  return {{"sentences", h.sentences},
          {"mean", h.mean()},
          {"max", h.max_words},
          {"histogram", {{"bucket_width", h.bucket_width}, {"counts", h.counts}}}};
}

}  // namespace

// ---------------------------------------------------------------- statistics

void LengthHistogram::add(std::size_t words) {
  const std::size_t bucket = words / static_cast<std::size_t>(bucket_width > 0 ? bucket_width : 1);
  if (counts.size() <= bucket) counts.resize(bucket + 1, 0);
  ++counts[bucket];
  ++sentences;
  total_words += words;
  max_words = std::max(max_words, words);
}

nlohmann::json FilterStats::to_json() const {
  return {{"read", read},
          {"kept", kept},
          {"dropped",
           {{"empty", dropped_empty}, {"too_long", dropped_too_long}, {"ratio", dropped_ratio}, {"total", dropped()}}},
          {"words", {{"source", histogram_json(source_words)}, {"target", histogram_json(target_words)}}}};
}

// ---------------------------------------------------------------- reading

std::size_t first_invalid_utf8(std::string_view text) {
  if (is_valid_utf8(text)) return std::string_view::npos;
  // Slow path, only for the error message: step over one valid character at a time.
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t step = 0;
    for (std::size_t len = 1; len <= 4 && i + len <= text.size(); ++len) {
      if (is_valid_utf8(text.substr(i, len))) {
        step = len;
        break;
      }
    }
    if (step == 0) return i;
    i += step;
  }
  return std::string_view::npos;
}

bool is_gzip_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw Error("cannot open " + path + ": it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(open_error(path, errno));
  unsigned char magic[2] = {0, 0};
  in.read(reinterpret_cast<char*>(magic), 2);
  return in.gcount() == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

struct LineReader::Impl {
  std::string path;
  gzFile file = nullptr;
  bool compressed = false;
  std::string pending;       // bytes read but not yet returned
  std::size_t pending_pos = 0;
  bool eof = false;
  std::size_t line_number = 0;

  // Reads another chunk into `pending`; false at end of file.
  bool fill() {
    if (eof) return false;
    if (pending_pos > 0) {
      pending.erase(0, pending_pos);
      pending_pos = 0;
    }
    char buffer[1 << 16];
    const int n = gzread(file, buffer, sizeof(buffer));
    if (n < 0) {
      int code = 0;
      const char* message = gzerror(file, &code);
      const std::string reason = code == Z_ERRNO ? std::strerror(errno) : (message ? message : "read error");
      throw Error("cannot read " + path + (compressed ? " (gzip)" : "") + " after line " +
                  std::to_string(line_number) + ": " + reason);
    }
    if (n == 0) {
      int code = 0;
      const char* message = gzerror(file, &code);
      if (code != Z_OK && code != Z_STREAM_END) {
        throw Error("cannot read " + path + (compressed ? " (gzip)" : "") + " after line " +
                    std::to_string(line_number) + ": " + (message ? message : "read error"));
      }
      eof = true;
      return false;
    }
    pending.append(buffer, static_cast<std::size_t>(n));
    return true;
  }
};

LineReader::LineReader(const std::string& path) : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  impl_->compressed = is_gzip_file(path);
  errno = 0;
  impl_->file = gzopen(path.c_str(), "rb");
  if (impl_->file == nullptr) throw Error(open_error(path, errno ? errno : ENOMEM));
  gzbuffer(impl_->file, 1 << 17);
}

LineReader::~LineReader() {
  if (impl_ && impl_->file) gzclose(impl_->file);
}

bool LineReader::next(std::string& line) {
  Impl& s = *impl_;
  std::size_t newline;
  while ((newline = s.pending.find('\n', s.pending_pos)) == std::string::npos) {
    if (!s.fill()) break;
  }
  if (newline == std::string::npos) {
    if (s.pending_pos >= s.pending.size()) return false;  // clean end of file
    newline = s.pending.size();                            // last line without "\n"
  }
  line.assign(s.pending, s.pending_pos, newline - s.pending_pos);
  s.pending_pos = std::min(newline + 1, s.pending.size());
  ++s.line_number;

  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (s.line_number == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
  if (const auto nul = line.find('\0'); nul != std::string::npos) {
    throw Error(where(s.path, s.line_number) + ": NUL byte at byte " + std::to_string(nul + 1) +
                " (is this a binary file?)");
  }
  if (const auto bad = first_invalid_utf8(line); bad != std::string_view::npos) {
    throw Error(where(s.path, s.line_number) + ": invalid UTF-8 at byte " + std::to_string(bad + 1));
  }
  return true;
}

std::size_t LineReader::line_number() const { return impl_->line_number; }
const std::string& LineReader::path() const { return impl_->path; }
bool LineReader::compressed() const { return impl_->compressed; }

std::vector<std::string> read_lines(const std::string& path) {
  LineReader reader(path);
  std::vector<std::string> lines;
  std::string line;
  while (reader.next(line)) lines.push_back(line);
  return lines;
}

ParallelCorpus read_parallel_text(const std::string& source_path, const std::string& target_path) {
  LineReader source(source_path), target(target_path);
  ParallelCorpus corpus;
  std::string s, t;
  for (;;) {
    const bool has_s = source.next(s);
    const bool has_t = target.next(t);
    if (has_s && has_t) {
      corpus.source.push_back(std::move(s));
      corpus.target.push_back(std::move(t));
      continue;
    }
    if (has_s || has_t) {
      // Count the rest of the longer file so the message gives both totals.
      LineReader& longer = has_s ? source : target;
      std::string rest;
      while (longer.next(rest)) {
      }
    }
    break;
  }
  if (source.line_number() != target.line_number()) {
    throw Error("parallel files differ in length: " + source_path + " has " + std::to_string(source.line_number()) +
                " lines but " + target_path + " has " + std::to_string(target.line_number()));
  }
  return corpus;
}

ParallelCorpus read_parallel_tsv(const std::string& path, int source_column, int target_column,
                                 int expected_fields) {
  if (source_column < 0 || target_column < 0) {
    throw Error("TSV columns must be 0 or more (got source " + std::to_string(source_column) + ", target " +
                std::to_string(target_column) + ") for " + path);
  }
  if (source_column == target_column) {
    throw Error("TSV source and target column are both " + std::to_string(source_column) + " for " + path);
  }
  LineReader reader(path);
  ParallelCorpus corpus;
  std::string line;
  std::vector<std::string_view> fields;
  std::size_t expected = expected_fields > 0 ? static_cast<std::size_t>(expected_fields) : 0;
  const std::size_t needed = static_cast<std::size_t>(std::max(source_column, target_column)) + 1;
  while (reader.next(line)) {
    fields.clear();
    std::size_t start = 0;
    for (;;) {
      const std::size_t tab = line.find('\t', start);
      fields.emplace_back(line.data() + start, (tab == std::string::npos ? line.size() : tab) - start);
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    if (expected == 0) {
      expected = fields.size();
      if (expected < needed) {
        throw Error(where(path, reader.line_number()) + ": expected at least " + std::to_string(needed) +
                    " tab-separated fields for columns " + std::to_string(source_column) + " and " +
                    std::to_string(target_column) + ", found " + std::to_string(fields.size()));
      }
    }
    if (fields.size() != expected) {
      throw Error(where(path, reader.line_number()) + ": expected " + std::to_string(expected) +
                  " tab-separated fields, found " + std::to_string(fields.size()));
    }
    corpus.source.emplace_back(fields[static_cast<std::size_t>(source_column)]);
    corpus.target.emplace_back(fields[static_cast<std::size_t>(target_column)]);
  }
  if (expected > 0 && expected < needed) {
    throw Error(path + ": lines have " + std::to_string(expected) + " fields, too few for columns " +
                std::to_string(source_column) + " and " + std::to_string(target_column));
  }
  return corpus;
}

// ---------------------------------------------------------------- filtering

std::size_t count_words(std::string_view text) {
  std::size_t words = 0;
  bool in_word = false;
  for (char c : text) {
    if (is_space(c)) {
      in_word = false;
    } else if (!in_word) {
      in_word = true;
      ++words;
    }
  }
  return words;
}

std::string normalize_whitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (char c : text) {
    if (is_space(c)) {
      pending_space = !out.empty();
    } else {
      if (pending_space) out.push_back(' ');
      pending_space = false;
      out.push_back(c);
    }
  }
  return out;
}

ParallelCorpus filter_corpus(const ParallelCorpus& corpus, const CorpusFilter& filter, FilterStats* stats) {
  if (corpus.source.size() != corpus.target.size()) {
    throw Error("internal: parallel corpus sides differ in size (" + std::to_string(corpus.source.size()) + " vs " +
                std::to_string(corpus.target.size()) + ")");
  }
  FilterStats local;
  FilterStats& st = stats ? *stats : local;
  st = FilterStats{};
  ParallelCorpus kept;
  for (std::size_t i = 0; i < corpus.size(); ++i) {
    ++st.read;
    const std::size_t ls = count_words(corpus.source[i]);
    const std::size_t lt = count_words(corpus.target[i]);
    if (filter.drop_empty && (ls == 0 || lt == 0)) {
      ++st.dropped_empty;
      continue;
    }
    if (filter.max_words > 0 && (ls > static_cast<std::size_t>(filter.max_words) ||
                                 lt > static_cast<std::size_t>(filter.max_words))) {
      ++st.dropped_too_long;
      continue;
    }
    if (filter.max_ratio > 0 && ls > 0 && lt > 0) {
      const double ratio = static_cast<double>(std::max(ls, lt)) / static_cast<double>(std::min(ls, lt));
      if (ratio > filter.max_ratio) {
        ++st.dropped_ratio;
        continue;
      }
    }
    ++st.kept;
    st.source_words.add(ls);
    st.target_words.add(lt);
    kept.source.push_back(corpus.source[i]);
    kept.target.push_back(corpus.target[i]);
  }
  return kept;
}

}  // namespace s2s
