// libFuzzer harness: the strict config merge (lib/util/config.*): arbitrary
// bytes as a JSON config merged over the training defaults' shape, then as
// "--set key=value" overrides. Only s2s::Error (and nlohmann's parse errors
// for text that is not JSON) may come out; a crash or another exception is a bug.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "util/config.h"
#include "util/error.h"

namespace {

// The shape of the training config (lib/run/run_config.cpp: same sections
// and value types; that file needs LibTorch for the model defaults).
const nlohmann::json& defaults() {
  static const nlohmann::json value = nlohmann::json::parse(R"({
    "data": {"dir": "", "max_length": 128, "max_tokens": 4096, "max_sentences": 0},
    "model": {"architecture": "transformer", "d_model": 256, "heads": 4, "dropout": 0.1, "norm": "pre"},
    "train": {"optimizer": "adam", "learning_rate": 0.001, "label_smoothing": 0.1, "max_steps": 1000,
              "max_minutes": 0.0, "seed": 1, "device": "cpu"},
    "eval": {"every_steps": 200, "bleu": true, "beam": 1, "max_length_a": 1.5, "path": null}
  })");
  return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  nlohmann::json merged = defaults();
  const auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (!parsed.is_discarded()) {
    try {
      merged = s2s::merge_checked(defaults(), parsed, "");
    } catch (const s2s::Error&) {
    }
  }
  // Each line an override.
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    try {
      s2s::apply_override(merged, text.substr(start, end - start));
    } catch (const s2s::Error&) {
    }
    start = end + 1;
  }
  return 0;
}
