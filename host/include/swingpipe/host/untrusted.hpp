#pragma once
// Reading untrusted input safely (host/io): JSON with a nesting limit and byte offsets in every
// error, UTF-8 validation, and quoting of input text for error messages (bounded, escaped: a
// message never carries a whole untrusted value or bytes that are not valid UTF-8). Every JSON
// input (recording files, run configs, HTTP bodies) goes through parse_json.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace swingpipe::io {

/// Deepest nesting of arrays and objects parse_json accepts (a recording needs 3, a run config 4).
inline constexpr std::size_t kMaxJsonDepth = 64;

/// Parses one JSON value, strictly: InputError "<source>: byte N: ..." (N = 0-based offset) for
/// malformed JSON, nesting deeper than kMaxJsonDepth, a duplicate key in an object, a number
/// outside the float64 range, invalid UTF-8, a NUL byte, or anything but whitespace after the
/// value. Never recurses per nesting level, so hostile input cannot exhaust the stack.
nlohmann::json parse_json(std::string_view text, const std::string& source);

/// Offset of the first byte that is not part of well-formed UTF-8 (overlong forms, surrogates and
/// code points above U+10FFFF are ill-formed), or std::string_view::npos when all of it is.
std::size_t invalid_utf8_at(std::string_view text);
inline bool is_valid_utf8(std::string_view text) {
  return invalid_utf8_at(text) == std::string_view::npos;
}

/// Offset of the first control character (U+0000..U+001F, U+007F), or npos.
std::size_t control_char_at(std::string_view text);

/// `text` in single quotes for an error message: at most `max_bytes` bytes of it (cut at a
/// character boundary, then "..." and the full size), control characters and bytes that are not
/// UTF-8 written as \xNN. The result is always valid UTF-8 and never longer than ~4 * max_bytes.
std::string quote_input(std::string_view text, std::size_t max_bytes = 40);

}  // namespace swingpipe::io
