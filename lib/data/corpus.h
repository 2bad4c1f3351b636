#pragma once
// Reading and filtering parallel corpora.
//
// Inputs are either two line-aligned plain-text files (source, target) or one
// TSV file with chosen source/target columns. Any input may be gzip-compressed
// (recognised by its magic bytes, not its name). Everything read is validated:
// a problem is an s2s::Error naming the file and, where there is one, the line.
//
// Filtering uses explicit, counted rules (see CorpusFilter); every dropped pair
// is counted under the first rule it fails, in the order empty, too long, ratio.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace s2s {

struct ParallelCorpus {
  std::vector<std::string> source, target;
  std::size_t size() const { return source.size(); }
};

struct CorpusFilter {
  int max_words = 250;     // drop a pair when either side has more words; <= 0: no limit
  double max_ratio = 9.0;  // drop when longer/shorter side word counts exceed it; <= 0: no limit
  bool drop_empty = true;  // drop a pair when either side has no words
};

// Word-length histogram: counts[i] = number of sentences with
// i*bucket_width <= words < (i+1)*bucket_width.
struct LengthHistogram {
  int bucket_width = 10;
  std::vector<std::size_t> counts;
  std::size_t sentences = 0;
  std::size_t total_words = 0;
  std::size_t max_words = 0;
  void add(std::size_t words);
  double mean() const { return sentences ? double(total_words) / double(sentences) : 0.0; }
};

struct FilterStats {
  std::size_t read = 0;
  std::size_t kept = 0;
  std::size_t dropped_empty = 0;
  std::size_t dropped_too_long = 0;
  std::size_t dropped_ratio = 0;
  LengthHistogram source_words, target_words;  // of the kept pairs
  std::size_t dropped() const { return dropped_empty + dropped_too_long + dropped_ratio; }
  // {"read","kept","dropped":{"empty","too_long","ratio","total"},
  //  "words":{"source":{"mean","max","histogram":{"bucket_width","counts"}},"target":{...}}}
  nlohmann::json to_json() const;
};

// Reads a text file (plain or gzip) line by line. Each line is returned without
// its "\n" or trailing "\r"; a UTF-8 byte-order mark at the start of the file
// is skipped. Invalid UTF-8 or a NUL byte is an error naming file and line.
class LineReader {
 public:
  explicit LineReader(const std::string& path);  // throws s2s::Error when it cannot open
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  bool next(std::string& line);              // false at end of file
  std::size_t line_number() const;           // 1-based number of the last line returned
  const std::string& path() const;
  bool compressed() const;                   // the file starts with the gzip magic bytes

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True when the file starts with the gzip magic bytes 1f 8b. Throws when it cannot open.
bool is_gzip_file(const std::string& path);

// Every line of a file, validated as LineReader does.
std::vector<std::string> read_lines(const std::string& path);

// Two line-aligned files. Different line counts are an error naming both files and counts.
ParallelCorpus read_parallel_text(const std::string& source_path, const std::string& target_path);

// One TSV file; columns are 0-based. Every line must have as many tab-separated
// fields as `expected_fields`, or, when that is 0, as the first line has; that
// count must cover both columns. A line with another count is an error naming
// the file, the line, and the expected and found counts. No quoting: a field is
// everything between two tabs.
ParallelCorpus read_parallel_tsv(const std::string& path, int source_column, int target_column,
                                 int expected_fields = 0);

// Words as the filter counts them: runs of non-whitespace separated by ASCII whitespace.
std::size_t count_words(std::string_view text);

// Trims ASCII whitespace at both ends and collapses every inner run to one space.
std::string normalize_whitespace(std::string_view text);

// Applies the filter rules in order (empty, too long, ratio); fills `stats` when given.
ParallelCorpus filter_corpus(const ParallelCorpus& corpus, const CorpusFilter& filter,
                             FilterStats* stats = nullptr);

// Offset of the first byte that is not part of valid UTF-8, or npos when valid.
std::size_t first_invalid_utf8(std::string_view text);

}  // namespace s2s
