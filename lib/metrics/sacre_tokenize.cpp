// sacreBLEU 2.x preprocessing: see sacre_tokenize.h. The regular-expression
// passes of the 13a and intl tokenizers are written as explicit left-to-right
// scans that reproduce Python's re.sub semantics (non-overlapping matches, each
// match consuming exactly the characters its pattern covers).
#include "metrics/sacre_tokenize.h"

#include <unicode/uchar.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include "util/error.h"
#include "util/utf8.h"

namespace s2s {
namespace {

bool is_ascii_digit(char32_t c) { return c >= U'0' && c <= U'9'; }

// The character class of 13a's first rule: [\{-\~\[-\` -\&\(-\+\:-\@\/]
bool is_13a_separated(char32_t c) {
  return (c >= U'{' && c <= U'~') || (c >= U'[' && c <= U'`') || (c >= U' ' && c <= U'&') ||
         (c >= U'(' && c <= U'+') || (c >= U':' && c <= U'@') || c == U'/';
}

bool in_category(char32_t c, uint32_t mask) {
  return (U_GET_GC_MASK(static_cast<UChar32>(c)) & mask) != 0;
}
bool is_number(char32_t c) { return in_category(c, U_GC_N_MASK); }        // \p{N}
bool is_punctuation(char32_t c) { return in_category(c, U_GC_P_MASK); }   // \p{P}
bool is_symbol(char32_t c) { return in_category(c, U_GC_S_MASK); }        // \p{S}

// Python's str.replace(from, to): one left-to-right pass, non-overlapping.
std::u32string replace_all(const std::u32string& text, std::u32string_view from, std::u32string_view to) {
  std::u32string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (true) {
    size_t hit = text.find(from.data(), pos, from.size());
    if (hit == std::u32string::npos) break;
    out.append(text, pos, hit - pos);
    out.append(to);
    pos = hit + from.size();
  }
  out.append(text, pos, std::u32string::npos);
  return out;
}

// re.sub for a two-character pattern (first, second) -> f(first, second).
template <typename Matches, typename Emit>
std::u32string sub_pairs(const std::u32string& text, Matches matches, Emit emit) {
  std::u32string out;
  out.reserve(text.size() + text.size() / 2);
  size_t i = 0;
  while (i < text.size()) {
    if (i + 1 < text.size() && matches(text[i], text[i + 1])) {
      emit(out, text[i], text[i + 1]);
      i += 2;
    } else {
      out.push_back(text[i]);
      ++i;
    }
  }
  return out;
}

// re.sub for a one-character pattern c -> " c ".
template <typename Matches>
std::u32string pad_chars(const std::u32string& text, Matches matches) {
  std::u32string out;
  out.reserve(text.size() + text.size() / 2);
  for (char32_t c : text) {
    if (matches(c)) {
      out.push_back(U' ');
      out.push_back(c);
      out.push_back(U' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// "\1 \2 "
void emit_after_both(std::u32string& out, char32_t a, char32_t b) {
  out.push_back(a);
  out.push_back(U' ');
  out.push_back(b);
  out.push_back(U' ');
}
// " \1 \2"
void emit_around_first(std::u32string& out, char32_t a, char32_t b) {
  out.push_back(U' ');
  out.push_back(a);
  out.push_back(U' ');
  out.push_back(b);
}

std::u32string tokenize_13a(std::u32string_view input) {
  std::u32string line(input);
  line = replace_all(line, U"<skipped>", U"");
  line = replace_all(line, U"-\n", U"");
  line = replace_all(line, U"\n", U" ");
  if (line.find(U'&') != std::u32string::npos) {
    line = replace_all(line, U"&quot;", U"\"");
    line = replace_all(line, U"&amp;", U"&");
    line = replace_all(line, U"&lt;", U"<");
    line = replace_all(line, U"&gt;", U">");
  }
  line = U" " + line + U" ";
  line = pad_chars(line, is_13a_separated);
  // period and comma unless preceded by a digit
  line = sub_pairs(
      line, [](char32_t a, char32_t b) { return !is_ascii_digit(a) && (b == U'.' || b == U','); }, emit_after_both);
  // period and comma unless followed by a digit
  line = sub_pairs(
      line, [](char32_t a, char32_t b) { return (a == U'.' || a == U',') && !is_ascii_digit(b); }, emit_around_first);
  // dash when preceded by a digit
  line = sub_pairs(
      line, [](char32_t a, char32_t b) { return is_ascii_digit(a) && b == U'-'; }, emit_after_both);
  return line;
}

std::u32string tokenize_intl(std::u32string_view input) {
  std::u32string line(input);
  // punctuation preceded by a non-number
  line = sub_pairs(
      line, [](char32_t a, char32_t b) { return !is_number(a) && is_punctuation(b); }, emit_after_both);
  // punctuation followed by a non-number
  line = sub_pairs(
      line, [](char32_t a, char32_t b) { return is_punctuation(a) && !is_number(b); }, emit_around_first);
  // symbols
  return pad_chars(line, is_symbol);
}

}  // namespace

SacreTokenizer parse_sacre_tokenizer(std::string_view name) {
  if (name == "13a") return SacreTokenizer::k13a;
  if (name == "intl") return SacreTokenizer::kIntl;
  if (name == "char") return SacreTokenizer::kChar;
  if (name == "none") return SacreTokenizer::kNone;
  throw Error("unknown tokenizer '" + std::string(name) + "' (expected 13a, intl, char or none)");
}

const char* sacre_tokenizer_name(SacreTokenizer tokenizer) {
  switch (tokenizer) {
    case SacreTokenizer::k13a: return "13a";
    case SacreTokenizer::kIntl: return "intl";
    case SacreTokenizer::kChar: return "char";
    case SacreTokenizer::kNone: return "none";
  }
  return "?";
}

bool is_python_space(char32_t c) {
  if (c <= 0x20) return c == 0x20 || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
  if (c < 0x85) return false;
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

std::vector<std::u32string> python_split(std::u32string_view text) {
  std::vector<std::u32string> words;
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    while (i < n && is_python_space(text[i])) ++i;
    size_t start = i;
    while (i < n && !is_python_space(text[i])) ++i;
    if (i > start) words.emplace_back(text.substr(start, i - start));
  }
  return words;
}

std::u32string_view python_rstrip(std::u32string_view text) {
  size_t end = text.size();
  while (end > 0 && is_python_space(text[end - 1])) --end;
  return text.substr(0, end);
}

std::u32string python_lower(std::u32string_view text) {
  bool ascii = true;
  for (char32_t c : text) {
    if (c >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    std::u32string out(text);
    for (char32_t& c : out)
      if (c >= U'A' && c <= U'Z') c += 32;
    return out;
  }
  // ICU's full lowercasing for the root locale matches Python's str.lower():
  // SpecialCasing's unconditional mappings plus the final-sigma context.
  std::u16string utf16;
  utf16.reserve(text.size() + 8);
  for (char32_t c : text) {
    if (c < 0x10000) {
      utf16.push_back(static_cast<char16_t>(c));
    } else {
      utf16.push_back(static_cast<char16_t>(U16_LEAD(c)));
      utf16.push_back(static_cast<char16_t>(U16_TRAIL(c)));
    }
  }
  std::u16string lowered(utf16.size() * 2 + 4, u'\0');
  for (int attempt = 0; attempt < 2; ++attempt) {
    UErrorCode status = U_ZERO_ERROR;
    int32_t length = u_strToLower(reinterpret_cast<UChar*>(&lowered[0]), static_cast<int32_t>(lowered.size()),
                                  reinterpret_cast<const UChar*>(utf16.data()), static_cast<int32_t>(utf16.size()),
                                  "", &status);
    if (status == U_BUFFER_OVERFLOW_ERROR) {
      lowered.assign(static_cast<size_t>(length) + 1, u'\0');
      continue;
    }
    if (U_FAILURE(status)) throw Error(std::string("lowercasing failed: ") + u_errorName(status));
    lowered.resize(static_cast<size_t>(length));
    break;
  }
  std::u32string out;
  out.reserve(lowered.size());
  for (size_t i = 0; i < lowered.size(); ++i) {
    char32_t c = lowered[i];
    if (U16_IS_LEAD(c) && i + 1 < lowered.size() && U16_IS_TRAIL(lowered[i + 1])) {
      c = static_cast<char32_t>(U16_GET_SUPPLEMENTARY(c, lowered[i + 1]));
      ++i;
    }
    out.push_back(c);
  }
  return out;
}

std::vector<std::u32string> sacre_tokenize(std::u32string_view line, SacreTokenizer tokenizer) {
  switch (tokenizer) {
    case SacreTokenizer::k13a: return python_split(tokenize_13a(line));
    case SacreTokenizer::kIntl: return python_split(tokenize_intl(line));
    case SacreTokenizer::kChar:
      // " ".join(line) followed by split(): every non-whitespace character.
      {
        std::vector<std::u32string> tokens;
        tokens.reserve(line.size());
        for (char32_t c : line)
          if (!is_python_space(c)) tokens.emplace_back(1, c);
        return tokens;
      }
    case SacreTokenizer::kNone: return python_split(line);
  }
  return {};
}

std::string sacre_tokenize_utf8(std::string_view line, SacreTokenizer tokenizer) {
  std::vector<char32_t> cps = utf8_to_codepoints(line);
  std::u32string text(cps.begin(), cps.end());
  std::string out;
  for (const auto& token : sacre_tokenize(text, tokenizer)) {
    if (!out.empty()) out.push_back(' ');
    for (char32_t c : token) append_utf8(out, c);
  }
  return out;
}

}  // namespace s2s
