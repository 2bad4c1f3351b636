#pragma once
// The text handling sacreBLEU 2.x applies before scoring, reproduced exactly:
// Python's notion of whitespace (str.split / str.rstrip), Python's full
// lowercasing (str.lower), and the tokenizers 13a, intl, char and none.
// Everything works on Unicode code points (std::u32string), as Python's str does.
#include <string>
#include <string_view>
#include <vector>

namespace s2s {

enum class SacreTokenizer { k13a, kIntl, kChar, kNone };

// Parses "13a", "intl", "char" or "none"; throws s2s::Error for anything else.
SacreTokenizer parse_sacre_tokenizer(std::string_view name);

// The tokenizer's name as sacreBLEU writes it in a signature ("13a", "intl", ...).
const char* sacre_tokenizer_name(SacreTokenizer tokenizer);

// True for the code points Python's str.isspace() accepts.
bool is_python_space(char32_t c);

// Python's str.split() with no argument: the maximal runs of non-whitespace.
std::vector<std::u32string> python_split(std::u32string_view text);

// Python's str.rstrip() with no argument.
std::u32string_view python_rstrip(std::u32string_view text);

// Python's str.lower(): full Unicode lowercase mapping, including the
// one-to-many mappings and the final-sigma rule.
std::u32string python_lower(std::u32string_view text);

// Applies one of sacreBLEU's tokenizers to a line and returns the resulting
// tokens, i.e. `tokenizer(line).split()` in sacreBLEU's terms.
std::vector<std::u32string> sacre_tokenize(std::u32string_view line, SacreTokenizer tokenizer);

// UTF-8 convenience: the tokens joined by single spaces (for 13a and intl this
// is exactly the string sacreBLEU's tokenizer returns; for char and none it is
// that string with whitespace runs collapsed). Precondition: valid UTF-8.
std::string sacre_tokenize_utf8(std::string_view line, SacreTokenizer tokenizer);

}  // namespace s2s
