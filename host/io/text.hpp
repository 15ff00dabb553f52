#pragma once
// Private helpers for the text readers (host/io): whole-file loading, line walking, number parsing
// with std::from_chars, and error messages that name the file and the line.
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "swingpipe/error.hpp"
#include "swingpipe/host/io.hpp"

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

/// Walks a text buffer line by line (\n, \r\n or a lone \r end a line), 1-based line numbers.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}
  /// The next line without its ending; false at the end of the text.
  bool next(std::string_view& line);
  std::size_t line_number() const { return line_; }
  /// False when the line last returned is the end of the file without a line ending (a file cut
  /// off there looks like this).
  bool line_ended() const { return ended_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 0;
  bool ended_ = true;
};

std::string_view trim(std::string_view s);
bool is_blank(std::string_view s);
bool iequals(std::string_view a, std::string_view b);

/// True for the spellings of a missing value: empty, "nan" (any case), "?".
bool is_missing(std::string_view token);

/// Parses a whole token (trimmed) as a double: missing spellings give NaN, a leading '+' is
/// allowed, a value too small for float64 reads as 0 or the nearest subnormal. False when the
/// token is not a number, has trailing characters or overflows float64. (Infinities and empty
/// tokens are accepted here; readers that follow the one rule use parse_value.)
bool parse_double(std::string_view token, double& out);

/// What a value token holds. Every NaN read is the one canonical quiet NaN.
enum class ValueStatus {
  number,        ///< a finite number (tiny values read as 0 or subnormal)
  missing,       ///< "nan" (any case, also "-nan", "nan(...)") or "?": NaN
  empty,         ///< nothing but blanks: NaN
  infinite,      ///< "inf", "-Infinity", ...: +-inf
  out_of_range,  ///< a number beyond float64's range (e.g. 1e309): no value
  not_a_number,  ///< anything else: no value
};
ValueStatus classify_value(std::string_view token, double& out);

/// Parses one value token under the rule of `opt` (design.md: NaN means missing, +-inf is an
/// error unless asked for): returns the empty string and sets `out`, or says what is wrong
/// ("expected a number, got 'x'", "empty field (...)", ...) for the caller's error message.
std::string parse_value(std::string_view token, const ValueOptions& opt, double& out);

/// A number for a reader's value check: NaN to the canonical quiet NaN, +-inf refused unless
/// allowed; the empty string or what is wrong.
std::string check_binary_value(double& v, const ValueOptions& opt);

/// The token, shortened and escaped for an error message (io::quote_input).
std::string quote_token(std::string_view token);

/// Most channels a reader returns (a file claiming more is refused before anything is allocated).
inline constexpr std::size_t kMaxChannels = 100000;

/// What every reader checks before it returns a recording: at least one channel and one frame,
/// at most kMaxChannels channels, validate(), a filename, label and channel names that are valid
/// UTF-8 without control characters (attribute names and units too), and other metadata text
/// (attribute values too) that is valid UTF-8. InputError
/// naming `path`.
void check_read(const Recording& rec, const std::filesystem::path& path);

/// Text that will be stored (a channel name, a class label): empty string when it is valid UTF-8
/// without control characters, else what is wrong with it, naming `what`.
std::string text_problem(std::string_view text, const std::string& what);

}  // namespace swingpipe::io::detail
