#include "run/run_config.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "models/seq2seq.h"
#include "util/config.h"
#include "util/error.h"

namespace s2s {

constexpr int64_t kLarge = std::numeric_limits<int32_t>::max();

nlohmann::json default_train_config() {
  return {
      {"data",
       {
           {"dir", ""},              // a corpus directory made by `s2s prepare`
           {"max_length", 128},      // drop training pairs with more subword tokens on either side
           {"max_tokens", 4096},     // batch budget: sentences x padded length
           {"max_sentences", 0},     // 0 = no limit per batch
           // Subword regularisation (Kudo 2018; BPE-dropout for a BPE model): each
           // epoch re-encodes the training text by sampling segmentations, seeded
           // from train.seed and the epoch. 0 = off; never applied to dev or test.
           {"sample_alpha", 0.0},    // unigram: smoothing of the sampling distribution; bpe: dropout probability
           {"sample_nbest", -1},     // unigram: sample among the n best segmentations (-1 = all of them)
       }},
      {"model", nlohmann::json::object()},
      {"train",
       {
           {"optimizer", "adam"},          // adam | adamw
           {"learning_rate", 1e-3},
           {"beta1", 0.9},
           {"beta2", 0.98},
           {"weight_decay", 0.0},
           {"schedule", "inverse_sqrt"},   // constant | inverse_sqrt | plateau
           {"warmup_steps", 400},          // linear warmup (constant and inverse_sqrt)
           {"plateau_factor", 0.5},        // plateau: lr *= factor after `plateau_patience` evaluations without improvement
           {"plateau_patience", 2},
           {"min_learning_rate", 1e-6},
           {"clip_norm", 1.0},             // 0 = no clipping
           {"accumulate", 1},              // batches per optimizer step
           {"label_smoothing", 0.1},
           {"max_steps", 1000},            // 0 = no limit
           {"max_minutes", 0.0},           // wall-clock budget, 0 = no limit
           {"max_epochs", 0},              // 0 = no limit
           {"seed", 1},
           {"threads", 0},                 // 0 = all cores
           {"device", "cpu"},              // cpu | cuda
           {"precision", "fp32"},          // fp32 | bf16 | fp16 | auto (bf16 where measured 1.5x faster): the forward pass's arithmetic (autocast); weights and checkpoints stay fp32
           {"log_every", 20},              // steps between progress lines
           {"nonfinite_loss", "stop"},     // stop | skip: what a NaN/inf loss does
           {"keep_last", 0},               // keep the checkpoints of the last N evaluations (checkpoint_step<N>.pt) for `s2s average`
           {"ema_decay", 0.0},             // > 0: keep an exponential moving average of the weights (checkpoint_ema.pt)
           {"distributed_timeout_seconds", 300.0},  // data-parallel runs: how long a rank waits for another before all stop
       }},
      {"eval",
       {
           {"every_steps", 200},           // 0 = only at the end
           {"max_sentences", 200},         // dev sentences decoded for BLEU (0 = all)
           {"bleu", true},
           {"beam", 1},
           {"metric", "bleu"},             // bleu | loss: what "best" and early stopping use
           {"patience", 0},                // evaluations without improvement before stopping; 0 = never
           {"max_length_a", 1.5},
           {"max_length_b", 10},
       }},
  };
}

namespace {

// Range checks of every data, train and eval key, each naming its key. The
// model section is checked by its architecture's options (validate_model_config).
class ConfigChecker {
 public:
  explicit ConfigChecker(const nlohmann::json& resolved) : config_(resolved) {}

  // An integer key in [low, high].
  void integer(const std::string& section, const std::string& key, int64_t low, int64_t high,
               const std::string& meaning = "") {
    const auto& value = config_.at(section).at(key);
    const std::string name = section + "." + key;
    if (!value.is_number_integer()) throw UsageError("config key " + name + " must be an integer, not " + value.dump());
    // nlohmann keeps every non-negative integer as unsigned.
    const bool in_range = value.is_number_unsigned()
                              ? value.get<uint64_t>() <= static_cast<uint64_t>(high) &&
                                    (low <= 0 || value.get<uint64_t>() >= static_cast<uint64_t>(low))
                              : value.get<int64_t>() >= low && value.get<int64_t>() <= high;
    if (!in_range) {
      throw UsageError("config key " + name + " must be " + range_text(low, high) + meaning + ", not " + value.dump());
    }
  }

  // A real key in [low, high] (or [low, high) when `open_high`; (low, ...] when `open_low`).
  void real(const std::string& section, const std::string& key, double low, double high, bool open_low,
            bool open_high, const std::string& meaning = "") {
    const auto& value = config_.at(section).at(key);
    const std::string name = section + "." + key;
    if (!value.is_number()) throw UsageError("config key " + name + " must be a number, not " + value.dump());
    const double v = value.get<double>();
    const bool ok = std::isfinite(v) && (open_low ? v > low : v >= low) && (open_high ? v < high : v <= high);
    if (!ok) {
      std::string range = std::string(open_low ? "(" : "[") + number_text(low) + ", " +
                          (std::isinf(high) ? "inf)" : number_text(high) + (open_high ? ")" : "]"));
      throw UsageError("config key " + name + " must be in " + range + meaning + ", not " + value.dump());
    }
  }

  void choice(const std::string& section, const std::string& key, const std::vector<std::string>& allowed) {
    const std::string value = config_.at(section).at(key).get<std::string>();
    if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return;
    std::string list;
    for (size_t i = 0; i < allowed.size(); ++i) list += (i == 0 ? "" : i + 1 == allowed.size() ? " or " : ", ") + allowed[i];
    throw UsageError("config key " + section + "." + key + " must be " + list + ", not \"" + value + "\"");
  }

 private:
  static std::string number_text(double v) {
    std::ostringstream out;
    out << v;
    return out.str();
  }
  static std::string range_text(int64_t low, int64_t high) {
    if (high >= kLarge) return "at least " + std::to_string(low);
    return "between " + std::to_string(low) + " and " + std::to_string(high);
  }
  const nlohmann::json& config_;
};

constexpr double kInf = std::numeric_limits<double>::infinity();

void check_ranges(const nlohmann::json& resolved) {
  ConfigChecker check(resolved);
  check.integer("data", "max_length", 1, kLarge, " (subword tokens)");
  check.integer("data", "max_tokens", 1, kLarge);
  check.integer("data", "max_sentences", 0, kLarge, " (0 = no limit)");
  check.real("data", "sample_alpha", 0, 1000, false, false, " (0 = no subword sampling)");
  check.integer("data", "sample_nbest", -1, 1000, " (-1 = sample from every segmentation)");
  if (resolved["data"]["sample_nbest"].get<int64_t>() == 0 || resolved["data"]["sample_nbest"].get<int64_t>() == 1) {
    throw UsageError("config key data.sample_nbest must be -1 (every segmentation) or at least 2, not " +
                     resolved["data"]["sample_nbest"].dump());
  }

  check.choice("train", "optimizer", {"adam", "adamw"});
  check.real("train", "learning_rate", 0, kInf, true, false);
  check.real("train", "beta1", 0, 1, false, true);
  check.real("train", "beta2", 0, 1, false, true);
  check.real("train", "weight_decay", 0, kInf, false, false);
  check.choice("train", "schedule", {"constant", "inverse_sqrt", "plateau"});
  check.integer("train", "warmup_steps", 0, kLarge);
  check.real("train", "plateau_factor", 0, 1, true, false);
  check.integer("train", "plateau_patience", 0, kLarge);
  check.real("train", "min_learning_rate", 0, kInf, false, false);
  check.real("train", "clip_norm", 0, kInf, false, false, " (0 = no clipping)");
  check.integer("train", "accumulate", 1, kLarge);
  check.real("train", "label_smoothing", 0, 1, false, true);
  check.integer("train", "max_steps", 0, kLarge, " (0 = no limit)");
  check.real("train", "max_minutes", 0, kInf, false, false, " (0 = no limit)");
  check.integer("train", "max_epochs", 0, kLarge, " (0 = no limit)");
  check.integer("train", "seed", 0, std::numeric_limits<int64_t>::max());
  check.integer("train", "threads", 0, 4096, " (0 = all cores)");
  check.choice("train", "device", {"cpu", "cuda"});
  check.choice("train", "precision", {"fp32", "bf16", "fp16", "auto"});
  check.integer("train", "log_every", 0, kLarge);
  check.choice("train", "nonfinite_loss", {"stop", "skip"});
  check.integer("train", "keep_last", 0, 1000, " (0 = keep none)");
  check.real("train", "ema_decay", 0, 1, false, true, " (0 = no moving average)");
  check.real("train", "distributed_timeout_seconds", 1, 86400, false, false);
  const auto& train = resolved["train"];
  if (train["max_steps"].get<int64_t>() == 0 && train["max_minutes"].get<double>() == 0 &&
      train["max_epochs"].get<int64_t>() == 0) {
    throw UsageError("no training budget: set train.max_steps, train.max_minutes or train.max_epochs");
  }

  check.integer("eval", "every_steps", 0, kLarge, " (0 = only at the end)");
  check.integer("eval", "max_sentences", 0, kLarge, " (0 = all)");
  check.integer("eval", "beam", 1, 1000);
  check.choice("eval", "metric", {"bleu", "loss"});
  check.integer("eval", "patience", 0, kLarge, " (0 = never stop early)");
  check.real("eval", "max_length_a", 0, 1000, false, false);
  check.integer("eval", "max_length_b", 0, kLarge);
  if (resolved["eval"]["max_length_a"].get<double>() == 0 && resolved["eval"]["max_length_b"].get<int64_t>() == 0) {
    throw UsageError("config keys eval.max_length_a and eval.max_length_b are both 0: every output would be empty");
  }
}

std::string architecture_of(const nlohmann::json& config, const std::vector<std::string>& overrides) {
  nlohmann::json architecture = "transformer";
  if (config.is_object() && config.contains("model") && config["model"].is_object() &&
      config["model"].contains("architecture")) {
    architecture = config["model"]["architecture"];
  }
  const std::string prefix = "model.architecture=";
  for (const auto& o : overrides) {
    if (o.rfind(prefix, 0) != 0) continue;
    const std::string text = o.substr(prefix.size());
    architecture = nlohmann::json::parse(text, nullptr, false);
    if (architecture.is_discarded()) architecture = text;
  }
  if (!architecture.is_string()) {
    throw UsageError("config key model.architecture must be \"rnn\" or \"transformer\", not " + architecture.dump());
  }
  return architecture.get<std::string>();
}

}  // namespace

nlohmann::json resolve_config_json(const nlohmann::json& config, const std::vector<std::string>& overrides) {
  nlohmann::json defaults = default_train_config();
  // The model defaults depend on the architecture, which may itself be overridden.
  const std::string architecture = architecture_of(config, overrides);
  defaults["model"] = default_model_config(architecture);
  nlohmann::json resolved = merge_checked(defaults, config, "");
  resolved["model"]["architecture"] = architecture;
  for (const auto& o : overrides) apply_override(resolved, o);
  check_ranges(resolved);
  validate_model_config(resolved["model"]);
  const auto& model = resolved["model"];
  if (model.contains("max_positions") && resolved["data"]["max_length"].get<int64_t>() >= model["max_positions"].get<int64_t>()) {
    throw UsageError("config key data.max_length (" + resolved["data"]["max_length"].dump() +
                     ") must be below model.max_positions (" + model["max_positions"].dump() +
                     "): a training sentence and its BOS or EOS must fit the position table");
  }
  return resolved;
}

nlohmann::json resolve_config(const std::string& path, const std::vector<std::string>& overrides) {
  nlohmann::json config = path.empty() ? nlohmann::json::object() : read_json_file(path);
  try {
    return resolve_config_json(config, overrides);
  } catch (const UsageError& e) {
    throw UsageError((path.empty() ? std::string() : path + ": ") + e.what());
  } catch (const Error& e) {
    throw Error((path.empty() ? std::string() : path + ": ") + e.what());
  }
}

TrainSettings read_train_settings(const nlohmann::json& resolved) {
  TrainSettings out;
  const auto& d = resolved.at("data");
  out.data.dir = d.at("dir").get<std::string>();
  out.data.max_length = d.at("max_length").get<int64_t>();
  out.data.max_tokens = d.at("max_tokens").get<int64_t>();
  out.data.max_sentences = d.at("max_sentences").get<int64_t>();
  out.data.sample_alpha = d.at("sample_alpha").get<double>();
  out.data.sample_nbest = d.at("sample_nbest").get<int>();

  const auto& t = resolved.at("train");
  auto& train = out.train;
  train.optimizer = t.at("optimizer").get<std::string>();
  train.schedule = t.at("schedule").get<std::string>();
  train.device = t.at("device").get<std::string>();
  train.precision = t.at("precision").get<std::string>();
  train.nonfinite_loss = t.at("nonfinite_loss").get<std::string>();
  train.learning_rate = t.at("learning_rate").get<double>();
  train.beta1 = t.at("beta1").get<double>();
  train.beta2 = t.at("beta2").get<double>();
  train.weight_decay = t.at("weight_decay").get<double>();
  train.plateau_factor = t.at("plateau_factor").get<double>();
  train.min_learning_rate = t.at("min_learning_rate").get<double>();
  train.clip_norm = t.at("clip_norm").get<double>();
  train.label_smoothing = t.at("label_smoothing").get<double>();
  train.max_minutes = t.at("max_minutes").get<double>();
  train.ema_decay = t.at("ema_decay").get<double>();
  train.distributed_timeout_seconds = t.at("distributed_timeout_seconds").get<double>();
  train.warmup_steps = t.at("warmup_steps").get<int64_t>();
  train.plateau_patience = t.at("plateau_patience").get<int64_t>();
  train.accumulate = t.at("accumulate").get<int64_t>();
  train.max_steps = t.at("max_steps").get<int64_t>();
  train.max_epochs = t.at("max_epochs").get<int64_t>();
  train.log_every = t.at("log_every").get<int64_t>();
  train.keep_last = t.at("keep_last").get<int64_t>();
  train.seed = t.at("seed").get<uint64_t>();
  train.threads = t.at("threads").get<int>();

  const auto& e = resolved.at("eval");
  out.eval.every_steps = e.at("every_steps").get<int64_t>();
  out.eval.max_sentences = e.at("max_sentences").get<int64_t>();
  out.eval.patience = e.at("patience").get<int64_t>();
  out.eval.max_length_b = e.at("max_length_b").get<int64_t>();
  out.eval.max_length_a = e.at("max_length_a").get<double>();
  out.eval.bleu = e.at("bleu").get<bool>();
  out.eval.beam = e.at("beam").get<int>();
  out.eval.metric = e.at("metric").get<std::string>();
  return out;
}

}  // namespace s2s
