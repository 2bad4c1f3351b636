#include "compare/experiment.h"

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <ctime>
#include <iostream>

#include "bench/latency.h"
#include "data/corpus.h"
#include "data/prepare.h"
#include "report/report.h"
#include "train/runtime.h"
#include "train/train_config.h"
#include "train/trainer.h"
#include "translate/evaluation.h"
#include "translate/translator.h"
#include "util/atomic_file.h"
#include "util/config.h"
#include "util/error.h"

namespace s2s {

nlohmann::json default_experiment_config() {
  return {
      {"name", "compare"},
      {"seed", 1},
      {"threads", 0},
      {"corpus",
       {{"dir", ""},           // prepared corpus directory (made here when bible or train_* are set)
        {"bible", false},      // build the Spanish→English Bible corpus from Debian's SWORD packages
        {"train_src", ""}, {"train_trg", ""}, {"dev_src", ""}, {"dev_trg", ""}, {"test_src", ""}, {"test_trg", ""},
        {"dev_size", 0}, {"test_size", 0},
        {"vocab_size", 8000}, {"model_type", "unigram"}, {"max_words", 250}, {"max_ratio", 9.0}}},
      {"models", nlohmann::json::array()},  // [{"name", "preset", "set": ["key=value", ...]}]
      {"shared", nlohmann::json::object()}, // a training-config fragment applied to every model
      {"budget", {{"max_steps", 0}, {"max_minutes", 0.0}}},
      {"test", {{"max_sentences", 0}, {"beam", 5}, {"batch_tokens", 2000}}},
      {"latency", {{"lengths", {8, 16, 32, 64, 128, 256}}, {"batch_size", 1}, {"repeats", 3}}},
      {"attention_examples", 3},
  };
}

namespace {

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string resolve_relative(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  return base_dir + "/" + path;
}

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return buffer;
}

// Makes (or reuses) the prepared corpus the experiment names; returns its directory.
std::string ensure_corpus(const nlohmann::json& corpus, const std::string& out_dir, int threads) {
  const bool bible = corpus["bible"].get<bool>();
  const bool from_files = !corpus["train_src"].get<std::string>().empty();
  std::string dir = corpus["dir"].get<std::string>();
  if (!bible && !from_files) {
    if (dir.empty()) throw Error("experiment corpus.dir is not set (nor corpus.bible or corpus.train_src)");
    if (!exists(dir)) throw Error("experiment corpus.dir " + dir + " does not exist");
    return dir;
  }
  if (dir.empty()) dir = out_dir + "/corpus";
  std::error_code error;
  const auto parent = std::filesystem::path(dir).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, error);
  PrepareOptions prepare;
  prepare.out_dir = dir;
  prepare.bible = bible;
  if (from_files) {
    prepare.train.source_path = corpus["train_src"];
    prepare.train.target_path = corpus["train_trg"];
    prepare.dev.source_path = corpus["dev_src"];
    prepare.dev.target_path = corpus["dev_trg"];
    prepare.test.source_path = corpus["test_src"];
    prepare.test.target_path = corpus["test_trg"];
    if (!prepare.dev.given()) prepare.dev.carve = corpus["dev_size"].get<size_t>();
    if (!prepare.test.given()) prepare.test.carve = corpus["test_size"].get<size_t>();
  }
  prepare.vocab_size = corpus["vocab_size"];
  prepare.model_type = corpus["model_type"];
  prepare.filter.max_words = corpus["max_words"];
  prepare.filter.max_ratio = corpus["max_ratio"];
  prepare.threads = threads;
  auto result = prepare_corpus(prepare, &std::cerr);
  std::cerr << (result.skipped ? "corpus: reusing " : "corpus: prepared ") << dir << "\n";
  return dir;
}

// The full training config of one model: preset, then the shared settings,
// then the budget and corpus, then the model's own overrides.
nlohmann::json model_config(const nlohmann::json& experiment, const nlohmann::json& entry, const std::string& base_dir,
                            const std::string& corpus_dir) {
  nlohmann::json config = nlohmann::json::object();
  if (entry.contains("preset")) config = read_json_file(resolve_relative(base_dir, entry["preset"].get<std::string>()));
  config.merge_patch(experiment["shared"]);
  std::vector<std::string> overrides = {"data.dir=\"" + corpus_dir + "\""};
  const auto& budget = experiment["budget"];
  overrides.push_back("train.max_steps=" + budget["max_steps"].dump());
  overrides.push_back("train.max_minutes=" + budget["max_minutes"].dump());
  overrides.push_back("train.seed=" + experiment["seed"].dump());
  overrides.push_back("train.threads=" + experiment["threads"].dump());
  if (entry.contains("set")) {
    for (const auto& s : entry["set"]) overrides.push_back(s.get<std::string>());
  }
  return resolve_config_json(config, overrides);
}

nlohmann::json attention_examples(ModelBundle& bundle, const std::vector<std::string>& sources, int count) {
  nlohmann::json examples = nlohmann::json::array();
  // Sentences of moderate length read best as heatmaps: take the first `count` with 8–25 words.
  std::vector<std::string> picked;
  for (const auto& s : sources) {
    const size_t words = count_words(s);
    if (words >= 8 && words <= 25) picked.push_back(s);
    if (static_cast<int>(picked.size()) >= count) break;
  }
  if (picked.empty()) return examples;
  TranslationOptions options;
  options.search.beam = 1;
  options.search.keep_attention = true;
  auto translations = Translator(bundle, options).translate(picked);
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < picked.size(); ++i) {
    const auto& best = translations[i].nbest.front();
    if (best.attention.empty()) return examples;  // a model without attention
    nlohmann::json example = {{"source", picked[i]},
                              {"translation", translations[i].text},
                              {"source_tokens", translations[i].source_pieces},
                              {"target_tokens", translations[i].target_pieces},
                              {"weights", best.attention}};
    // Per-head weights: the teacher-forced decode of the model's own output.
    auto ids = bundle.tokenizers.source->encode(picked[i]);
    auto [src, lengths] = collate_sources({std::vector<int32_t>(ids.begin(), ids.end())});
    std::vector<int64_t> trg = {SpecialIds::bos};
    trg.insert(trg.end(), best.tokens.begin(), best.tokens.end());
    auto encoded = bundle.model->encode(src.to(bundle.device), lengths.to(bundle.device));
    auto out = bundle.model->decode(encoded, torch::tensor(trg, torch::kLong).unsqueeze(0).to(bundle.device));
    if (out.head_attention.defined()) {
      auto heads = out.head_attention[0].to(torch::kCPU).contiguous();  // (H, T, S)
      nlohmann::json per_head = nlohmann::json::array();
      for (int64_t h = 0; h < heads.size(0); ++h) {
        nlohmann::json rows = nlohmann::json::array();
        for (int64_t t = 0; t < heads.size(1); ++t) {
          auto row = heads[h][t];
          rows.push_back(std::vector<float>(row.data_ptr<float>(), row.data_ptr<float>() + row.size(0)));
        }
        per_head.push_back(rows);
      }
      example["heads"] = per_head;
    }
    examples.push_back(example);
  }
  return examples;
}

// Test-set quality, decoding speed, latency and attention of one trained model.
nlohmann::json evaluate_model(const std::string& run_dir, const nlohmann::json& experiment, const std::string& corpus_dir) {
  auto bundle = load_model_bundle(run_dir, "best", torch::Device(torch::kCPU));
  auto sources = read_lines(corpus_dir + "/test.src");
  auto references = read_lines(corpus_dir + "/test.trg");
  const size_t limit = experiment["test"]["max_sentences"].get<size_t>();
  if (limit > 0 && sources.size() > limit) {
    sources.resize(limit);
    references.resize(limit);
  }
  nlohmann::json test;
  for (int beam : {1, experiment["test"]["beam"].get<int>()}) {
    if (beam == 1 && test.contains("greedy")) continue;
    TranslationOptions options;
    options.search.beam = beam;
    options.batch_tokens = experiment["test"]["batch_tokens"];
    auto start = std::chrono::steady_clock::now();
    auto hyps = Translator(bundle, options).translate_text(sources);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto scores = score_translations(sources, hyps, {references});
    nlohmann::json entry = {{"beam_size", beam},
                            {"bleu", scores["bleu"]["score"]},
                            {"chrf", scores["chrf"]["score"]},
                            {"signature", scores["bleu"]["signature"]},
                            {"bleu_details", scores["bleu"]},
                            {"sentences", sources.size()},
                            {"seconds", seconds},
                            {"sentences_per_second", seconds > 0 ? sources.size() / seconds : 0.0}};
    if (beam == 1) {
      test["greedy"] = entry;
      test["bleu_by_length"] = scores["bleu_by_length"];
    } else {
      test["beam"] = entry;
    }
    std::cerr << "  test " << (beam == 1 ? "greedy" : "beam " + std::to_string(beam)) << ": BLEU "
              << entry["bleu"].get<double>() << ", chrF " << entry["chrf"].get<double>() << " (" << sources.size()
              << " sentences, " << seconds << " s)\n";
  }
  LatencyOptions latency;
  latency.lengths = experiment["latency"]["lengths"].get<std::vector<int64_t>>();
  latency.batch_size = experiment["latency"]["batch_size"];
  latency.repeats = experiment["latency"]["repeats"];
  nlohmann::json result = {{"test", test},
                           {"latency", measure_latency(*bundle.model, bundle.tokenizers.source->vocab_size(),
                                                       bundle.tokenizers.target->vocab_size(), latency)},
                           {"attention_examples", attention_examples(bundle, sources, experiment["attention_examples"])}};
  return result;
}

nlohmann::json read_curve(const std::string& metrics_path) {
  nlohmann::json curve = nlohmann::json::array();
  if (!exists(metrics_path)) return curve;
  nlohmann::json last_train;
  for (const auto& line : read_lines(metrics_path)) {
    auto record = nlohmann::json::parse(line, nullptr, false);
    if (record.is_discarded()) continue;
    if (record["type"] == "train") {
      last_train = record;
      curve.push_back({{"step", record["step"]}, {"seconds", record["seconds"]}, {"train_loss", record["loss"]}});
    } else if (record["type"] == "eval") {
      nlohmann::json point = {{"step", record["step"]}, {"seconds", record["seconds"]}};
      if (record.contains("dev_loss")) point["dev_loss"] = record["dev_loss"];
      if (record.contains("dev_bleu")) point["dev_bleu"] = record["dev_bleu"];
      curve.push_back(point);
    }
  }
  return curve;
}

}  // namespace

nlohmann::json run_comparison(const CompareOptions& options) {
  nlohmann::json experiment = merge_checked(default_experiment_config(), read_json_file(options.config_path), "");
  for (const auto& o : options.overrides) apply_override(experiment, o);
  if (experiment["models"].empty()) throw Error(options.config_path + ": the experiment lists no models");
  const std::string base_dir = directory_of(options.config_path);
  const auto wall_start = std::chrono::steady_clock::now();

  std::error_code error;
  std::filesystem::create_directories(options.out_dir + "/models", error);
  if (error) throw Error("cannot create " + options.out_dir + ": " + error.message());
  const int threads = configure_threads(experiment["threads"].get<int>());
  print_startup_banner(torch::Device(torch::kCPU));
  const std::string corpus_dir = ensure_corpus(experiment["corpus"], options.out_dir, threads);

  nlohmann::json results = {{"s2s_version", S2S_VERSION},
                            {"command", options.command_line},
                            {"started_at", utc_now()},
                            {"seed", experiment["seed"]},
                            {"machine", describe_machine(torch::Device(torch::kCPU))},
                            {"budget", experiment["budget"]},
                            {"config", experiment},
                            {"models", nlohmann::json::array()}};
  nlohmann::json corpus_stats = exists(corpus_dir + "/stats.json") ? read_json_file(corpus_dir + "/stats.json") : nlohmann::json();
  results["corpus"] = {{"name", experiment["corpus"]["bible"].get<bool>() ? "bible-es-en" : corpus_dir},
                       {"dir", corpus_dir},
                       {"train_pairs", read_lines(corpus_dir + "/train.src").size()},
                       {"dev_pairs", read_lines(corpus_dir + "/dev.src").size()},
                       {"test_pairs", read_lines(corpus_dir + "/test.src").size()},
                       {"stats", corpus_stats}};

  for (const auto& entry : experiment["models"]) {
    if (!entry.contains("name")) throw Error(options.config_path + ": every entry of models needs a name");
    const std::string name = entry["name"];
    const std::string run_dir = options.out_dir + "/models/" + name;
    nlohmann::json config = model_config(experiment, entry, base_dir, corpus_dir);
    std::cerr << "\n== " << name << " ==\n";

    // Finished models are not retrained: an interrupted experiment resumes.
    nlohmann::json summary;
    const std::string summary_path = run_dir + "/summary.json";
    if (exists(summary_path) && read_json_file(summary_path).value("stopped_because", "") != "interrupted") {
      summary = read_json_file(summary_path);
      std::cerr << "  already trained (" << summary["steps"] << " steps); reusing\n";
    } else {
      TrainOptions train;
      train.config = config;
      train.run_dir = run_dir;
      train.resume = exists(run_dir + "/checkpoint_last.pt");
      summary = train_model(train).to_json();
      if (summary["stopped_because"] == "interrupted") throw Error("interrupted; run the same command again to resume");
    }
    const std::string evaluation_path = run_dir + "/evaluation.json";
    nlohmann::json evaluation;
    if (exists(evaluation_path)) {
      evaluation = read_json_file(evaluation_path);
    } else {
      evaluation = evaluate_model(run_dir, experiment, corpus_dir);
      write_text_atomically(evaluation_path, evaluation.dump() + "\n");
    }
    auto bundle_config = read_json_file(run_dir + "/config.json");
    auto model = build_model(bundle_config["model"], 8, 8);  // only for the description
    nlohmann::json model_result = {
        {"name", name},
        {"preset", entry.value("preset", "")},
        {"architecture", bundle_config["model"]["architecture"]},
        {"attention", bundle_config["model"].value("attention", "multi-head")},
        {"description", model->describe()},
        {"parameters", summary["parameters"]},
        {"training",
         {{"steps", summary["steps"]},
          {"wall_seconds", summary["train_seconds"]},
          {"target_tokens_per_second", summary["target_tokens_per_second"]},
          {"final_train_loss", summary["final_train_loss"]},
          {"stopped_because", summary["stopped_because"]},
          {"curve", read_curve(run_dir + "/metrics.jsonl")}}},
        {"config", bundle_config}};
    for (const auto& key : {"test", "latency", "attention_examples"}) model_result[key] = evaluation[key];
    results["models"].push_back(model_result);
    results["wall_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    write_text_atomically(options.out_dir + "/results.json", results.dump(1) + "\n");
  }
  write_report(results, options.out_dir);
  return results;
}

}  // namespace s2s
