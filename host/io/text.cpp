#include "text.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
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
  const char* ws = " \t\r\n\f\v";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
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
  const char* first = token.data();
  const char* last = first + token.size();
  const auto [ptr, ec] = std::from_chars(first, last, out);
  return ec == std::errc() && ptr == last;
}

std::string quote_token(std::string_view token) {
  constexpr std::size_t max_len = 40;
  if (token.size() <= max_len) return "'" + std::string(token) + "'";
  return "'" + std::string(token.substr(0, max_len)) + "...'";
}

}  // namespace swingpipe::io::detail
