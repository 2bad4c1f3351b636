#include "compare/experiment.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <numeric>
#include <iostream>

#include "bench/latency.h"
#include "compare/experiment_setup.h"
#include "compare/test_outputs.h"
#include "data/corpus.h"
#include "data/prepare.h"
#include "distributed/launcher.h"
#include "report/report.h"
#include "run/run_config.h"
#include "train/trainer.h"
#include "translate/evaluation.h"
#include "translate/translator.h"
#include "util/atomic_file.h"
#include "util/config.h"
#include "util/error.h"
#include "util/runtime.h"
#include "util/paths.h"

namespace s2s {

nlohmann::json default_experiment_config() {
  return {
      {"name", "compare"},
      {"seed", 1},
      {"seeds", nlohmann::json::array()},  // train every model once per seed: mean ± sd of every figure
      {"threads", 0},
      {"device", "cpu"},  // cpu | cuda: where every model trains, decodes and is timed
      {"nproc", 1},  // train each model data-parallel in this many local processes (c10d/Gloo)
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
      {"scaling", nullptr},  // written by `compare --train-src ...`: how the corpus size set vocabulary and batches
  };
}

namespace {

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return buffer;
}

// What the report's "Data:" line calls the corpus: the user's own files where they were given.
std::string corpus_name(const nlohmann::json& corpus, const std::string& corpus_dir) {
  if (corpus["bible"].get<bool>()) return "bible-es-en";
  const std::string train_src = corpus["train_src"].get<std::string>();
  if (train_src.empty()) return corpus_dir;
  std::string name = train_src + " + " + corpus["train_trg"].get<std::string>();
  if (!corpus["test_src"].get<std::string>().empty()) name += " (test: " + corpus["test_src"].get<std::string>() + ")";
  return name;
}

std::string minutes_text(double seconds) {
  const int total = static_cast<int>(std::lround(seconds));
  return std::to_string(total / 60) + "m" + (total % 60 < 10 ? "0" : "") + std::to_string(total % 60) + "s";
}

// Makes (or reuses) the prepared corpus the experiment names; returns its directory.
std::string ensure_corpus(const nlohmann::json& corpus, const std::string& out_dir, int threads) {
  const bool bible = corpus["bible"].get<bool>();
  const bool from_files = !corpus["train_src"].get<std::string>().empty();
  std::string dir = corpus["dir"].get<std::string>();
  if (!bible && !from_files) {
    if (dir.empty()) throw Error("experiment corpus.dir is not set (nor corpus.bible or corpus.train_src)");
    if (!path_exists(dir)) throw Error("experiment corpus.dir " + dir + " does not exist");
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
  if (entry.contains("preset_file")) config = read_json_file(entry["preset_file"].get<std::string>());
  else if (entry.contains("preset")) config = read_json_file(resolve_preset(base_dir, entry["preset"].get<std::string>()));
  config.merge_patch(experiment["shared"]);
  std::vector<std::string> overrides = {"data.dir=\"" + corpus_dir + "\""};
  const auto& budget = experiment["budget"];
  overrides.push_back("train.max_steps=" + budget["max_steps"].dump());
  overrides.push_back("train.max_minutes=" + budget["max_minutes"].dump());
  overrides.push_back("train.seed=" + experiment["seed"].dump());
  overrides.push_back("train.threads=" + experiment["threads"].dump());
  overrides.push_back("train.device=" + experiment["device"].dump());
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

// BLEU, chrF and their signature for one decoding, against the primary reference alone and,
// where there is one, against both references.
nlohmann::json score_entry(const TestSet& test, const std::vector<std::string>& hyps) {
  auto scores = score_translations(test.sources, hyps, {test.references});
  nlohmann::json entry = {{"bleu", scores["bleu"]["score"]},
                          {"chrf", scores["chrf"]["score"]},
                          {"bleu_interval", scores["bleu"]["interval"]},
                          {"chrf_interval", scores["chrf"]["interval"]},
                          {"signature", scores["bleu"]["signature"]},
                          {"chrf_signature", scores["chrf"]["signature"]},
                          {"bleu_details", scores["bleu"]},
                          {"bleu_by_length", scores["bleu_by_length"]}};
  if (!test.second_references.empty()) {
    auto both = score_translations(test.sources, hyps, test.all_references());
    entry["two_references"] = {{"bleu", both["bleu"]["score"]},
                               {"chrf", both["chrf"]["score"]},
                               {"bleu_interval", both["bleu"]["interval"]},
                               {"signature", both["bleu"]["signature"]},
                               {"chrf_signature", both["chrf"]["signature"]}};
  }
  return entry;
}

// Test-set quality, decoding speed, latency and attention of one trained model; its test
// translations are saved to outputs_dir.
nlohmann::json evaluate_model(const std::string& run_dir, const std::string& name, const nlohmann::json& experiment,
                              const TestSet& test, const std::string& outputs_dir) {
  auto bundle = load_model_bundle(run_dir, "best", resolve_device(experiment["device"].get<std::string>()));
  const std::vector<std::string>& sources = test.sources;
  nlohmann::json result_test;
  for (int beam : {1, experiment["test"]["beam"].get<int>()}) {
    if (beam == 1 && result_test.contains("greedy")) continue;
    TranslationOptions options;
    options.search.beam = beam;
    options.batch_tokens = experiment["test"]["batch_tokens"];
    auto start = std::chrono::steady_clock::now();
    auto hyps = Translator(bundle, options).translate_text(sources);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    write_text_atomically(output_path(outputs_dir, name, beam), [&] {
      std::string text;
      for (const auto& h : hyps) text += h + "\n";
      return text;
    }());
    nlohmann::json entry = score_entry(test, hyps);
    entry["beam_size"] = beam;
    entry["sentences"] = sources.size();
    entry["seconds"] = seconds;
    entry["sentences_per_second"] = seconds > 0 ? sources.size() / seconds : 0.0;
    entry["output_file"] = output_path(outputs_dir, name, beam);
    if (beam == 1) result_test["bleu_by_length"] = entry["bleu_by_length"];
    entry.erase("bleu_by_length");
    result_test[beam == 1 ? "greedy" : "beam"] = entry;
    std::cerr << "  test " << (beam == 1 ? "greedy" : "beam " + std::to_string(beam)) << ": BLEU "
              << entry["bleu"].get<double>() << ", chrF " << entry["chrf"].get<double>() << " (" << sources.size()
              << " sentences, " << seconds << " s)\n";
  }
  nlohmann::json test_json = result_test;
  LatencyOptions latency;
  latency.lengths = experiment["latency"]["lengths"].get<std::vector<int64_t>>();
  latency.batch_size = experiment["latency"]["batch_size"];
  latency.repeats = experiment["latency"]["repeats"];
  nlohmann::json result = {{"test", test_json},
                           {"latency", measure_latency(*bundle.model, bundle.tokenizers.source->vocab_size(),
                                                       bundle.tokenizers.target->vocab_size(), latency)},
                           {"attention_examples", attention_examples(bundle, sources, experiment["attention_examples"])}};
  return result;
}

// The lowest and highest training throughput over the logged windows, the first window (warm-up)
// left out; a wide spread means the machine was busy with something else.
nlohmann::json throughput_spread(const std::string& metrics_path) {
  std::vector<double> rates;
  if (path_exists(metrics_path)) {
    for (const auto& line : read_lines(metrics_path)) {
      auto record = nlohmann::json::parse(line, nullptr, false);
      if (record.is_discarded() || record.value("type", "") != "train" || !record.contains("tokens_per_second")) continue;
      rates.push_back(record["tokens_per_second"].get<double>());
    }
  }
  if (rates.size() < 3) return nullptr;
  const auto [low, high] = std::minmax_element(rates.begin() + 1, rates.end());
  return {{"min", *low}, {"max", *high}, {"windows", rates.size() - 1}, {"ratio", *low > 0 ? *high / *low : 0.0}};
}

nlohmann::json read_curve(const std::string& metrics_path) {
  nlohmann::json curve = nlohmann::json::array();
  if (!path_exists(metrics_path)) return curve;
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

// The seeds every model is trained with: "seeds" when given, else the single "seed".
std::vector<int64_t> experiment_seeds(const nlohmann::json& experiment) {
  if (!experiment.contains("seeds")) return {experiment["seed"].get<int64_t>()};
  std::vector<int64_t> seeds;
  if (!experiment["seeds"].is_array()) throw Error("experiment key seeds must be a list of integers");
  for (const auto& seed : experiment["seeds"]) {
    if (!seed.is_number_integer()) throw Error("experiment key seeds must be a list of integers, got " + seed.dump());
    if (std::find(seeds.begin(), seeds.end(), seed.get<int64_t>()) != seeds.end())
      throw Error("experiment key seeds lists " + seed.dump() + " twice");
    seeds.push_back(seed.get<int64_t>());
  }
  if (seeds.empty()) seeds.push_back(experiment["seed"].get<int64_t>());
  return seeds;
}

// `s2s train --nproc N` on the resolved config (written to a temporary file for the workers).
nlohmann::json train_in_local_workers(const nlohmann::json& config, const std::string& run_dir, int nproc) {
  char pattern[] = "/tmp/s2s-launch-XXXXXX.json";
  const int fd = ::mkstemps(pattern, 5);
  if (fd < 0) throw Error(std::string("cannot write a temporary config for the workers: ") + std::strerror(errno));
  ::close(fd);
  const std::string config_path = pattern;
  write_text_atomically(config_path, config.dump(2) + "\n");
  LocalLaunch launch;
  launch.nproc = nproc;
  launch.threads_per_worker = threads_per_worker(config["train"]["threads"].get<int>(), nproc);
  launch.timeout_seconds = config["train"]["distributed_timeout_seconds"].get<double>();
  launch.arguments = {"train", "--config", config_path, "--out", run_dir,
                      "--set", "train.threads=" + std::to_string(launch.threads_per_worker)};
  if (path_exists(run_dir + "/checkpoint_last.pt")) launch.arguments.push_back("--resume");
  std::cerr << "  training in " << nproc << " processes (data parallel)\n";
  const int code = launch_local_workers(launch);
  std::remove(config_path.c_str());
  if (code != 0) throw Error("data-parallel training of " + run_dir + " failed (the workers' messages above say why)");
  return read_json_file(run_dir + "/summary.json");
}

// Trains (or reuses) one model with one seed and evaluates it; returns its entry of results["models"].
nlohmann::json train_and_evaluate(const nlohmann::json& experiment, const nlohmann::json& entry, int64_t seed,
                                  const std::string& run_dir, const std::string& output_name,
                                  const std::string& base_dir, const std::string& corpus_dir, const TestSet& test,
                                  const std::string& outputs_dir) {
  nlohmann::json seeded = experiment;
  seeded["seed"] = seed;
  nlohmann::json config = model_config(seeded, entry, base_dir, corpus_dir);

  // Finished models are not retrained: an interrupted experiment resumes.
  nlohmann::json summary;
  const std::string summary_path = run_dir + "/summary.json";
  if (path_exists(summary_path) && read_json_file(summary_path).value("stopped_because", "") != "interrupted") {
    summary = read_json_file(summary_path);
    std::cerr << "  already trained (" << summary["steps"] << " steps); reusing\n";
  } else if (experiment["nproc"].get<int>() > 1) {
    summary = train_in_local_workers(config, run_dir, experiment["nproc"].get<int>());
    if (summary["stopped_because"] == "interrupted") throw Error("interrupted; run the same command again to resume");
  } else {
    TrainOptions train;
    train.config = config;
    train.run_dir = run_dir;
    train.resume = path_exists(run_dir + "/checkpoint_last.pt");
    summary = train_model(train).to_json();
    if (summary["stopped_because"] == "interrupted") throw Error("interrupted; run the same command again to resume");
  }
  const std::string evaluation_path = run_dir + "/evaluation.json";
  nlohmann::json evaluation;
  const int beam = experiment["test"]["beam"].get<int>();
  if (path_exists(evaluation_path)) evaluation = read_json_file(evaluation_path);
  // A cached evaluation counts only if it scored this test set and its outputs are still there.
  const bool cached = evaluation.is_object() &&
                      evaluation.value("/test/greedy/sentences"_json_pointer, size_t{0}) == test.sources.size() &&
                      evaluation.contains("/test/greedy/two_references"_json_pointer) == !test.second_references.empty() &&
                      path_exists(output_path(outputs_dir, output_name, 1)) &&
                      path_exists(output_path(outputs_dir, output_name, beam));
  if (!cached) {
    evaluation = evaluate_model(run_dir, output_name, experiment, test, outputs_dir);
    write_text_atomically(evaluation_path, evaluation.dump() + "\n");
  }
  auto bundle_config = read_json_file(run_dir + "/config.json");
  auto model = build_model(bundle_config["model"], 8, 8);  // only for the description
  nlohmann::json model_result = {
      {"seed", seed},
      {"architecture", bundle_config["model"]["architecture"]},
      {"attention", bundle_config["model"].value("attention", "multi-head")},
      {"description", model->describe()},
      {"parameters", summary["parameters"]},
      {"training",
       {{"steps", summary["steps"]},
        {"precision", summary.value("precision", "fp32")},
        {"wall_seconds", summary["train_seconds"]},
        {"target_tokens_per_second", summary["target_tokens_per_second"]},
        {"final_train_loss", summary["final_train_loss"]},
        {"stopped_because", summary["stopped_because"]},
        {"throughput_spread", throughput_spread(run_dir + "/metrics.jsonl")},
        {"curve", read_curve(run_dir + "/metrics.jsonl")}}},
      {"config", bundle_config}};
  for (const auto& key : {"test", "latency", "attention_examples"}) model_result[key] = evaluation[key];
  return model_result;
}

// Mean and sample standard deviation across seeds of every headline figure. The model's other
// entries (curves, latency, attention, the significance tests) are those of the first seed.
nlohmann::json across_seeds(const std::vector<int64_t>& seeds, const std::vector<nlohmann::json>& runs) {
  nlohmann::json figures = nlohmann::json::object();
  for (const char* path : {"/test/greedy/bleu", "/test/beam/bleu", "/test/greedy/chrf", "/test/beam/chrf",
                           "/training/steps", "/training/target_tokens_per_second", "/training/final_train_loss",
                           "/test/greedy/sentences_per_second", "/test/beam/sentences_per_second"}) {
    std::vector<double> values;
    const nlohmann::json::json_pointer pointer(path);
    for (const auto& run : runs)
      if (run.contains(pointer) && run[pointer].is_number()) values.push_back(run[pointer].get<double>());
    if (values.size() != runs.size()) continue;
    const double mean = std::accumulate(values.begin(), values.end(), 0.0) / values.size();
    double squares = 0;
    for (double v : values) squares += (v - mean) * (v - mean);
    const double sd = values.size() > 1 ? std::sqrt(squares / (values.size() - 1)) : 0.0;
    figures[std::string(path).substr(1)] = {{"mean", mean}, {"sd", sd}, {"values", values}};
  }
  return {{"seeds", seeds}, {"n", seeds.size()}, {"figures", figures}};
}

}  // namespace

nlohmann::json resolved_experiment(const CompareOptions& options) {
  const bool from_file = options.experiment.is_null();
  nlohmann::json experiment = merge_checked(default_experiment_config(),
                                            from_file ? read_json_file(options.config_path) : options.experiment, "");
  for (const auto& o : options.overrides) apply_override(experiment, o);
  if (!experiment["nproc"].is_number_integer() || experiment["nproc"].get<int64_t>() < 1 ||
      experiment["nproc"].get<int64_t>() > 256) {
    throw UsageError("experiment key nproc must be an integer in [1, 256], not " + experiment["nproc"].dump());
  }
  if (experiment["device"] != "cpu" && experiment["device"] != "cuda") {
    throw UsageError("experiment key device must be \"cpu\" or \"cuda\", not " + experiment["device"].dump());
  }
  resolve_device(experiment["device"].get<std::string>());  // CUDA asked for but absent: refused before any output
  const std::string base_dir = from_file ? directory_of(options.config_path) : std::string();
  for (auto& entry : experiment["models"])
    if (entry.is_object() && entry.contains("preset") && entry["preset"].is_string())
      entry["preset_file"] = resolve_preset(base_dir, entry["preset"].get<std::string>());
  return experiment;
}

nlohmann::json run_comparison(const CompareOptions& options) {
  const bool from_file = options.experiment.is_null();
  const std::string source = from_file ? options.config_path : std::string("the generated experiment");
  nlohmann::json experiment = resolved_experiment(options);
  if (experiment["models"].empty()) throw Error(source + ": the experiment lists no models");
  // Presets resolve against the experiment's folder first (none for a generated experiment).
  const std::string base_dir = from_file ? directory_of(options.config_path) : std::string();
  const auto wall_start = std::chrono::steady_clock::now();

  std::error_code error;
  std::filesystem::create_directories(options.out_dir + "/models", error);
  if (error) throw Error("cannot create " + options.out_dir + ": " + error.message());
  const int threads = configure_threads(experiment["threads"].get<int>());
  const torch::Device device = resolve_device(experiment["device"].get<std::string>());
  print_startup_banner(device);
  const std::string corpus_dir = ensure_corpus(experiment["corpus"], options.out_dir, threads);
  const TestSet test = read_test_set(corpus_dir, experiment["test"]["max_sentences"].get<size_t>());
  const std::string outputs_dir = options.out_dir + "/outputs";
  save_test_set(outputs_dir, test);

  nlohmann::json results = {{"s2s_version", S2S_VERSION},
                            {"command", options.command_line},
                            {"started_at", utc_now()},
                            {"seed", experiment["seed"]},
                            {"seeds", experiment_seeds(experiment)},
                            {"machine", describe_machine(device)},
                            {"budget", experiment["budget"]},
                            {"config", experiment},
                            {"models", nlohmann::json::array()}};
  nlohmann::json corpus_stats = path_exists(corpus_dir + "/stats.json") ? read_json_file(corpus_dir + "/stats.json") : nlohmann::json();
  results["corpus"] = {{"name", corpus_name(experiment["corpus"], corpus_dir)},
                       {"dir", corpus_dir},
                       {"train_pairs", read_lines(corpus_dir + "/train.src").size()},
                       {"dev_pairs", read_lines(corpus_dir + "/dev.src").size()},
                       {"test_pairs", read_lines(corpus_dir + "/test.src").size()},
                       {"stats", corpus_stats}};
  results["test_set"] = test.describe();
  std::vector<std::string> model_names;

  const size_t runs_total = experiment["models"].size() * experiment_seeds(experiment).size();
  size_t runs_done = 0;
  const auto models_start = std::chrono::steady_clock::now();
  for (const auto& entry : experiment["models"]) {
    if (!entry.contains("name")) throw Error(source + ": every entry of models needs a name");
    const std::string name = entry["name"];
    const std::vector<int64_t> seeds = experiment_seeds(experiment);
    std::vector<nlohmann::json> per_seed;
    for (size_t k = 0; k < seeds.size(); ++k) {
      // One seed keeps the plain layout (models/NAME, outputs/NAME.*); more get one run each.
      const bool plain = seeds.size() == 1;
      const std::string suffix = plain ? "" : "/seed-" + std::to_string(seeds[k]);
      const std::string output_name = k == 0 ? name : name + ".seed-" + std::to_string(seeds[k]);
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - models_start).count();
      std::cerr << "\n== " << name << (plain ? "" : " (seed " + std::to_string(seeds[k]) + ")") << " == run "
                << runs_done + 1 << " of " << runs_total << ", " << minutes_text(elapsed) << " elapsed";
      if (runs_done > 0)
        std::cerr << ", about " << minutes_text(elapsed / runs_done * (runs_total - runs_done)) << " to go";
      std::cerr << "\n";
      per_seed.push_back(train_and_evaluate(experiment, entry, seeds[k], options.out_dir + "/models/" + name + suffix,
                                            output_name, base_dir, corpus_dir, test, outputs_dir));
      ++runs_done;
    }
    nlohmann::json model_result = per_seed.front();
    model_result["name"] = name;
    model_result["preset"] = entry.value("preset", "");
    if (seeds.size() > 1) model_result["seeds"] = across_seeds(seeds, per_seed);
    results["models"].push_back(model_result);
    model_names.push_back(name);
    results["wall_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    write_text_atomically(options.out_dir + "/results.json", results.dump(1) + "\n");
  }
  if (model_names.size() >= 2)
    results["significance"] = pairwise_significance(model_names, outputs_dir, test, experiment["test"]["beam"].get<int>());
  results["examples"] = side_by_side_examples(model_names, outputs_dir, test);
  results["outputs_dir"] = outputs_dir;
  results["wall_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  write_text_atomically(options.out_dir + "/results.json", results.dump(1) + "\n");
  write_report(results, options.out_dir);
  return results;
}

}  // namespace s2s
