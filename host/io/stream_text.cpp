#include "stream_text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

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
  std::size_t scanned = pos_;
  while (true) {
    const std::size_t end = buf_.find_first_of("\r\n", scanned);
    if (end != std::string::npos) {
      if (buf_[end] == '\r' && end + 1 == buf_.size() && read_ < file_->size()) {
        scanned = end - pos_;  // a \r at the end of the chunk: is a \n next?
        fill();
        scanned += pos_;
        continue;
      }
      std::size_t next = end + 1;
      if (buf_[end] == '\r' && next < buf_.size() && buf_[next] == '\n') ++next;
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
