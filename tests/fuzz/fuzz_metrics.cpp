// libFuzzer harness: BLEU and chrF (lib/metrics/) with every tokenizer on
// arbitrary bytes. The input is split at the first 0xFF byte into hypothesis
// and reference text, each split into lines. Invalid UTF-8 must be an
// s2s::Error; a crash, a hang, a score outside [0, 100] or NaN is a bug.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "metrics/bleu.h"
#include "metrics/chrf.h"
#include "metrics/sacre_tokenize.h"
#include "util/error.h"

namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

void check_score(double score) {
  if (!(score >= 0.0 && score <= 100.0 + 1e-9)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 4096) return 0;
  const std::string all(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto cut = all.find('\xff');
  auto hyps = split_lines(all.substr(0, cut));
  auto refs = split_lines(cut == std::string::npos ? all : all.substr(cut + 1));
  refs.resize(hyps.size());
  const uint8_t flags = data[0];
  const s2s::SacreTokenizer tokenizers[] = {s2s::SacreTokenizer::k13a, s2s::SacreTokenizer::kIntl,
                                            s2s::SacreTokenizer::kChar, s2s::SacreTokenizer::kNone};
  s2s::BleuOptions bleu;
  bleu.tokenize = tokenizers[flags & 3];
  bleu.lowercase = flags & 4;
  s2s::ChrfOptions chrf;
  chrf.lowercase = flags & 8;
  chrf.whitespace = flags & 16;
  try {
    check_score(s2s::corpus_bleu(hyps, {refs}, bleu).score);
    check_score(s2s::sentence_bleu(hyps[0], {refs[0]}, bleu));
    check_score(s2s::corpus_chrf(hyps, {refs}, chrf).score);
    s2s::sacre_tokenize_utf8(hyps[0], bleu.tokenize);
  } catch (const s2s::Error&) {
  }
  return 0;
}
