#include "text.hpp"

#include <cerrno>
#include <charconv>
#include <clocale>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>

#include "swingpipe/host/untrusted.hpp"

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
  std::size_t end = text_.find_first_of("\r\n", pos_);
  std::size_t next;
  ended_ = end != std::string_view::npos;
  if (!ended_) {
    end = next = text_.size();
  } else {
    next = end + 1;
    if (text_[end] == '\r' && next < text_.size() && text_[next] == '\n') ++next;
  }
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

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// strtod in the "C" locale (a decimal point, whatever the process locale says).
double strtod_c(const std::string& s) {
  static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", locale_t{});
  return strtod_l(s.c_str(), nullptr, c_locale);
}

}  // namespace

ValueStatus classify_value(std::string_view token, double& out) {
  token = trim(token);
  out = kNaN;
  if (token.empty()) return ValueStatus::empty;
  if (is_missing(token)) return ValueStatus::missing;
  if (token.size() > 1 && token[0] == '+' && token[1] != '-') token.remove_prefix(1);
  const char* first = token.data();
  const char* last = first + token.size();
  double v = 0;
  const auto [ptr, ec] = std::from_chars(first, last, v);
  if (ptr != last || (ec != std::errc() && ec != std::errc::result_out_of_range))
    return ValueStatus::not_a_number;
  if (ec == std::errc::result_out_of_range) {
    // from_chars refuses both overflow and underflow; strtod rounds an underflow to the nearest
    // subnormal or zero (that is the value) and an overflow to +-HUGE_VAL (there is none).
    v = strtod_c(std::string(token));
    if (std::isinf(v)) return ValueStatus::out_of_range;
  }
  if (std::isnan(v)) return ValueStatus::missing;  // "nan(...)", "-nan"
  out = v;
  return std::isinf(v) ? ValueStatus::infinite : ValueStatus::number;
}

bool parse_double(std::string_view token, double& out) {
  switch (classify_value(token, out)) {
    case ValueStatus::number:
    case ValueStatus::missing:
    case ValueStatus::empty:
    case ValueStatus::infinite:
      return true;
    case ValueStatus::out_of_range:
    case ValueStatus::not_a_number:
      break;
  }
  return false;
}

std::string parse_value(std::string_view token, const ValueOptions& opt, double& out) {
  switch (classify_value(token, out)) {
    case ValueStatus::number:
    case ValueStatus::missing:
      return {};
    case ValueStatus::empty:
      if (opt.empty_is_missing) return {};
      return "empty field (write nan for a missing value, or pass --empty-as-nan)";
    case ValueStatus::infinite:
      if (opt.allow_infinite) return {};
      return "infinite value " + quote_token(trim(token)) +
             " (+-inf is an error unless asked for with --allow-inf; nan means missing)";
    case ValueStatus::out_of_range:
      return quote_token(trim(token)) + " is outside the float64 range";
    case ValueStatus::not_a_number:
      break;
  }
  std::string what = "expected a number, got " + quote_token(trim(token));
  if (token.find(',') != std::string_view::npos) what += " (a decimal comma? write 0.5, not 0,5)";
  return what;
}

std::string check_binary_value(double& v, const ValueOptions& opt) {
  if (std::isnan(v)) {
    v = kNaN;
    return {};
  }
  if (std::isinf(v) && !opt.allow_infinite)
    return std::string("infinite value ") + (v > 0 ? "inf" : "-inf") +
           " (+-inf is an error unless asked for with --allow-inf; nan means missing)";
  return {};
}

std::string quote_token(std::string_view token) {
  return quote_input(token);
}

std::string text_problem(std::string_view text, const std::string& what) {
  const auto bad = invalid_utf8_at(text);
  if (bad != std::string_view::npos)
    return what + " " + quote_input(text) + " is not valid UTF-8 (byte " + std::to_string(bad) +
           " of it)";
  const auto ctl = control_char_at(text);
  if (ctl != std::string_view::npos)
    return what + " " + quote_input(text) + " contains a control character (byte " +
           std::to_string(ctl) + " of it)";
  return {};
}

void check_read(const Recording& rec, const std::filesystem::path& path) {
  const std::string where = path.string();
  if (rec.channels.empty()) throw InputError(where + ": no channels (expected at least one)");
  if (rec.meta.num_frames < 1) throw InputError(where + ": no frames (expected at least one)");
  if (rec.channels.size() > kMaxChannels)
    throw InputError(where + ": " + std::to_string(rec.channels.size()) + " channels (at most " +
                     std::to_string(kMaxChannels) + " are supported)");
  validate(rec, where);
  auto fail_if = [&](const std::string& problem) {
    if (!problem.empty()) throw InputError(where + ": " + problem);
  };
  fail_if(text_problem(rec.meta.filename, "filename"));
  fail_if(text_problem(rec.meta.label, "label"));
  for (const auto& name : rec.channels) fail_if(text_problem(name, "channel name"));
  const auto& m = rec.meta;
  for (const std::string* text : {&m.golfer_name, &m.date_recorded, &m.club_type, &m.model_name,
                                  &m.swing_type, &m.notes, &m.checksum})
    if (!is_valid_utf8(*text))
      throw InputError(where + ": metadata text " + quote_input(*text) + " is not valid UTF-8");
  for (const auto& tag : m.tags) fail_if(text_problem(tag, "tag"));
  for (const auto& [name, value] : m.attributes) {
    fail_if(text_problem(name, "attribute name"));
    if (!is_valid_utf8(value))
      throw InputError(where + ": attribute " + quote_input(name) + " value " + quote_input(value) +
                       " is not valid UTF-8");
  }
  for (const auto& unit : rec.units) fail_if(text_problem(unit, "unit"));
}

}  // namespace swingpipe::io::detail
