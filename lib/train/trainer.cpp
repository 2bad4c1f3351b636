#include "train/trainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <cmath>
#include <csignal>
#include <fstream>
#include <iomanip>
#include <limits>
#include <iostream>
#include <sstream>

#include "data/dataset.h"
#include "data/subword_sampling.h"
#include "distributed/data_parallel.h"
#include "models/seq2seq.h"
#include "run/checkpoint.h"
#include "run/checkpoint_average.h"
#include "run/run_config.h"
#include "train/ema.h"
#include "train/gradients.h"
#include "train/loss.h"
#include "train/precision.h"
#include "train/schedule.h"
#include "train/validation.h"
#include "translate/translator.h"
#include "util/atomic_file.h"
#include "util/config.h"
#include "util/error.h"
#include "util/fault_injection.h"
#include "util/fingerprint.h"
#include "util/memory_reuse.h"
#include "util/paths.h"
#include "util/runtime.h"

namespace s2s {

nlohmann::json TrainSummary::to_json() const {
  return {{"steps", steps},
          {"epochs_completed", epochs_completed},
          {"train_seconds", train_seconds},
          {"wall_seconds", wall_seconds},
          {"target_tokens", target_tokens},
          {"target_tokens_per_second", train_seconds > 0 ? target_tokens / train_seconds : 0.0},
          {"final_train_loss", final_train_loss},
          {"best_metric", best_metric},
          {"stopped_because", stopped_because},
          {"parameters", parameters},
          {"precision", precision},
          {"peak_resident_mib", peak_resident_mib}};
}

namespace {

std::atomic<bool> stop_requested{false};
extern "C" void request_stop(int) { stop_requested = true; }

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string format_duration(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds);
  std::ostringstream out;
  out << std::setfill('0') << std::setw(2) << s / 3600 << ":" << std::setw(2) << (s / 60) % 60 << ":" << std::setw(2)
      << s % 60;
  return out.str();
}

// The trainer's own position, saved in every checkpoint.
struct Progress {
  int64_t step = 0;
  int64_t epoch = 0;
  int64_t batch_in_epoch = 0;  // batches of the current epoch already consumed
  double train_seconds = 0.0;
  double wall_seconds = 0.0;
  int64_t target_tokens = 0;
  double best_metric = -std::numeric_limits<double>::infinity();
  int64_t bad_evaluations = 0;
  int64_t best_step = -1;       // the step checkpoint_best.pt holds (-1: none yet)
  int64_t last_eval_step = -1;  // the step of the latest evaluation
  nlohmann::json to_json() const {
    return {{"step", step}, {"epoch", epoch}, {"batch_in_epoch", batch_in_epoch}, {"train_seconds", train_seconds},
            {"wall_seconds", wall_seconds}, {"target_tokens", target_tokens},
            {"best_metric", std::isfinite(best_metric) ? nlohmann::json(best_metric) : nlohmann::json()},
            {"bad_evaluations", bad_evaluations}, {"best_step", best_step}, {"last_eval_step", last_eval_step}};
  }
  void from_json(const nlohmann::json& j) {
    step = j.at("step");
    epoch = j.at("epoch");
    batch_in_epoch = j.at("batch_in_epoch");
    train_seconds = j.at("train_seconds");
    wall_seconds = j.at("wall_seconds");
    target_tokens = j.at("target_tokens");
    best_metric = j.at("best_metric").is_null() ? -std::numeric_limits<double>::infinity() : j.at("best_metric").get<double>();
    bad_evaluations = j.at("bad_evaluations");
    best_step = j.value("best_step", int64_t{-1});
    last_eval_step = j.value("last_eval_step", int64_t{-1});
  }
};

// The training steps since the last progress line.
struct LogWindow {
  double loss = 0.0;  // summed per-step losses
  double train_seconds = 0.0, communication_seconds = 0.0;
  int64_t steps = 0, tokens = 0;
};

class Trainer {
 public:
  // `parallel`: this rank's link to the others (null: a single process).
  Trainer(const TrainOptions& options, DataParallel* parallel);
  TrainSummary run();

 private:
  void load_data();
  // Loads the weights of options_.init_from after checking its model and tokenizer.
  void initialize_from_run();
  // Replaces the training ids with this epoch's sampled segmentations (data.sample_alpha).
  void resample_training_data(int64_t epoch);
  void save(const std::string& name);
  // The weights (and trainer state) alone: kept checkpoints and the moving average.
  void save_weights(const std::string& name, torch::nn::Module& weights);
  // Writes this evaluation's kept checkpoint and removes those beyond train.keep_last.
  void keep_checkpoint();
  // Loads checkpoint_last.pt into the model, optimizer and progress (nothing on disk changes).
  void resume();
  // train.precision auto: bf16 when a training pass of this model on a real batch measures at
  // least kAutoStepSpeedup times faster in bf16 than in fp32 here (every rank must find so);
  // a resumed run keeps the precision its checkpoint recorded.
  void choose_automatic_precision(const std::string& matmul_measurement);
  // Seconds of the fastest of `repeats` timed forward + backward passes over `indices`
  // (after one untimed pass); the gradients are cleared and the random stream restored after.
  double time_training_pass(Precision precision, const std::vector<int64_t>& indices, int repeats);
  BatchingOptions batching_options() const;
  // Refuses a resumed config whose model or data differ from the run's config.json.
  void check_resumed_config() const;
  // After every check passed: the run directory made or brought in line with the resumed step.
  void prepare_run_directory();
  void repair_best_checkpoint();
  // Forward + backward over one optimizer step's batches: the loss per target
  // token, and whether fp16 gradients overflowed (the step must be skipped).
  struct StepLoss {
    double loss = 0.0;
    bool overflowed = false;
  };
  StepLoss accumulate_gradients(const std::vector<std::vector<int64_t>>& group);
  // The single place where gradients become a parameter update (and where a
  // data-parallel all-reduce will go).
  void apply_gradients(double learning_rate);
  // Dev loss and BLEU of the model (and of its moving average), as one metrics record.
  nlohmann::json evaluate();
  // Evaluates, updates best / patience / the plateau schedule, writes the checkpoints (rank 0).
  void evaluate_and_checkpoint();
  // One epoch's batches (from progress_.batch_in_epoch on); returns why training stops, or "".
  std::string train_epoch();
  // One optimizer step over the next accumulate × world_size batches; returns why training stops, or "".
  std::string train_step(const std::vector<std::vector<int64_t>>& batches);
  // "max_steps" or "max_minutes" once that budget is spent, else "".
  std::string step_budget_spent() const;
  // The progress line and metrics record of the steps since the last one.
  void log_window();
  // The last checkpoint or evaluation, summary.json, and the ranks' farewell.
  void finish(const std::string& stop_reason);
  void log_metrics(const nlohmann::json& record);
  void set_learning_rate(double lr);
  // Data parallel: every rank starts from rank 0's weights.
  void share_initial_weights();
  // Data parallel: dropout differs between ranks yet depends only on (seed, step, rank),
  // so a run resumed with any world size draws the same masks.
  void seed_step_randomness();

  TrainOptions options_;
  DataParallel* parallel_ = nullptr;
  bool main_ = true;     // rank 0 (or the only process): evaluates, logs, writes the run directory
  int64_t evaluations_ = 0;
  const nlohmann::json& cfg_;      // the resolved config, as written to config.json (its model section builds the model)
  const TrainSettings settings_;   // the data, train and eval sections, typed
  torch::Device device_{torch::kCPU};
  Precision precision_ = Precision::fp32;  // train.precision: the forward pass's autocast
  std::string resumed_precision_;          // the precision the resumed checkpoint trained in
  GradientScaler scaler_{false};          // fp16 only: dynamic loss scaling
  CorpusTokenizers tokenizers_;
  EncodedSplit train_;
  DevSet dev_;
  ModelPtr model_;
  ModelPtr ema_model_;  // the moving average of model_'s weights (train.ema_decay > 0)
  std::unique_ptr<SubwordSampler> sampler_;
  int64_t sampled_epoch_ = -1;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::unique_ptr<LearningRateSchedule> schedule_;
  Progress progress_;
  std::string metrics_path_;
  // What run() accumulates.
  TrainSummary summary_;
  Clock::time_point wall_start_;   // wall clock of the whole run, resumed runs included
  bool evaluated_at_end_ = false;  // the latest step has been evaluated
  LogWindow window_;
};

Trainer::Trainer(const TrainOptions& options, DataParallel* parallel)
    : options_(options),
      parallel_(parallel),
      main_(!parallel || parallel->is_main()),
      cfg_(options_.config),
      settings_(read_train_settings(options_.config)) {
  if (!main_) options_.quiet = true;
  const auto& train = settings_.train;
  configure_threads(train.threads);
  device_ = resolve_device(train.device);
  // "auto" is settled once the model and a batch exist (choose_automatic_precision).
  std::string matmul_measurement;
  precision_ = resolve_precision(train.precision, device_, &matmul_measurement);
  scaler_ = GradientScaler(precision_ == Precision::fp16);
  torch::manual_seed(train.seed);
  if (!options_.quiet) print_startup_banner(device_);

  // Everything is checked before the run directory is created or changed.
  metrics_path_ = options_.run_dir + "/metrics.jsonl";
  check_run_directory_for_training(options_.run_dir, options_.resume);
  if (options_.resume) check_resumed_config();

  load_data();
  model_ = build_model(cfg_["model"], tokenizers_.source->vocab_size(), tokenizers_.target->vocab_size());
  if (!options_.init_from.empty() && !options_.resume) initialize_from_run();
  model_->to(device_);
  if (main_ && train.ema_decay > 0) {
    // Built without touching the random stream, so turning the average on leaves
    // the raw weights' training (initialisation, dropout) exactly as it was.
    auto generator = at::detail::getDefaultCPUGenerator();
    torch::Tensor random_state;
    {
      std::lock_guard<std::mutex> lock(generator.mutex());
      random_state = generator.get_state();
    }
    ema_model_ = build_model(cfg_["model"], tokenizers_.source->vocab_size(), tokenizers_.target->vocab_size());
    {
      std::lock_guard<std::mutex> lock(generator.mutex());
      generator.set_state(random_state);
    }
    ema_model_->to(device_);
    for (auto& p : ema_model_->parameters()) p.set_requires_grad(false);
    copy_weights(*ema_model_, *model_);
    ema_model_->eval();
  }
  const auto& data = settings_.data;
  if (data.sample_alpha > 0) {
    SubwordSamplingOptions sampling;
    sampling.alpha = data.sample_alpha;
    sampling.nbest = data.sample_nbest;
    sampling.seed = train.seed;
    sampling.max_length = data.max_length;
    sampler_ = std::make_unique<SubwordSampler>(data.dir, train_, tokenizers_, sampling);
  }

  const double lr = train.learning_rate;
  if (train.optimizer == "adamw") {
    optimizer_ = std::make_unique<torch::optim::AdamW>(
        model_->parameters(),
        torch::optim::AdamWOptions(lr).betas({train.beta1, train.beta2}).eps(1e-9).weight_decay(train.weight_decay));
  } else {
    optimizer_ = std::make_unique<torch::optim::Adam>(
        model_->parameters(),
        torch::optim::AdamOptions(lr).betas({train.beta1, train.beta2}).eps(1e-9).weight_decay(train.weight_decay));
  }
  schedule_ = std::make_unique<LearningRateSchedule>(train.schedule, lr, train.warmup_steps, train.plateau_factor,
                                                     train.plateau_patience, train.min_learning_rate);
  // The dev translations' length limit must fit the model (a Transformer's positions).
  TranslationOptions dev_translation;
  dev_translation.search.max_length_a = settings_.eval.max_length_a;
  dev_translation.search.max_length_b = settings_.eval.max_length_b;
  try {
    source_token_limit(cfg_["model"], dev_translation);
  } catch (const UsageError&) {
    throw UsageError("config keys eval.max_length_a and eval.max_length_b allow outputs longer than model.max_positions");
  }
  if (options_.resume) resume();
  if (train.precision == "auto") choose_automatic_precision(matmul_measurement);
  if (parallel_) {
    share_initial_weights();
    // Every rank has passed every check: only now does rank 0 touch the run directory.
    parallel_->barrier("checking the config and data on every rank");
  }
  if (main_) prepare_run_directory();
}

BatchingOptions Trainer::batching_options() const {
  BatchingOptions batching;
  batching.max_tokens = settings_.data.max_tokens;
  batching.max_sentences = settings_.data.max_sentences;
  batching.seed = settings_.train.seed;
  return batching;
}

double Trainer::time_training_pass(Precision precision, const std::vector<int64_t>& indices, int repeats) {
  auto generator = at::detail::getDefaultCPUGenerator();
  torch::Tensor random_state;
  {
    std::lock_guard<std::mutex> lock(generator.mutex());
    random_state = generator.get_state();
  }
  const Batch batch = collate(train_.ids, indices);
  double fastest = std::numeric_limits<double>::infinity();
  for (int pass = 0; pass <= repeats; ++pass) {
    const auto start = Clock::now();
    LossSums sums;
    {
      AutocastScope autocast(precision, device_);
      auto encoded = model_->encode(to_device(batch.src, device_), to_device(batch.src_lengths, device_));
      auto out = model_->decode(encoded, to_device(batch.trg_in, device_));
      sums = label_smoothed_loss(out.logits, to_device(batch.trg_out, device_), settings_.train.label_smoothing);
    }
    sums.loss.backward();
    sums.loss.item<double>();  // waits for the device
    if (pass > 0) fastest = std::min(fastest, seconds_since(start));
  }
  optimizer_->zero_grad();
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(random_state);
  return fastest;
}

void Trainer::choose_automatic_precision(const std::string& matmul_measurement) {
  std::string why;
  if (!resumed_precision_.empty()) {
    precision_ = precision_from_name(resumed_precision_);
    why = "as the resumed checkpoint trained";
  } else if (precision_ == Precision::bf16) {
    // The matmul probe allows bf16; a real step decides (small models can be slower in bf16:
    // the casts around each small matmul cost more than the matmul saves).
    const auto batches = make_batches(train_.ids, batching_options(), progress_.epoch);
    if (batches.empty()) throw Error("no training batch to measure train.precision auto on");
    const double fp32 = time_training_pass(Precision::fp32, batches.front(), 2);
    const double bf16 = time_training_pass(Precision::bf16, batches.front(), 2);
    precision_ = bf16 * kAutoStepSpeedup <= fp32 ? Precision::bf16 : Precision::fp32;
    std::ostringstream text;
    text << std::fixed << std::setprecision(3) << "a training pass took " << bf16 << " s in bf16, " << fp32
         << " s in fp32; " << matmul_measurement;
    why = text.str();
  } else {
    why = matmul_measurement + ": bf16 is not fast here";
  }
  if (parallel_) {
    // Every rank trains in bf16 only if every rank found it faster.
    auto votes = torch::tensor({precision_ == Precision::bf16 ? 1.0 : 0.0}, torch::kFloat64);
    parallel_->sum({votes}, "agreeing on train.precision auto");
    precision_ = votes.item<double>() == static_cast<double>(parallel_->world_size()) ? Precision::bf16 : Precision::fp32;
  }
  if (!options_.quiet) std::cerr << "train.precision auto: " << precision_name(precision_) << " (" << why << ")\n";
}

void Trainer::share_initial_weights() {
  std::vector<torch::Tensor> tensors = model_->parameters();
  for (const auto& buffer : model_->buffers()) tensors.push_back(buffer);
  parallel_->broadcast_from_main(tensors, "sharing rank 0's initial weights");
}

void Trainer::seed_step_randomness() {
  const std::string key = std::to_string(settings_.train.seed) + "/" + std::to_string(progress_.step + 1) +
                          "/" + std::to_string(parallel_->rank());
  auto generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_current_seed(fingerprint(key));
}

void Trainer::check_resumed_config() const {
  const std::string saved_path = options_.run_dir + "/config.json";
  if (!path_exists(saved_path)) return;
  const nlohmann::json saved = read_json_file(saved_path);
  auto differs = [&](const std::string& section, const std::string& key) {
    return saved.contains(section) && saved[section].contains(key) && saved[section][key] != cfg_[section][key];
  };
  auto refuse = [&](const std::string& section, const std::string& key) {
    throw UsageError("--resume: config key " + section + "." + key + " is " + cfg_[section][key].dump() + " but " +
                     saved[section][key].dump() + " in " + saved_path +
                     "; a resumed run keeps its model and data (start a new run with another --out)");
  };
  for (auto it = cfg_["model"].begin(); it != cfg_["model"].end(); ++it) {
    if (differs("model", it.key())) refuse("model", it.key());
  }
  for (const char* key : {"dir", "max_length", "sample_alpha", "sample_nbest"}) {
    if (differs("data", key)) refuse("data", key);
  }
}

void Trainer::initialize_from_run() {
  // RUN or RUN/checkpoint_<name>.pt
  std::string run_dir = options_.init_from, checkpoint;
  if (path_exists(run_dir) && !std::filesystem::is_directory(run_dir)) {
    checkpoint = run_dir;
    run_dir = std::filesystem::path(run_dir).parent_path().string();
    if (run_dir.empty()) run_dir = ".";
  } else {
    checkpoint = run_dir + "/checkpoint_best.pt";
    if (!path_exists(checkpoint)) checkpoint = run_dir + "/checkpoint_last.pt";
  }
  const std::string saved_path = run_dir + "/config.json";
  if (!path_exists(options_.init_from)) throw UsageError("--init-from: " + options_.init_from + " does not exist");
  if (!path_exists(saved_path)) throw UsageError("--init-from: " + run_dir + " is not a training directory (no config.json)");
  if (!path_exists(checkpoint)) throw UsageError("--init-from: " + run_dir + " has no checkpoint");
  const nlohmann::json saved = read_json_file(saved_path);
  if (!saved.is_object() || !saved.contains("model") || !saved["model"].is_object()) {
    throw Error("--init-from: " + saved_path + " has no model section");
  }
  // Every model key, in both directions, so an added or missing key is named too;
  // only dropout rates, which shape no parameter, may change for fine-tuning.
  nlohmann::json keys = saved["model"];
  keys.update(cfg_["model"]);
  for (auto it = keys.begin(); it != keys.end(); ++it) {
    if (it.key().find("dropout") != std::string::npos) continue;
    const nlohmann::json ours = cfg_["model"].value(it.key(), nlohmann::json()), theirs = saved["model"].value(it.key(), nlohmann::json());
    if (ours != theirs) {
      throw UsageError("--init-from: config key model." + it.key() + " is " + ours.dump() + " here but " + theirs.dump() +
                       " in " + saved_path + "; fine-tuning keeps the model of the run it starts from");
    }
  }
  const CorpusTokenizers theirs = CorpusTokenizers::load(run_dir);
  if (theirs.source->serialized() != tokenizers_.source->serialized() ||
      theirs.target->serialized() != tokenizers_.target->serialized()) {
    throw UsageError("--init-from: the tokenizer of data.dir " + settings_.data.dir +
                     " is not the one of " + run_dir + "; prepare the new corpus with its tokenizer "
                     "(s2s prepare --tokenizer-from " + run_dir + ")");
  }
  CheckpointContents contents;
  contents.model = model_.get();
  contents.config_origin = saved_path;
  load_checkpoint(checkpoint, contents);
  if (!options_.quiet) std::cerr << "initialised the weights from " << checkpoint << "\n";
}

void Trainer::resample_training_data(int64_t epoch) {
  if (!sampler_ || sampled_epoch_ == epoch) return;
  SampledEpoch sampled = sampler_->sample(epoch);
  train_.ids = std::move(sampled.ids);
  sampled_epoch_ = epoch;
  if (!options_.quiet) {
    std::cerr << "epoch " << epoch + 1 << ": sampled subword segmentations of " << train_.ids.size() << " pairs in "
              << std::fixed << std::setprecision(1) << sampled.seconds << std::defaultfloat << " s";
    if (sampled.deterministic > 0) std::cerr << " (" << sampled.deterministic << " over data.max_length kept as encoded)";
    std::cerr << "\n";
  }
}

void Trainer::prepare_run_directory() {
  std::error_code error;
  std::filesystem::create_directories(options_.run_dir, error);
  if (error || !path_exists(options_.run_dir)) throw Error("cannot create run directory " + options_.run_dir);
  // Temporary files of writers that died (kill -9) before renaming them: "<name>.tmp.<pid>".
  for (const auto& entry : std::filesystem::directory_iterator(options_.run_dir, error)) {
    const std::string name = entry.path().filename().string();
    const auto mark = name.rfind(".tmp.");
    if (mark == std::string::npos || name.size() == mark + 5) continue;
    const std::string pid_text = name.substr(mark + 5);
    if (pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
    if (pid != ::getpid() && ::kill(pid, 0) == 0) continue;  // a live writer's
    std::filesystem::remove(entry.path(), error);
  }
  if (options_.resume) {
    // Metrics logged after the checkpoint belong to the lost future: drop them.
    if (path_exists(metrics_path_)) {
      std::ifstream in(metrics_path_);
      std::string line, kept;
      while (std::getline(in, line)) {
        auto record = nlohmann::json::parse(line, nullptr, false);
        if (!record.is_discarded() && record.value("step", int64_t{0}) <= progress_.step) kept += line + "\n";
      }
      write_text_atomically(metrics_path_, kept);
    }
    repair_best_checkpoint();
    // Kept checkpoints of evaluations after the resumed step belong to the lost future too.
    for (const auto& kept : kept_checkpoints(options_.run_dir)) {
      if (kept.step > progress_.step) std::filesystem::remove(kept.path, error);
    }
    const std::string ema_path = options_.run_dir + "/checkpoint_ema.pt";
    if (ema_model_ && path_exists(ema_path)) {
      int64_t ema_step = -1;
      try {
        ema_step = read_checkpoint_state(ema_path).value("step", int64_t{-1});
      } catch (const Error&) {
      }
      if (ema_step > progress_.step) save_weights("checkpoint_ema.pt", *ema_model_);
    }
  } else {
    // A directory without checkpoint_last.pt holds at most an attempt that died
    // before its first checkpoint: its metrics would mix with this run's.
    for (const char* name : {"/metrics.jsonl", "/summary.json", "/checkpoint_best.pt", "/checkpoint_ema.pt"}) {
      std::filesystem::remove(options_.run_dir + name, error);
    }
    for (const auto& kept : kept_checkpoints(options_.run_dir)) std::filesystem::remove(kept.path, error);
  }
  // The run directory is self-contained: config and tokenizer models beside the
  // checkpoints (a resumed run rewrites only what changed).
  auto write_if_changed = [](const std::string& path, const std::string& text) {
    if (path_exists(path) && read_text_file(path) == text) return;
    write_text_atomically(path, text);
  };
  write_if_changed(options_.run_dir + "/config.json", cfg_.dump(2) + "\n");
  if (tokenizers_.joint) {
    write_if_changed(options_.run_dir + "/spm.model", tokenizers_.source->serialized());
  } else {
    write_if_changed(options_.run_dir + "/spm.src.model", tokenizers_.source->serialized());
    write_if_changed(options_.run_dir + "/spm.trg.model", tokenizers_.target->serialized());
  }
}

// checkpoint_best.pt is written before checkpoint_last.pt, so a kill between the
// two leaves best ahead of last (rewritten with the same contents when training
// passes that step again), never behind it. What remains to repair: a best file
// lost or damaged although last records that it is itself the best.
void Trainer::repair_best_checkpoint() {
  if (progress_.best_step < 0 || progress_.best_step != progress_.step) return;
  const std::string best = options_.run_dir + "/checkpoint_best.pt";
  int64_t best_file_step = -2;
  try {
    if (path_exists(best)) best_file_step = read_checkpoint_state(best).value("step", int64_t{-2});
  } catch (const Error&) {
  }
  if (best_file_step == progress_.step) return;
  const std::string last = options_.run_dir + "/checkpoint_last.pt";
  write_text_atomically(best, read_text_file(last));
  if (!options_.quiet) std::cerr << "repaired " << best << " from " << last << " (step " << progress_.step << ")\n";
}

void Trainer::load_data() {
  const std::string& dir = settings_.data.dir;
  if (dir.empty()) throw Error("data.dir is not set: point it at a corpus directory made by s2s prepare");
  if (!path_exists(dir)) throw Error("data.dir " + dir + " does not exist");
  tokenizers_ = CorpusTokenizers::load(dir);
  train_ = load_encoded_split(dir, "train", tokenizers_, settings_.data.max_length);
  if (train_.ids.size() == 0) throw Error("no training pairs left in " + dir + "/train.* after the length filter");
  dev_ = load_dev_set(dir, tokenizers_, settings_.eval.max_sentences);
  if (!options_.quiet) {
    std::cerr << "data: " << train_.ids.size() << " training pairs (" << train_.dropped_too_long << " over "
              << settings_.data.max_length << " tokens dropped" << (train_.from_cache ? ", from cache" : "") << "), "
              << dev_.encoded.ids.size() << " dev pairs\n";
  }
}

void Trainer::set_learning_rate(double lr) {
  for (auto& group : optimizer_->param_groups()) {
    if (auto* adam = dynamic_cast<torch::optim::AdamOptions*>(&group.options())) adam->lr(lr);
    if (auto* adamw = dynamic_cast<torch::optim::AdamWOptions*>(&group.options())) adamw->lr(lr);
  }
}

void Trainer::save(const std::string& name) {
  nlohmann::json state = progress_.to_json();
  state["schedule"] = schedule_->state();
  if (scaler_.enabled()) state["gradient_scaler"] = scaler_.state();
  state["precision"] = precision_name(precision_);
  state["model_description"] = model_->describe();
  CheckpointContents contents;
  contents.model = model_.get();
  contents.optimizer = optimizer_.get();
  contents.ema_model = ema_model_.get();
  contents.trainer_state = state;
  {
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    contents.rng_state = generator.get_state();
  }
  save_checkpoint(options_.run_dir + "/" + name, contents);
}

void Trainer::save_weights(const std::string& name, torch::nn::Module& weights) {
  nlohmann::json state = progress_.to_json();
  state["model_description"] = model_->describe();
  CheckpointContents contents;
  contents.model = &weights;
  contents.trainer_state = state;
  save_checkpoint(options_.run_dir + "/" + name, contents);
}

void Trainer::keep_checkpoint() {
  const int64_t keep = settings_.train.keep_last;
  if (keep <= 0) return;
  save_weights(kept_checkpoint_name(progress_.step), *model_);
  auto kept = kept_checkpoints(options_.run_dir);
  std::error_code error;
  for (size_t i = 0; i + keep < kept.size(); ++i) std::filesystem::remove(kept[i].path, error);
}

void Trainer::resume() {
  CheckpointContents contents;
  contents.model = model_.get();
  contents.optimizer = optimizer_.get();
  contents.ema_model = ema_model_.get();
  contents.config_origin = "the resumed config";
  load_checkpoint(options_.run_dir + "/checkpoint_last.pt", contents);
  progress_.from_json(contents.trainer_state);
  resumed_precision_ = contents.trainer_state.value("precision", std::string());
  schedule_->restore(contents.trainer_state.at("schedule"));
  scaler_.restore(contents.trainer_state.value("gradient_scaler", nlohmann::json()));
  if (ema_model_ && !contents.ema_loaded) {
    copy_weights(*ema_model_, *model_);
    if (!options_.quiet) std::cerr << "the resumed checkpoint has no moving average; it starts from the current weights\n";
  }
  if (contents.rng_state.defined()) {
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(contents.rng_state);
  }
  if (!options_.quiet) std::cerr << "resumed from step " << progress_.step << " (epoch " << progress_.epoch + 1 << ")\n";
}

Trainer::StepLoss Trainer::accumulate_gradients(const std::vector<std::vector<int64_t>>& group) {
  int64_t tokens = 0;
  for (const auto& indices : group) {
    for (int64_t i : indices) tokens += static_cast<int64_t>(train_.ids.target[i].size()) + 1;
  }
  // The loss is normalised by the step's target tokens over every rank, so N
  // ranks with their shares train exactly like one process with all of them.
  double step_tokens = static_cast<double>(tokens);
  if (parallel_) {
    seed_step_randomness();
    auto count = torch::tensor({step_tokens}, torch::kFloat64);
    parallel_->sum({count}, "counting the step's target tokens");
    step_tokens = count.item<double>();
  }
  torch::Tensor total = torch::zeros({}, torch::TensorOptions().device(device_));
  for (const auto& indices : group) {
    Batch batch = collate(train_.ids, indices);
    LossSums sums;
    {
      AutocastScope autocast(precision_, device_);
      auto encoded = model_->encode(to_device(batch.src, device_), to_device(batch.src_lengths, device_));
      auto out = model_->decode(encoded, to_device(batch.trg_in, device_));
      sums = label_smoothed_loss(out.logits, to_device(batch.trg_out, device_), settings_.train.label_smoothing);
    }
    scaler_.scale_loss(sums.loss / step_tokens).backward();
    total += sums.loss.detach();
  }
  progress_.target_tokens += static_cast<int64_t>(step_tokens);
  if (parallel_) parallel_->sum_gradients(model_->parameters());
  // The step's one host read: the loss, and (fp16) the overflow flag of the
  // gradients, which every rank sees alike after the all-reduce.
  torch::Tensor overflowed = scaler_.enabled() ? scaler_.unscale_gradients(model_->parameters())
                                               : torch::zeros({}, torch::TensorOptions().device(device_).dtype(torch::kBool));
  auto read = torch::stack({total.to(torch::kFloat64), overflowed.to(total.device(), torch::kFloat64)}).to(torch::kCPU);  // (2)
  if (parallel_) {
    auto loss = read.slice(0, 0, 1).clone();
    parallel_->sum({loss}, "summing the step's loss");
    read[0] = loss[0];
  }
  auto values = read.accessor<double, 1>();
  return {values[0] / step_tokens, values[1] > 0};
}

void Trainer::apply_gradients(double learning_rate) {
  const double clip = settings_.train.clip_norm;
  if (clip > 0) clip_gradient_norm(model_->parameters(), clip);
  set_learning_rate(learning_rate);
  optimizer_->step();
  optimizer_->zero_grad();
  if (ema_model_) {
    ema_update(*ema_model_, *model_, ema_decay_at(settings_.train.ema_decay, progress_.step + 1));
  }
}

nlohmann::json Trainer::evaluate() {
  torch::NoGradGuard no_grad;
  model_->eval();
  nlohmann::json result = {{"type", "eval"}, {"step", progress_.step}};
  validate(model_, dev_, cfg_, settings_, tokenizers_, device_, "", result);
  if (ema_model_) validate(ema_model_, dev_, cfg_, settings_, tokenizers_, device_, "_ema", result);
  model_->train();
  return result;
}

void Trainer::log_metrics(const nlohmann::json& record) {
  if (!main_) return;
  std::ofstream out(metrics_path_, std::ios::app);
  out << record.dump() << "\n";
  if (!out) throw Error("cannot append to " + metrics_path_);
}

std::string Trainer::step_budget_spent() const {
  const auto& train = settings_.train;
  if (train.max_steps > 0 && progress_.step >= train.max_steps) return "max_steps";
  if (train.max_minutes > 0 && progress_.train_seconds >= train.max_minutes * 60.0) return "max_minutes";
  return "";
}

void Trainer::evaluate_and_checkpoint() {
  // Rank 0 evaluates; the others wait for its metric and keep the same books
  // (best, patience, plateau schedule), so every rank takes the same decisions.
  nlohmann::json record;
  double metric = 0.0;
  const std::string evaluation_key = "evaluation/" + std::to_string(++evaluations_);
  if (main_) {
    record = evaluate();
    record["seconds"] = progress_.train_seconds;
    record["wall_seconds"] = seconds_since(wall_start_);
    const bool metric_is_bleu = settings_.eval.metric == "bleu" && settings_.eval.bleu;
    metric = metric_is_bleu && record.contains("dev_bleu") ? record["dev_bleu"].get<double>()
                                                           : -record.value("dev_loss", 0.0);
  } else {
    metric = std::strtod(parallel_->receive(evaluation_key).c_str(), nullptr);
  }
  schedule_->observe(metric);
  const bool improved = metric > progress_.best_metric;
  if (improved) {
    progress_.best_metric = metric;
    progress_.bad_evaluations = 0;
    progress_.best_step = progress_.step;
  } else {
    ++progress_.bad_evaluations;
  }
  progress_.last_eval_step = progress_.step;
  progress_.wall_seconds = seconds_since(wall_start_);
  evaluated_at_end_ = true;
  if (!main_) return;
  log_metrics(record);
  // Best before last: a kill between the two leaves best ahead of last, never stale.
  if (improved) save("checkpoint_best.pt");
  fault_point("between_checkpoints");
  keep_checkpoint();
  if (ema_model_) save_weights("checkpoint_ema.pt", *ema_model_);
  save("checkpoint_last.pt");
  if (!options_.quiet) {
    std::cerr << "eval step " << progress_.step << " | dev loss " << std::fixed << std::setprecision(3)
              << record.value("dev_loss", 0.0);
    if (record.contains("dev_bleu")) std::cerr << " | dev BLEU " << std::setprecision(2) << record["dev_bleu"].get<double>();
    if (record.contains("dev_bleu_ema")) std::cerr << " (EMA " << record["dev_bleu_ema"].get<double>() << ")";
    else if (record.contains("dev_loss_ema")) std::cerr << " (EMA loss " << std::setprecision(3) << record["dev_loss_ema"].get<double>() << ")";
    std::cerr << (improved ? " | best so far" : "") << "\n" << std::defaultfloat;
  }
  if (parallel_) {
    std::ostringstream text;
    text << std::setprecision(17) << metric;
    parallel_->publish(evaluation_key, text.str());
  }
}

void Trainer::log_window() {
  const auto& train = settings_.train;
  const double tokens_per_second = window_.train_seconds > 0 ? window_.tokens / window_.train_seconds : 0.0;
  nlohmann::json record = {{"type", "train"},
                           {"step", progress_.step},
                           {"epoch", progress_.epoch + 1},
                           {"seconds", progress_.train_seconds},
                           {"loss", window_.loss / window_.steps},
                           {"lr", schedule_->rate(progress_.step)},
                           {"tokens_per_second", tokens_per_second}};
  if (parallel_) {
    record["world_size"] = parallel_->world_size();
    record["communication_seconds_per_step"] = window_.communication_seconds / window_.steps;
  }
  log_metrics(record);
  if (!options_.quiet) {
    const double max_seconds = train.max_minutes * 60.0;
    std::string eta = "?";
    if (train.max_steps > 0) eta = format_duration(progress_.train_seconds / progress_.step * (train.max_steps - progress_.step));
    if (max_seconds > 0) eta = format_duration(std::max(0.0, max_seconds - progress_.train_seconds));
    std::cerr << "step " << progress_.step << " | epoch " << progress_.epoch + 1 << " | loss " << std::fixed
              << std::setprecision(3) << window_.loss / window_.steps << " | lr " << std::scientific
              << std::setprecision(2) << schedule_->rate(progress_.step) << std::defaultfloat << " | "
              << static_cast<int64_t>(tokens_per_second) << " tok/s | " << format_duration(progress_.train_seconds)
              << " | ETA " << eta << "\n";
  }
  window_ = LogWindow{};
}

std::string Trainer::train_step(const std::vector<std::vector<int64_t>>& batches) {
  const auto& train = settings_.train;
  const int64_t world_size = parallel_ ? parallel_->world_size() : 1, rank = parallel_ ? parallel_->rank() : 0;
  // A global step takes accumulate × world_size batches of the epoch; rank r
  // trains on the r-th run of `accumulate` of them (the last step of an epoch
  // may leave a rank none: it adds zeros).
  const int64_t begin = progress_.batch_in_epoch;
  const int64_t end = std::min<int64_t>(begin + train.accumulate * world_size, batches.size());
  const int64_t mine = std::min<int64_t>(begin + train.accumulate * rank, end);
  std::vector<std::vector<int64_t>> group(batches.begin() + mine,
                                          batches.begin() + std::min<int64_t>(mine + train.accumulate, end));
  const auto step_start = Clock::now();
  const int64_t tokens_before = progress_.target_tokens;
  const StepLoss step_loss = accumulate_gradients(group);
  const double loss = step_loss.loss;
  progress_.batch_in_epoch = end;
  if (step_loss.overflowed && std::isfinite(loss)) {
    // fp16: the gradients overflowed at this loss scale; the step is skipped and the scale halves.
    optimizer_->zero_grad();
    scaler_.update(true);
    if (main_ && !options_.quiet) {
      std::cerr << "skipped step " << progress_.step + 1 << ": fp16 gradients overflowed; loss scale now " << scaler_.scale()
                << "\n";
    }
    return "";
  }
  if (!std::isfinite(loss)) {
    optimizer_->zero_grad();
    if (train.nonfinite_loss != "skip") {
      if (main_) std::cerr << "s2s: error: the loss became " << loss << " at step " << progress_.step + 1
                << "; stopping (set train.nonfinite_loss=skip to skip such steps)\n";
      return "nonfinite_loss";
    }
    if (main_) std::cerr << "s2s: warning: skipped step " << progress_.step + 1 << ": loss is " << loss << "\n";
    return "";
  }
  apply_gradients(schedule_->rate(progress_.step + 1));
  scaler_.update(false);
  progress_.step += 1;
  double step_seconds = seconds_since(step_start);
  bool interrupt = stop_requested;
  if (parallel_) {
    // Rank 0's clock is the run's (train.max_minutes ends every rank at the same step),
    // and a stop asked of any rank stops them all.
    auto agreed = torch::tensor({main_ ? step_seconds : 0.0, stop_requested ? 1.0 : 0.0}, torch::kFloat64);
    parallel_->sum({agreed}, "agreeing on the step's time and stop requests");
    step_seconds = agreed[0].item<double>();
    interrupt = agreed[1].item<double>() > 0;
    window_.communication_seconds += parallel_->take_communication_seconds();
  }
  progress_.train_seconds += step_seconds;
  window_.train_seconds += step_seconds;
  window_.loss += loss;
  window_.steps += 1;
  window_.tokens += progress_.target_tokens - tokens_before;
  summary_.final_train_loss = loss;
  evaluated_at_end_ = false;

  if (train.log_every > 0 && progress_.step % train.log_every == 0) log_window();
  std::string stop_reason;
  const auto& eval = settings_.eval;
  if (eval.every_steps > 0 && progress_.step % eval.every_steps == 0) {
    evaluate_and_checkpoint();
    if (eval.patience > 0 && progress_.bad_evaluations >= eval.patience) stop_reason = "early_stopping";
  }
  const std::string spent = step_budget_spent();
  if (!spent.empty()) stop_reason = spent;
  if (interrupt) stop_reason = "interrupted";
  return stop_reason;
}

std::string Trainer::train_epoch() {
  resample_training_data(progress_.epoch);
  const auto batches = make_batches(train_.ids, batching_options(), progress_.epoch);
  while (progress_.batch_in_epoch < static_cast<int64_t>(batches.size())) {
    std::string stop_reason = train_step(batches);
    if (!stop_reason.empty()) return stop_reason;
  }
  progress_.epoch += 1;
  progress_.batch_in_epoch = 0;
  summary_.epochs_completed = progress_.epoch;
  const int64_t max_epochs = settings_.train.max_epochs;
  return max_epochs > 0 && progress_.epoch >= max_epochs ? "max_epochs" : "";
}

void Trainer::finish(const std::string& stop_reason) {
  if (stop_reason == "interrupted") {
    if (main_) {
      progress_.wall_seconds = seconds_since(wall_start_);
      save("checkpoint_last.pt");
      std::cerr << "interrupted at step " << progress_.step << "; checkpoint saved, continue with --resume\n";
    }
  } else if (!evaluated_at_end_ && stop_reason != "nonfinite_loss") {
    evaluate_and_checkpoint();
  }
  summary_.steps = progress_.step;
  summary_.epochs_completed = progress_.epoch;
  summary_.train_seconds = progress_.train_seconds;
  summary_.wall_seconds = seconds_since(wall_start_);
  summary_.target_tokens = progress_.target_tokens;
  summary_.best_metric = progress_.best_metric;
  summary_.stopped_because = stop_reason;
  summary_.peak_resident_mib = peak_resident_mib();
  if (main_) write_text_atomically(options_.run_dir + "/summary.json", summary_.to_json().dump(2) + "\n");
  // Rank 0 serves the store: it stays until every rank is done with it.
  if (parallel_) parallel_->barrier("finishing the run");
}

TrainSummary Trainer::run() {
  stop_requested = false;
  auto previous_int = std::signal(SIGINT, request_stop);
  auto previous_term = std::signal(SIGTERM, request_stop);

  summary_.parameters = model_->parameter_count();
  summary_.precision = precision_name(precision_);
  if (!options_.quiet) std::cerr << "model: " << model_->describe() << ", " << summary_.parameters << " parameters\n";
  model_->train();
  wall_start_ = Clock::now() - std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(progress_.wall_seconds));

  // A resumed run that already spent its budget trains no further step.
  std::string stop_reason = step_budget_spent();
  const int64_t max_epochs = settings_.train.max_epochs;
  if (max_epochs > 0 && progress_.epoch >= max_epochs) stop_reason = "max_epochs";
  if (!stop_reason.empty()) {
    evaluated_at_end_ = progress_.last_eval_step == progress_.step;
    if (!options_.quiet) std::cerr << "the run already reached its budget (" << stop_reason << ") at step " << progress_.step << "\n";
  }
  while (stop_reason.empty()) stop_reason = train_epoch();
  // After an interrupt the handlers stay for the rest of the process: one Ctrl-C often reaches a worker
  // twice (from the terminal's process group, and again as the launcher's forwarded SIGTERM, late under
  // load), and the second copy must not kill a worker that is saving its checkpoint or exiting cleanly.
  if (stop_reason != "interrupted") {
    std::signal(SIGINT, previous_int);
    std::signal(SIGTERM, previous_term);
  }
  finish(stop_reason);
  return summary_;
}

}  // namespace

TrainSummary train_model(const TrainOptions& options) {
  if (!options.world.distributed()) {
    Trainer trainer(options, nullptr);
    return trainer.run();
  }
  WorldSpec world = options.world;
  world.timeout_seconds = options.config["train"]["distributed_timeout_seconds"].get<double>();
  // Ranks must agree on the config and on --resume (a rank resuming alone would
  // bring optimizer moments the others lack); --init-from may differ, as rank
  // 0's weights are broadcast anyway.
  DataParallel parallel(world, fingerprint_hex(fingerprint(options.config.dump() + (options.resume ? "\nresume" : ""))));
  try {
    Trainer trainer(options, &parallel);
    return trainer.run();
  } catch (const PeerFailure&) {
    throw;
  } catch (const std::exception& e) {
    parallel.report_failure(first_line(e.what()));
    throw;
  }
}

}  // namespace s2s
