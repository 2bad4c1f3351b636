#pragma once
// Shared input checks for the metrics (internal to lib/metrics).
#include <string>
#include <vector>

namespace s2s::metrics_detail {

// Throws s2s::Error when there are no reference streams or a stream's line
// count differs from the hypotheses'.
void check_streams(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs);

// Decodes UTF-8, throwing s2s::Error naming the line when it is invalid.
// `stream` is -1 for the hypothesis, k for the k-th reference stream.
std::u32string decode_line(const std::string& text, int stream, size_t line);

}  // namespace s2s::metrics_detail
