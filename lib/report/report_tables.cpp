#include "report/report_tables.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "report/verdicts.h"

namespace s2s::report {

namespace {

std::string setup_of(const ModelInfo& m) {
  std::string setup = m.architecture.empty() ? std::string(kDash) : m.architecture;
  if (!m.attention.empty()) setup += m.attention == "none" ? ", no attention" : ", " + m.attention + " attention";
  // Trained in 16 bits (train.precision): said, since it changes the speed.
  const auto precision = m.json ? string_at(*m.json, "training/precision") : std::nullopt;
  if (precision && *precision != "fp32") setup += ", " + *precision;
  return setup;
}

// The beam size shared by all models, or nullopt when absent or different.
std::optional<double> common_beam_size(const std::vector<ModelInfo>& models) {
  std::optional<double> common;
  for (const auto& m : models) {
    auto b = number_at(*m.json, "test/beam/beam_size");
    if (!b) continue;
    if (common && *common != *b) return std::nullopt;
    common = b;
  }
  return common;
}

// A headline figure: "10.3 ± 0.4" (mean ± sd) when the model was trained with several seeds,
// else the single run's value.
std::string figure(const nlohmann::json& model, const std::string& path, int decimals) {
  auto mean = number_at(model, "seeds/figures/" + path + "/mean");
  auto sd = number_at(model, "seeds/figures/" + path + "/sd");
  if (mean && sd) return (decimals == 0 ? grouped(mean) : fixed(mean, decimals)) + " ± " + fixed(sd, decimals == 0 ? 0 : decimals);
  return decimals == 0 ? grouped(number_at(model, path)) : fixed(number_at(model, path), decimals);
}

// "[9.4, 11.2]", or a dash when either end is missing.
std::string interval_text(std::optional<double> lower, std::optional<double> upper) {
  if (!lower || !upper) return kDash;
  return "[" + fixed(lower, 1) + ", " + fixed(upper, 1) + "]";
}

}  // namespace

const std::vector<LatencyKind>& latency_kinds() {
  static const std::vector<LatencyKind> kinds = {
      {"encoder", "Encoder", "source length (tokens)"},
      {"teacher_forced_decoder", "Decoder, teacher-forced", "target length (tokens)"},
      {"autoregressive", "Autoregressive decoding", "output length (tokens)"},
  };
  return kinds;
}

Table headline_table(const std::vector<ModelInfo>& models) {
  Table t;
  auto beam = common_beam_size(models);
  std::optional<double> seeds;
  for (const auto& m : models)
    if (auto n = number_at(*m.json, "seeds/n")) seeds = n;
  t.caption = "Results at equal training budget (test set" + (beam ? "; beam size " + grouped(beam) : std::string()) +
              (seeds ? "; mean ± sd over " + grouped(seeds) + " seeds, other figures from the first seed"
                     : std::string("; one seed")) +
              ")";
  t.headers = {"Model", "Setup", "Parameters", "Steps", "Train time (s)", "Stopped by", "Target tok/s",
               "Final train loss", "BLEU greedy", "BLEU beam", "chrF greedy", "chrF beam", "Greedy sent/s",
               "BLEU greedy 95% CI"};
  t.text_columns = 2;
  t.other_text_columns = {5};
  for (const auto& m : models) {
    const auto& j = *m.json;
    std::string beam_bleu = figure(j, "test/beam/bleu", 1);
    if (!beam) {
      if (auto b = number_at(j, "test/beam/beam_size"); b && beam_bleu != kDash) beam_bleu += " (k=" + grouped(b) + ")";
    }
    t.rows.push_back({m.name, setup_of(m), parameter_count(number_at(j, "parameters")),
                      figure(j, "training/steps", 0), fixed(number_at(j, "training/wall_seconds"), 1),
                      string_at(j, "training/stopped_because").value_or(kDash),
                      figure(j, "training/target_tokens_per_second", 0), figure(j, "training/final_train_loss", 3),
                      figure(j, "test/greedy/bleu", 1), beam_bleu, figure(j, "test/greedy/chrf", 1),
                      figure(j, "test/beam/chrf", 1), figure(j, "test/greedy/sentences_per_second", 1),
                      interval_text(number_at(j, "test/greedy/bleu_interval/lower"),
                                    number_at(j, "test/greedy/bleu_interval/upper"))});
    t.row_colors.push_back(m.color);
  }
  return t;
}

std::vector<std::string> bucket_names(const std::vector<ModelInfo>& models) {
  std::vector<std::string> names;
  for (const auto& m : models) {
    const nlohmann::json* list = array_at(*m.json, "test/bleu_by_length");
    if (list == nullptr) continue;
    for (const auto& entry : *list) {
      auto name = string_at(entry, "bucket");
      if (name && std::find(names.begin(), names.end(), *name) == names.end()) names.push_back(*name);
    }
  }
  return names;
}

const nlohmann::json* bucket_entry(const ModelInfo& model, const std::string& bucket) {
  const nlohmann::json* list = array_at(*model.json, "test/bleu_by_length");
  if (list == nullptr) return nullptr;
  for (const auto& entry : *list)
    if (string_at(entry, "bucket") == bucket) return &entry;
  return nullptr;
}

Table by_length_table(const std::vector<ModelInfo>& models) {
  Table t;
  t.caption = "Test BLEU by source length (words); in brackets the 95% bootstrap interval where measured";
  t.headers = {"Source length", "Sentences"};
  for (const auto& m : models) t.headers.push_back(m.name);
  for (const auto& name : bucket_names(models)) {
    // Sentence counts should agree across models (same test set); show each when they do not.
    std::vector<std::string> counts;
    for (const auto& m : models) {
      const nlohmann::json* e = bucket_entry(m, name);
      if (e == nullptr) continue;
      std::string c = grouped(number_at(*e, "sentences"));
      if (std::find(counts.begin(), counts.end(), c) == counts.end()) counts.push_back(c);
    }
    std::string count_cell;
    for (std::size_t i = 0; i < counts.size(); ++i) count_cell += (i ? " / " : "") + counts[i];
    if (count_cell.empty()) count_cell = kDash;
    std::vector<std::string> row = {name, count_cell};
    for (const auto& m : models) {
      const nlohmann::json* e = bucket_entry(m, name);
      if (e == nullptr || !number_at(*e, "bleu")) {
        row.push_back(kDash);
        continue;
      }
      std::string cell = fixed(number_at(*e, "bleu"), 1);
      if (auto lower = number_at(*e, "bleu_lower"), upper = number_at(*e, "bleu_upper"); lower && upper)
        cell += " " + interval_text(lower, upper);
      row.push_back(cell);
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table significance_table(const nlohmann::json& results) {
  Table t;
  t.caption = "Paired bootstrap tests of every pair of models (difference = first minus second)";
  t.headers = {"Decoding", "Pair", "BLEU diff.", "95% CI", "p", "chrF diff.", "95% CI", "p", "Verdict (BLEU)"};
  t.text_columns = 2;
  t.other_text_columns = {8};
  const nlohmann::json* pairs = array_at(results, "significance/pairs");
  if (pairs == nullptr) return t;
  for (const auto& pair : *pairs) {
    auto a = string_at(pair, "a"), b = string_at(pair, "b"), decoding = string_at(pair, "decoding");
    if (!a || !b || !decoding) continue;
    std::vector<std::string> row = {*decoding == "beam" ? "beam " + grouped(number_at(pair, "beam_size")) : *decoding,
                                    *a + " vs " + *b};
    for (const char* metric : {"BLEU", "chrF2"}) {
      const std::string m = metric;
      auto d = number_at(pair, m + "/difference");
      row.push_back(d ? (*d > 0 ? "+" : "") + fixed(d, 1) : std::string(kDash));
      row.push_back(interval_text(number_at(pair, m + "/lower"), number_at(pair, m + "/upper")));
      auto p = number_at(pair, m + "/p_value");
      row.push_back(p ? fixed(p, 3) : std::string(kDash));
    }
    auto verdict = find_verdict(results, *a, *b, *decoding, "BLEU");
    row.push_back(!verdict ? std::string(kDash)
                  : verdict->difference == 0 ? "no difference"
                  : verdict->significant     ? verdict->better + " better"
                                             : "not significant");
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table references_table(const std::vector<ModelInfo>& models, const nlohmann::json& results) {
  Table t;
  auto second = string_at(results, "test_set/second_reference/name");
  t.caption = "Test scores against the primary reference and against both (" + second.value_or("second reference") + ")";
  t.headers = {"Model", "BLEU greedy, 1 ref", "BLEU greedy, 2 refs", "BLEU beam, 1 ref", "BLEU beam, 2 refs",
               "chrF greedy, 1 ref", "chrF greedy, 2 refs"};
  for (const auto& m : models) {
    const auto& j = *m.json;
    if (!find_at(j, "test/greedy/two_references")) continue;
    t.rows.push_back({m.name, fixed(number_at(j, "test/greedy/bleu"), 1),
                      fixed(number_at(j, "test/greedy/two_references/bleu"), 1), fixed(number_at(j, "test/beam/bleu"), 1),
                      fixed(number_at(j, "test/beam/two_references/bleu"), 1), fixed(number_at(j, "test/greedy/chrf"), 1),
                      fixed(number_at(j, "test/greedy/two_references/chrf"), 1)});
    t.row_colors.push_back(m.color);
  }
  return t;
}

Table example_table(const nlohmann::json& example) {
  Table t;
  t.caption = "Test line " + grouped(number_at(example, "line")) + " (" + grouped(number_at(example, "source_words")) +
              " source words)";
  t.headers = {"", "Text"};
  t.text_columns = 2;
  t.rows.push_back({"Source", string_at(example, "source").value_or(kDash)});
  t.rows.push_back({"Reference", string_at(example, "reference").value_or(kDash)});
  if (const nlohmann::json* translations = array_at(example, "translations"))
    for (const auto& tr : *translations)
      t.rows.push_back({string_at(tr, "model").value_or(kDash), string_at(tr, "text").value_or(kDash)});
  return t;
}

std::string test_set_sentence(const nlohmann::json& results) {
  auto sentences = number_at(results, "test_set/sentences");
  if (!sentences) return "";
  std::string s = grouped(sentences) + " test sentences";
  if (auto total = number_at(results, "corpus/test_pairs"))
    s += *total == *sentences ? " (the whole test set)" : " (of " + grouped(total) + ")";
  if (auto name = string_at(results, "test_set/second_reference/name")) {
    s += "; second reference: " + *name;
    auto substituted = number_at(results, "test_set/second_reference/substituted").value_or(0);
    s += substituted > 0 ? " (" + grouped(substituted) + " lines it lacks use the primary reference twice)"
                         : " (complete for these sentences)";
  }
  return s;
}

std::vector<double> latency_lengths(const std::vector<ModelInfo>& models, const std::string& kind) {
  std::set<double> lengths;
  for (const auto& m : models) {
    const nlohmann::json* list = array_at(*m.json, "latency/" + kind);
    if (list == nullptr) continue;
    for (const auto& entry : *list)
      if (auto l = number_at(entry, "length")) lengths.insert(*l);
  }
  return {lengths.begin(), lengths.end()};
}

Table latency_table(const std::vector<ModelInfo>& models) {
  Table t;
  t.caption = "Latency in milliseconds by length (tokens)";
  std::set<double> all;
  for (const auto& kind : latency_kinds())
    for (double l : latency_lengths(models, kind.key)) all.insert(l);
  std::vector<double> lengths(all.begin(), all.end());
  t.headers = {"Measurement", "Model"};
  for (double l : lengths) t.headers.push_back(grouped(l));
  t.text_columns = 2;
  t.swatch_column = 1;
  for (const auto& kind : latency_kinds()) {
    for (const auto& m : models) {
      const nlohmann::json* list = array_at(*m.json, std::string("latency/") + kind.key);
      if (list == nullptr) continue;
      std::vector<std::string> row = {kind.title, m.name};
      for (double l : lengths) {
        std::optional<double> ms;
        for (const auto& entry : *list)
          if (number_at(entry, "length") == l) ms = number_at(entry, "ms");
        row.push_back(milliseconds(ms));
      }
      t.rows.push_back(std::move(row));
      t.row_colors.push_back(m.color);
    }
  }
  return t;
}

std::string milliseconds(std::optional<double> ms) {
  if (!ms) return kDash;
  const double a = std::fabs(*ms);
  return fixed(ms, a < 10 ? 2 : a < 100 ? 1 : 0);
}

std::string duration(std::optional<double> seconds) {
  if (!seconds) return kDash;
  std::string s = fixed(seconds, 1) + " s";
  if (*seconds >= 120) s += " (" + fixed(*seconds / 60.0, 1) + " min)";
  return s;
}

std::string budget_sentence(const nlohmann::json& results) {
  // 0 means "no limit" in the experiment file.
  auto positive = [](std::optional<double> v) { return v && *v > 0 ? v : std::nullopt; };
  auto steps = positive(number_at(results, "budget/max_steps"));
  auto minutes = positive(number_at(results, "budget/max_minutes"));
  if (steps && minutes)
    return "at most " + grouped(steps) + " steps or " + significant(minutes, 3) +
           " minutes of training per model, whichever came first";
  if (steps) return "at most " + grouped(steps) + " training steps per model";
  if (minutes) return "at most " + significant(minutes, 3) + " minutes of training per model";
  return "";
}

std::string corpus_sentence(const nlohmann::json& results) {
  auto name = string_at(results, "corpus/name");
  auto train = number_at(results, "corpus/train_pairs");
  auto dev = number_at(results, "corpus/dev_pairs");
  auto test = number_at(results, "corpus/test_pairs");
  auto vocab = number_at(results, "corpus/vocab_size");
  if (!name && !train && !dev && !test && !vocab) return "";
  std::string s = name.value_or("corpus");
  std::vector<std::string> parts;
  if (train) parts.push_back(grouped(train) + " training");
  if (dev) parts.push_back(grouped(dev) + " dev");
  if (test) parts.push_back(grouped(test) + " test");
  if (!parts.empty()) {
    s += ": ";
    for (std::size_t i = 0; i < parts.size(); ++i) s += (i == 0 ? "" : i + 1 == parts.size() ? " and " : ", ") + parts[i];
    s += " sentence pairs";
  }
  if (vocab) s += (parts.empty() ? ": " : ", ") + std::string("vocabulary ") + grouped(vocab);
  return s;
}

Table run_table(const nlohmann::json& results) {
  Table t;
  t.headers = {"Item", "Value"};
  t.text_columns = 2;
  auto str = [&](const std::string& path) { return string_at(results, path).value_or(kDash); };
  std::string cores = grouped(number_at(results, "machine/cores"));
  std::string threads = grouped(number_at(results, "machine/threads"));
  std::string budget = budget_sentence(results);
  std::string corpus = corpus_sentence(results);
  t.rows = {
      {"Command", str("command")},
      {"Started at", str("started_at")},
      {"Wall time", duration(number_at(results, "wall_seconds"))},
      {"Seed", grouped(number_at(results, "seed"))},
      {"s2s version", str("s2s_version")},
      {"CPU", str("machine/cpu")},
      {"Cores / threads", cores + " / " + threads},
      {"Device", str("machine/device")},
      {"LibTorch", str("machine/torch_version")},
      {"BLAS", str("machine/blas")},
      {"Corpus", corpus.empty() ? std::string(kDash) : corpus},
      {"Corpus directory", str("corpus/dir")},
      {"Budget", budget.empty() ? std::string(kDash) : budget},
  };
  return t;
}

std::vector<Signature> signatures(const std::vector<ModelInfo>& models) {
  std::vector<Signature> out;
  for (const auto& m : models) {
    for (const char* decoding : {"greedy", "beam"}) {
      auto sig = string_at(*m.json, std::string("test/") + decoding + "/signature");
      if (!sig || sig->empty()) continue;
      auto it = std::find_if(out.begin(), out.end(), [&](const Signature& s) { return s.signature == *sig; });
      if (it == out.end()) {
        out.push_back({*sig, {}});
        it = out.end() - 1;
      }
      it->used_by.push_back(m.name + " " + decoding);
    }
  }
  return out;
}

}  // namespace s2s::report
