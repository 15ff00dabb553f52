#include "text.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>

namespace swingpipe::io::detail {

namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

std::string read_whole_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw NotFoundError(path.string() + ": no such file");
  if (std::filesystem::is_directory(path, ec))
    throw InputError(path.string() + ": is a folder, expected a file");
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) throw InputError(path.string() + ": cannot open: " + std::strerror(errno));
  std::string out;
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) out.append(buf, n);
  if (std::ferror(f.get()))
    throw InputError(path.string() + ": read failed: " + std::strerror(errno));
  return out;
}

void fail_line(const std::filesystem::path& path, std::size_t line, const std::string& what) {
  throw InputError(path.string() + ":" + std::to_string(line) + ": " + what);
}

void fail_byte(const std::filesystem::path& path, std::size_t offset, const std::string& what) {
  throw InputError(path.string() + ": byte " + std::to_string(offset) + ": " + what);
}

bool LineReader::next(std::string_view& line) {
  if (pos_ >= text_.size()) return false;
  std::size_t end = text_.find('\n', pos_);
  std::size_t next = end == std::string_view::npos ? text_.size() : end + 1;
  if (end == std::string_view::npos) end = text_.size();
  if (end > pos_ && text_[end - 1] == '\r') --end;
  line = text_.substr(pos_, end - pos_);
  pos_ = next;
  ++line_;
  return true;
}

std::string_view trim(std::string_view s) {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
  };
  std::size_t b = 0, e = s.size();
  while (b < e && space(s[b])) ++b;
  while (e > b && space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

bool is_blank(std::string_view s) {
  return trim(s).empty();
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool is_missing(std::string_view token) {
  token = trim(token);
  return token.empty() || token == "?" || iequals(token, "nan");
}

bool parse_double(std::string_view token, double& out) {
  token = trim(token);
  if (is_missing(token)) {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (token.size() > 1 && token[0] == '+' && token[1] != '-') token.remove_prefix(1);
  if (parse_decimal_fast(token, out)) return true;
  const char* first = token.data();
  const char* last = first + token.size();
  const auto [ptr, ec] = std::from_chars(first, last, out);
  return ec == std::errc() && ptr == last;
}

bool parse_decimal_fast(std::string_view token, double& out) {
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const char* p = token.data();
  const char* end = p + token.size();
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
  if (digits == 0 || digits > 19) return false;
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    const bool neg_exp = p < end && *p == '-';
    if (p < end && (*p == '-' || *p == '+')) ++p;
    int e = 0, e_digits = 0;
    for (; p < end && *p >= '0' && *p <= '9' && e < 10000; ++p, ++e_digits) e = e * 10 + (*p - '0');
    if (e_digits == 0) return false;
    exponent += neg_exp ? -e : e;
  }
  if (p != end || m > (uint64_t{1} << 53) || exponent < -22 || exponent > 22) return false;
  double v = static_cast<double>(m);
  v = exponent < 0 ? v / kPow10[-exponent] : v * kPow10[exponent];
  out = negative ? -v : v;
  return true;
}

std::string quote_token(std::string_view token) {
  constexpr std::size_t max_len = 40;
  if (token.size() <= max_len) return "'" + std::string(token) + "'";
  return "'" + std::string(token.substr(0, max_len)) + "...'";
}

}  // namespace swingpipe::io::detail
