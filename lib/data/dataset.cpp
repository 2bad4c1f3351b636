#include "data/dataset.h"

#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "data/corpus.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/paths.h"

namespace s2s {

CorpusTokenizers CorpusTokenizers::load(const std::string& corpus_dir) {
  CorpusTokenizers t;
  const std::string joint = corpus_dir + "/spm.model";
  if (path_exists(joint)) {
    t.source = std::make_shared<Tokenizer>(Tokenizer::load(joint));
    t.target = t.source;
    t.joint = true;
    return t;
  }
  const std::string src = corpus_dir + "/spm.src.model", trg = corpus_dir + "/spm.trg.model";
  if (!path_exists(src) || !path_exists(trg)) {
    throw Error("corpus directory " + corpus_dir + " has no spm.model (nor spm.src.model + spm.trg.model); run s2s prepare");
  }
  t.source = std::make_shared<Tokenizer>(Tokenizer::load(src));
  t.target = std::make_shared<Tokenizer>(Tokenizer::load(trg));
  t.joint = false;
  return t;
}

CorpusTokenizers CorpusTokenizers::from_serialized(const std::string& source_model, const std::string& target_model) {
  CorpusTokenizers t;
  t.source = std::make_shared<Tokenizer>(Tokenizer::from_serialized(source_model));
  t.joint = source_model == target_model;
  t.target = t.joint ? t.source : std::make_shared<Tokenizer>(Tokenizer::from_serialized(target_model));
  return t;
}

namespace {

constexpr char kCacheMagic[8] = {'S', '2', 'S', 'C', 'A', 'C', 'H', '1'};

template <typename T>
void write_pod(std::ostream& out, const T& value) {
  out.write(reinterpret_cast<const char*>(&value), sizeof(T));
}
template <typename T>
bool read_pod(std::istream& in, T& value) {
  return static_cast<bool>(in.read(reinterpret_cast<char*>(&value), sizeof(T)));
}

void write_cache(const std::string& path, const EncodedSplit& split) {
  write_file_atomically(path, [&](std::ostream& out) {
    out.write(kCacheMagic, sizeof(kCacheMagic));
    write_pod(out, static_cast<int64_t>(split.ids.size()));
    write_pod(out, split.dropped_too_long);
    for (size_t i = 0; i < split.ids.size(); ++i) {
      write_pod(out, split.line_numbers[i]);
      for (const auto* side : {&split.ids.source[i], &split.ids.target[i]}) {
        write_pod(out, static_cast<int32_t>(side->size()));
        out.write(reinterpret_cast<const char*>(side->data()), side->size() * sizeof(int32_t));
      }
    }
  });
}

// Returns false (and the caller re-encodes) when the cache is absent or unreadable.
bool read_cache(const std::string& path, EncodedSplit& split) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  char magic[sizeof(kCacheMagic)];
  int64_t count = 0;
  if (!in.read(magic, sizeof(magic)) || std::memcmp(magic, kCacheMagic, sizeof(magic)) != 0) return false;
  if (!read_pod(in, count) || !read_pod(in, split.dropped_too_long) || count < 0) return false;
  split.ids.source.resize(count);
  split.ids.target.resize(count);
  split.line_numbers.resize(count);
  for (int64_t i = 0; i < count; ++i) {
    if (!read_pod(in, split.line_numbers[i])) return false;
    for (auto* side : {&split.ids.source[i], &split.ids.target[i]}) {
      int32_t length = 0;
      if (!read_pod(in, length) || length < 0 || length > (1 << 20)) return false;
      side->resize(length);
      if (!in.read(reinterpret_cast<char*>(side->data()), length * sizeof(int32_t))) return false;
    }
  }
  return in.peek() == std::char_traits<char>::eof();
}

}  // namespace

EncodedSplit load_encoded_split(const std::string& corpus_dir, const std::string& split_name,
                                const CorpusTokenizers& tokenizers, int64_t max_length) {
  const std::string src_path = corpus_dir + "/" + split_name + ".src";
  const std::string trg_path = corpus_dir + "/" + split_name + ".trg";
  ParallelCorpus text = read_parallel_text(src_path, trg_path);

  std::ostringstream key;
  key << "v1|" << max_length << "|" << tokenizers.source->serialized().size() << "|";
  uint64_t hash = fingerprint(key.str());
  for (const auto& line : text.source) hash = fingerprint(line + "\n", hash);
  hash = fingerprint("|", hash);
  for (const auto& line : text.target) hash = fingerprint(line + "\n", hash);
  hash = fingerprint(tokenizers.source->serialized(), hash);
  hash = fingerprint(tokenizers.target->serialized(), hash);
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(hash));
  const std::string cache_dir = corpus_dir + "/cache";
  const std::string cache_path = cache_dir + "/" + split_name + "-" + hex + ".bin";

  EncodedSplit split;
  if (read_cache(cache_path, split)) {
    split.from_cache = true;
    return split;
  }
  split = EncodedSplit{};
  for (size_t i = 0; i < text.size(); ++i) {
    auto src = tokenizers.source->encode(text.source[i]);
    auto trg = tokenizers.target->encode(text.target[i]);
    if (max_length > 0 && (static_cast<int64_t>(src.size()) > max_length || static_cast<int64_t>(trg.size()) > max_length)) {
      ++split.dropped_too_long;
      continue;
    }
    split.ids.source.emplace_back(src.begin(), src.end());
    split.ids.target.emplace_back(trg.begin(), trg.end());
    split.line_numbers.push_back(static_cast<int64_t>(i) + 1);
  }
  ::mkdir(cache_dir.c_str(), 0755);
  try {
    write_cache(cache_path, split);
  } catch (const Error&) {
    // A read-only corpus directory only costs the next run the encoding time.
  }
  return split;
}

}  // namespace s2s
