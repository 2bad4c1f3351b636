#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace s2s {

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
bool is_valid_utf8(std::string_view text);

// Decodes valid UTF-8 into code points. Precondition: is_valid_utf8(text).
std::vector<char32_t> utf8_to_codepoints(std::string_view text);

// Encodes one code point as UTF-8 and appends it to `out`.
void append_utf8(std::string& out, char32_t cp);

}  // namespace s2s
