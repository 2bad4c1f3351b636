#include "data/synthetic.h"

#include <sys/stat.h>

#include <algorithm>
#include <random>

#include "util/atomic_file.h"
#include "util/error.h"

namespace s2s {

static std::string symbol_name(int64_t i) {
  std::string name(1, static_cast<char>('a' + i % 26));
  if (i >= 26) name += std::to_string(i / 26);
  return name;
}

ParallelCorpus generate_synthetic(const SyntheticTask& task) {
  if (task.task != "copy" && task.task != "reverse" && task.task != "sort") {
    throw Error("synthetic task must be copy, reverse or sort, not \"" + task.task + "\"");
  }
  if (task.min_length < 1 || task.max_length < task.min_length || task.symbols < 1) {
    throw Error("synthetic task needs 1 <= min_length <= max_length and symbols >= 1");
  }
  std::mt19937_64 rng(task.seed);
  ParallelCorpus corpus;
  for (int64_t n = 0; n < task.pairs; ++n) {
    const int64_t length = task.min_length + static_cast<int64_t>(rng() % (task.max_length - task.min_length + 1));
    std::vector<int64_t> tokens(length);
    for (auto& t : tokens) t = static_cast<int64_t>(rng() % task.symbols);
    std::vector<int64_t> output = tokens;
    if (task.task == "reverse") std::reverse(output.begin(), output.end());
    if (task.task == "sort") std::sort(output.begin(), output.end());
    auto join = [](const std::vector<int64_t>& ids) {
      std::string text;
      for (size_t i = 0; i < ids.size(); ++i) text += (i ? " " : "") + symbol_name(ids[i]);
      return text;
    };
    corpus.source.push_back(join(tokens));
    corpus.target.push_back(join(output));
  }
  return corpus;
}

void write_synthetic_splits(const std::string& out_dir, SyntheticTask task, int64_t train, int64_t dev, int64_t test) {
  ::mkdir(out_dir.c_str(), 0755);
  const std::pair<const char*, int64_t> splits[] = {{"train", train}, {"dev", dev}, {"test", test}};
  uint64_t seed = task.seed;
  for (const auto& [name, count] : splits) {
    task.pairs = count;
    task.seed = seed++;  // disjoint random streams per split
    auto corpus = generate_synthetic(task);
    auto write = [&](const std::string& path, const std::vector<std::string>& lines) {
      write_file_atomically(path, [&](std::ostream& out) {
        for (const auto& line : lines) out << line << "\n";
      });
    };
    write(out_dir + "/" + name + ".src", corpus.source);
    write(out_dir + "/" + name + ".trg", corpus.target);
  }
}

}  // namespace s2s
