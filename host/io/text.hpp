#pragma once
// Private helpers for the text readers (host/io): whole-file loading, line walking, number parsing
// with std::from_chars, and error messages that name the file and the line.
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "swingpipe/error.hpp"

namespace swingpipe::io::detail {

/// The whole file as bytes. NotFoundError when it does not exist, InputError when it cannot be
/// opened or read (the message names the path and the errno text).
std::string read_whole_file(const std::filesystem::path& path);

/// "<path>:<line>: <what>" as an InputError.
[[noreturn]] void fail_line(const std::filesystem::path& path, std::size_t line,
                            const std::string& what);
/// "<path>: byte <offset>: <what>" as an InputError.
[[noreturn]] void fail_byte(const std::filesystem::path& path, std::size_t offset,
                            const std::string& what);

/// Walks a text buffer line by line (\n, \r\n or \r\n endings), 1-based line numbers.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}
  /// The next line without its ending; false at the end of the text.
  bool next(std::string_view& line);
  std::size_t line_number() const { return line_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 0;
};

std::string_view trim(std::string_view s);
bool is_blank(std::string_view s);
bool iequals(std::string_view a, std::string_view b);

/// True for the spellings of a missing value: empty, "nan" (any case), "?".
bool is_missing(std::string_view token);

/// Parses a whole token (trimmed) as a double: missing spellings give NaN, a leading '+' is
/// allowed. False when the token is not a number or has trailing characters.
bool parse_double(std::string_view token, double& out);

/// The token, shortened for an error message.
std::string quote_token(std::string_view token);

}  // namespace swingpipe::io::detail
