#include "train/train_config.h"

#include "models/seq2seq.h"
#include "util/config.h"
#include "util/error.h"

namespace s2s {

nlohmann::json default_train_config() {
  return {
      {"data",
       {
           {"dir", ""},              // a corpus directory made by `s2s prepare`
           {"max_length", 128},      // drop training pairs with more subword tokens on either side
           {"max_tokens", 4096},     // batch budget: sentences x padded length
           {"max_sentences", 0},     // 0 = no limit per batch
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
           {"log_every", 20},              // steps between progress lines
           {"nonfinite_loss", "stop"},     // stop | skip: what a NaN/inf loss does
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

nlohmann::json resolve_config_json(const nlohmann::json& config, const std::vector<std::string>& overrides) {
  nlohmann::json defaults = default_train_config();
  // The model defaults depend on the architecture, which may itself be overridden.
  std::string architecture = "transformer";
  if (config.contains("model") && config["model"].contains("architecture")) {
    architecture = config["model"]["architecture"].get<std::string>();
  }
  for (const auto& o : overrides) {
    if (o.rfind("model.architecture=", 0) == 0) architecture = o.substr(std::string("model.architecture=").size());
  }
  defaults["model"] = default_model_config(architecture);
  nlohmann::json resolved = merge_checked(defaults, config, "");
  resolved["model"]["architecture"] = architecture;
  for (const auto& o : overrides) apply_override(resolved, o);

  const auto& train = resolved["train"];
  const std::string schedule = train["schedule"];
  if (schedule != "constant" && schedule != "inverse_sqrt" && schedule != "plateau") {
    throw Error("train.schedule must be constant, inverse_sqrt or plateau, not \"" + schedule + "\"");
  }
  const std::string optimizer = train["optimizer"];
  if (optimizer != "adam" && optimizer != "adamw") throw Error("train.optimizer must be adam or adamw, not \"" + optimizer + "\"");
  if (train["accumulate"].get<int>() < 1) throw Error("train.accumulate must be at least 1");
  const std::string metric = resolved["eval"]["metric"];
  if (metric != "bleu" && metric != "loss") throw Error("eval.metric must be bleu or loss, not \"" + metric + "\"");
  const std::string nonfinite = train["nonfinite_loss"];
  if (nonfinite != "stop" && nonfinite != "skip") throw Error("train.nonfinite_loss must be stop or skip");
  return resolved;
}

nlohmann::json resolve_config(const std::string& path, const std::vector<std::string>& overrides) {
  nlohmann::json config = path.empty() ? nlohmann::json::object() : read_json_file(path);
  try {
    return resolve_config_json(config, overrides);
  } catch (const Error& e) {
    throw Error((path.empty() ? std::string() : path + ": ") + e.what());
  }
}

}  // namespace s2s
