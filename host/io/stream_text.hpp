#pragma once
// Private to host/io: pieces of the streaming text readers (.mot/.sto/.trc): a line reader over a
// file read in fixed-size chunks (the file is never held whole), a builder that turns rows into a
// channel-major series with bounded extra memory, and the uniform-time check that gives the rate.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace swingpipe::io::detail {

class BinaryFile;

/// Lines of a file read in 1 MiB chunks; endings \n, \r\n or a lone \r; a UTF-8 byte order mark
/// is skipped. A line longer than 64 MiB is an InputError naming the line.
class StreamLines {
 public:
  explicit StreamLines(const std::filesystem::path& path);
  ~StreamLines();
  StreamLines(const StreamLines&) = delete;
  StreamLines& operator=(const StreamLines&) = delete;

  /// The next line without its ending, valid until the next call; false at the end of the file.
  bool next(std::string_view& line);
  std::size_t line_number() const { return line_; }
  /// False when the last line returned ended at the end of the file without a line ending.
  bool terminated() const { return terminated_; }
  uint64_t file_size() const;
  const std::filesystem::path& path() const { return path_; }

 private:
  bool fill();

  std::filesystem::path path_;
  std::unique_ptr<BinaryFile> file_;
  uint64_t read_ = 0;  ///< bytes of the file read so far
  std::string buf_;
  std::size_t pos_ = 0;
  std::size_t line_ = 0;
  bool terminated_ = true;
};

/// Splits a line into cells: on tabs when it has one, else on runs of spaces (the cells are then
/// never empty). Tab-separated cells are trimmed of spaces.
void split_cells(std::string_view line, std::vector<std::string_view>& out);

/// Clinger's exact fast path for plain decimals ("-123.456789", "1.5e-3"): up to 19 digits whose
/// value is at most 2^53, times a power of ten up to 1e22, is one correctly rounded IEEE operation
/// on exact operands, so the result equals std::from_chars'. False (out untouched) for anything
/// else: the caller falls back to the general parser. The token must be trimmed.
bool parse_decimal_fast(std::string_view token, double& out);

/// Walks the cells of one line without storing them: on tabs when the line has one (cells trimmed
/// of spaces), else on runs of spaces, like split_cells.
class CellCursor {
 public:
  explicit CellCursor(std::string_view line);
  /// The next cell; false after the last one.
  bool next(std::string_view& cell);
  /// The same, parsing a plain decimal on the way (one pass over its bytes): `parsed` says
  /// whether `v` holds the cell's value (as parse_decimal_fast gives it); otherwise the caller
  /// parses `cell` itself.
  bool next_number(std::string_view& cell, double& v, bool& parsed);

 private:
  std::string_view line_;
  std::size_t pos_ = 0;
  bool tabs_ = false;
  bool done_ = false;
};

/// Collects rows of `channels` values and returns them channel-major. With the row count known in
/// advance the output is allocated once and rows are scattered into it in blocks (extra memory:
/// one block); otherwise rows grow a row-major buffer that is transposed at the end.
class SeriesBuilder {
 public:
  SeriesBuilder(std::size_t channels, std::size_t expected_rows);
  /// The next row's values, to be filled by the caller (`channels` of them).
  double* add_row();
  std::size_t rows() const { return rows_; }
  std::size_t expected_rows() const { return expected_; }
  /// The channel-major series (channels x rows()).
  std::vector<double> finish();

 private:
  void flush();

  std::size_t channels_;
  std::size_t expected_;
  std::size_t rows_ = 0;
  std::vector<double> out_;    ///< channel-major, channels x expected (when known)
  std::vector<double> block_;  ///< row-major rows not yet scattered (or all rows when unknown)
  std::size_t block_rows_ = 0;
  std::size_t flushed_ = 0;  ///< rows already scattered into out_
};

/// Decimal places of a number token as printed ("0.0167" -> 4, "1.5e-3" -> 4, "12" -> 0).
int printed_decimals(std::string_view token);

/// The time column of a text file. Times must increase in equal steps: every step equals the
/// median step within the column's printed precision (half a unit in the last place of its most
/// precise time, four times over: two times per step, two steps compared) plus 1e-6 of a step.
/// check() throws InputError "<path>:<line>: ..." naming the row whose step differs (or that does
/// not increase) and returns the rate (n - 1) / (t_last - t_first); 0 with fewer than two rows.
class UniformClock {
 public:
  UniformClock(std::filesystem::path path, std::string column)
      : path_(std::move(path)), column_(std::move(column)) {}
  /// A time, its token as printed and its line. InputError for a time that is not finite.
  void add(double t, std::string_view token, std::size_t line);
  std::size_t count() const { return times_.size(); }
  double first() const { return times_.empty() ? 0 : times_.front(); }
  double check() const;

 private:
  std::filesystem::path path_;
  std::string column_;
  std::vector<double> times_;
  std::vector<std::size_t> lines_;
  int decimals_ = 0;  ///< the most decimal places of any time
};

}  // namespace swingpipe::io::detail
