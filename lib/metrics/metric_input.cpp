#include "metrics/metric_input.h"

#include "util/error.h"
#include "util/utf8.h"

namespace s2s::metrics_detail {

void check_streams(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs) {
  if (refs.empty()) throw Error("scoring needs at least one reference stream, but none was given");
  for (size_t k = 0; k < refs.size(); ++k) {
    if (refs[k].size() != hyps.size())
      throw Error("reference stream " + std::to_string(k + 1) + " has " + std::to_string(refs[k].size()) +
                  " lines but the hypothesis has " + std::to_string(hyps.size()));
  }
}

std::u32string decode_line(const std::string& text, int stream, size_t line) {
  if (!is_valid_utf8(text)) {
    std::string what = stream < 0 ? std::string("hypothesis") : "reference stream " + std::to_string(stream + 1);
    throw Error(what + " line " + std::to_string(line + 1) + " is not valid UTF-8");
  }
  std::vector<char32_t> cps = utf8_to_codepoints(text);
  return std::u32string(cps.begin(), cps.end());
}

}  // namespace s2s::metrics_detail
