#include "stream_text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "binary_file.hpp"
#include "swingpipe/error.hpp"
#include "text.hpp"

namespace swingpipe::io::detail {

namespace {
constexpr std::size_t kChunk = 1 << 20;
constexpr std::size_t kMaxLine = 64u << 20;
constexpr std::size_t kBlockRows = 256;
}  // namespace

// ---- StreamLines -------------------------------------------------------------------------------

StreamLines::StreamLines(const std::filesystem::path& path)
    : path_(path), file_(std::make_unique<BinaryFile>(path)) {
  fill();
  if (buf_.rfind("\xEF\xBB\xBF", 0) == 0) pos_ = 3;
}

StreamLines::~StreamLines() = default;

uint64_t StreamLines::file_size() const {
  return file_->size();
}

bool StreamLines::fill() {
  if (read_ >= file_->size()) return false;
  buf_.erase(0, pos_);
  pos_ = 0;
  const std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(kChunk, file_->size() - read_));
  const std::size_t old = buf_.size();
  buf_.resize(old + n);
  file_->read(read_, buf_.data() + old, n, "text");
  read_ += n;
  return true;
}

bool StreamLines::next(std::string_view& line) {
  std::size_t scanned = pos_;  // bytes before this hold no line ending
  while (true) {
    const char* base = buf_.data();
    const auto* nl =
        static_cast<const char*>(std::memchr(base + scanned, '\n', buf_.size() - scanned));
    const std::size_t limit = nl ? static_cast<std::size_t>(nl - base) : buf_.size();
    const auto* cr = static_cast<const char*>(std::memchr(base + scanned, '\r', limit - scanned));
    if (cr && cr + 1 == base + buf_.size() && read_ < file_->size()) {
      const std::size_t keep = static_cast<std::size_t>(cr - base) - pos_;  // is a \n next?
      fill();
      scanned = pos_ + keep;
      continue;
    }
    std::size_t end = std::string::npos, next = 0;
    if (cr) {  // \r\n, or a lone \r (old Mac files)
      end = static_cast<std::size_t>(cr - base);
      next = end + 1 + (cr + 1 == nl ? 1 : 0);
    } else if (nl) {
      end = limit;
      next = end + 1;
    }
    if (end != std::string::npos) {
      line = std::string_view(buf_).substr(pos_, end - pos_);
      pos_ = next;
      ++line_;
      terminated_ = true;
      return true;
    }
    if (buf_.size() - pos_ > kMaxLine)
      fail_line(path_, line_ + 1, "line longer than 64 MiB (is this a text file?)");
    const std::size_t have = buf_.size() - pos_;
    if (!fill()) break;
    scanned = pos_ + have;
  }
  if (pos_ >= buf_.size()) return false;
  line = std::string_view(buf_).substr(pos_);
  pos_ = buf_.size();
  ++line_;
  terminated_ = false;
  return true;
}

// ---- cells -------------------------------------------------------------------------------------

namespace {

inline bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

inline std::string_view trim_spaces(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

}  // namespace

void split_cells(std::string_view line, std::vector<std::string_view>& out) {
  out.clear();
  if (line.find('\t') != std::string_view::npos) {
    std::size_t start = 0;
    while (true) {
      const std::size_t tab = line.find('\t', start);
      out.push_back(
          trim(line.substr(start, tab == std::string_view::npos ? line.npos : tab - start)));
      if (tab == std::string_view::npos) return;
      start = tab + 1;
    }
  }
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\f' || line[i] == '\v')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\f' && line[i] != '\v') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
}

CellCursor::CellCursor(std::string_view line)
    : line_(line), tabs_(std::memchr(line.data(), '\t', line.size()) != nullptr) {}

bool CellCursor::next(std::string_view& cell) {
  if (done_) return false;
  if (tabs_) {
    const auto* base = line_.data();
    const auto* tab = static_cast<const char*>(std::memchr(base + pos_, '\t', line_.size() - pos_));
    const std::size_t end = tab ? static_cast<std::size_t>(tab - base) : line_.size();
    cell = line_.substr(pos_, end - pos_);
    if (!cell.empty() && (is_space(cell.front()) || is_space(cell.back())))
      cell = trim_spaces(cell);
    pos_ = end + 1;
    done_ = tab == nullptr;
    return true;
  }
  while (pos_ < line_.size() && is_space(line_[pos_])) ++pos_;
  if (pos_ >= line_.size()) {
    done_ = true;
    return false;
  }
  const std::size_t start = pos_;
  while (pos_ < line_.size() && !is_space(line_[pos_])) ++pos_;
  cell = line_.substr(start, pos_ - start);
  return true;
}

// ---- numbers -----------------------------------------------------------------------------------

/// Clinger's fast path from `p`: the end of the number parsed into `out`, or nullptr when the text
/// there is not a plain decimal it can do exactly (out untouched).
const char* scan_decimal(const char* p, const char* end, double& out) {
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const bool negative = p < end && *p == '-';
  if (negative) ++p;
  uint64_t m = 0;
  int digits = 0, exponent = 0;
  for (; p < end && *p >= '0' && *p <= '9'; ++p, ++digits)
    m = m * 10 + static_cast<uint64_t>(*p - '0');
  if (p < end && *p == '.') {
    ++p;
    for (; p < end && *p >= '0' && *p <= '9'; ++p, ++digits, --exponent)
      m = m * 10 + static_cast<uint64_t>(*p - '0');
  }
  if (digits == 0 || digits > 19) return nullptr;
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    const bool neg_exp = p < end && *p == '-';
    if (p < end && (*p == '-' || *p == '+')) ++p;
    int e = 0, e_digits = 0;
    for (; p < end && *p >= '0' && *p <= '9' && e < 10000; ++p, ++e_digits) e = e * 10 + (*p - '0');
    if (e_digits == 0) return nullptr;
    exponent += neg_exp ? -e : e;
  }
  if (m > (uint64_t{1} << 53) || exponent < -22 || exponent > 22) return nullptr;
  double v = static_cast<double>(m);
  v = exponent < 0 ? v / kPow10[-exponent] : v * kPow10[exponent];
  out = negative ? -v : v;
  return p;
}

bool parse_decimal_fast(std::string_view token, double& out) {
  const char* end = token.data() + token.size();
  double v;
  // scan_decimal returns nullptr for no number, which equals `end` for an empty view whose data()
  // is null (a trimmed blank cell): v would be left unset.
  const char* stop = scan_decimal(token.data(), end, v);
  if (stop == nullptr || stop != end) return false;
  out = v;
  return true;
}

bool CellCursor::next_number(std::string_view& cell, double& v, bool& parsed) {
  parsed = false;
  if (tabs_ && !done_ && pos_ < line_.size()) {
    const char* begin = line_.data() + pos_;
    const char* end = line_.data() + line_.size();
    const char* stop = scan_decimal(begin, end, v);
    if (stop && stop != begin && (stop == end || *stop == '\t')) {
      cell = std::string_view(begin, static_cast<std::size_t>(stop - begin));
      pos_ = static_cast<std::size_t>(stop - line_.data()) + 1;
      done_ = stop == end;
      parsed = true;
      return true;
    }
  }
  return next(cell);
}

// ---- SeriesBuilder -----------------------------------------------------------------------------

SeriesBuilder::SeriesBuilder(std::size_t channels, std::size_t expected_rows)
    : channels_(channels), expected_(expected_rows) {
  if (expected_ > 0) {
    out_.resize(channels_ * expected_);
    block_.resize(channels_ * kBlockRows);
  }
}

double* SeriesBuilder::add_row() {
  if (expected_ > 0 && rows_ >= expected_)
    throw Error("SeriesBuilder: more rows than the " + std::to_string(expected_) + " expected");
  ++rows_;
  if (expected_ == 0) {
    block_.resize(block_.size() + channels_);
    return block_.data() + block_.size() - channels_;
  }
  if (block_rows_ == kBlockRows) flush();
  return block_.data() + channels_ * block_rows_++;
}

void SeriesBuilder::flush() {
  for (std::size_t c = 0; c < channels_; ++c) {
    double* dst = out_.data() + c * expected_ + flushed_;
    const double* src = block_.data() + c;
    for (std::size_t r = 0; r < block_rows_; ++r) dst[r] = src[r * channels_];
  }
  flushed_ += block_rows_;
  block_rows_ = 0;
}

std::vector<double> SeriesBuilder::finish() {
  if (expected_ == 0) {  // transpose the row-major rows
    std::vector<double> out(block_.size());
    for (std::size_t r = 0; r < rows_; ++r)
      for (std::size_t c = 0; c < channels_; ++c) out[c * rows_ + r] = block_[r * channels_ + c];
    block_ = {};
    return out;
  }
  flush();
  if (rows_ < expected_) {  // fewer rows than announced: close the gaps, channel by channel
    for (std::size_t c = 1; c < channels_; ++c)
      std::copy(out_.begin() + static_cast<std::ptrdiff_t>(c * expected_),
                out_.begin() + static_cast<std::ptrdiff_t>(c * expected_ + rows_),
                out_.begin() + static_cast<std::ptrdiff_t>(c * rows_));
    out_.resize(channels_ * rows_);
    out_.shrink_to_fit();
  }
  block_ = {};
  return std::move(out_);
}

// ---- time --------------------------------------------------------------------------------------

int printed_decimals(std::string_view token) {
  token = trim(token);
  const std::size_t e = token.find_first_of("eE");
  const std::string_view mantissa = token.substr(0, e);
  const std::size_t dot = mantissa.find('.');
  int decimals = dot == std::string_view::npos ? 0 : static_cast<int>(mantissa.size() - dot - 1);
  if (e != std::string_view::npos) decimals -= std::atoi(std::string(token.substr(e + 1)).c_str());
  return decimals;
}

void UniformClock::add(double t, std::string_view token, std::size_t line) {
  if (!std::isfinite(t))
    fail_line(path_, line,
              "time column " + quote_token(column_) + ": expected a time, got " +
                  quote_token(trim(token)));
  times_.push_back(t);
  lines_.push_back(line);
  decimals_ = std::max(decimals_, printed_decimals(token));
}

double UniformClock::check() const {
  const std::size_t n = times_.size();
  if (n < 2) return 0;
  std::vector<double> steps(n - 1);
  for (std::size_t i = 1; i < n; ++i) {
    steps[i - 1] = times_[i] - times_[i - 1];
    if (!(steps[i - 1] > 0))
      fail_line(path_, lines_[i],
                "time column " + quote_token(column_) + " must increase: " +
                    std::to_string(times_[i - 1]) + " then " + std::to_string(times_[i]));
  }
  std::vector<double> sorted = steps;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2),
                   sorted.end());
  const double median = sorted[sorted.size() / 2];
  const double tol = 4 * 0.5 * std::pow(10.0, -std::min(decimals_, 300)) + 1e-6 * median;
  for (std::size_t i = 0; i < steps.size(); ++i)
    if (std::abs(steps[i] - median) > tol)
      fail_line(path_, lines_[i + 1],
                "time column " + quote_token(column_) + " is not uniform: step " +
                    std::to_string(steps[i]) + " from " + std::to_string(times_[i]) + " to " +
                    std::to_string(times_[i + 1]) + ", the usual step is " +
                    std::to_string(median) + " (within " + std::to_string(tol) + ")");
  return static_cast<double>(n - 1) / (times_.back() - times_.front());
}

}  // namespace swingpipe::io::detail
