// CSV: an optional header of channel names, an optional time column that gives the sample rate.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "swingpipe/error.hpp"
#include "swingpipe/host/io.hpp"
#include "text.hpp"

namespace swingpipe::io {

namespace {

using detail::fail_line;
using detail::quote_token;

/// Splits one CSV line into fields, honouring "quoted, fields" with "" escapes. Unquoted fields
/// are trimmed. False when a quote is not closed.
bool split_csv(std::string_view line, std::vector<std::string>& out) {
  out.clear();
  std::size_t i = 0;
  const std::size_t n = line.size();
  while (true) {
    while (i < n && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::string field;
    if (i < n && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= n) return false;
        if (line[i] == '"') {
          if (i + 1 < n && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += line[i++];
      }
      while (i < n && line[i] != ',') {
        if (line[i] != ' ' && line[i] != '\t') return false;  // text after the closing quote
        ++i;
      }
    } else {
      const std::size_t start = i;
      while (i < n && line[i] != ',') ++i;
      field = std::string(detail::trim(line.substr(start, i - start)));
    }
    out.push_back(std::move(field));
    if (i >= n) return true;
    ++i;  // the comma
  }
}

struct Header {
  std::vector<std::string> names;  ///< every column, time included
  int time_col = -1;
};

Header parse_header(const std::filesystem::path& path, std::size_t ln, std::string_view line,
                    const CsvOptions& opt) {
  Header h;
  if (!split_csv(line, h.names)) fail_line(path, ln, "unterminated quote in the header");
  std::set<std::string> seen;
  for (std::size_t c = 0; c < h.names.size(); ++c) {
    const auto& name = h.names[c];
    if (name.empty())
      fail_line(path, ln, "column " + std::to_string(c + 1) + " has an empty name in the header");
    if (!seen.insert(name).second)
      fail_line(path, ln, "duplicate column name " + quote_token(name) + " in the header");
    if (h.time_col < 0 && !opt.time_column.empty() && detail::iequals(name, opt.time_column))
      h.time_col = static_cast<int>(c);
  }
  return h;
}

/// Channel names that can be stored and written back (UTF-8, no control characters), and at
/// least one channel besides the time column.
void check_header(const std::filesystem::path& path, std::size_t ln, const Header& h) {
  for (const auto& name : h.names) {
    const std::string problem = detail::text_problem(name, "column name");
    if (!problem.empty()) fail_line(path, ln, problem);
  }
  if (h.names.size() == 1 && h.time_col == 0)
    fail_line(path, ln,
              "no channels: the only column is the time column " + quote_token(h.names[0]));
}

/// Sample rate from the time column; InputError (with the line) when it is not uniform.
double rate_from_times(const std::filesystem::path& path, const std::vector<double>& t,
                       const std::vector<std::size_t>& lines, const std::string& name) {
  const std::size_t n = t.size();
  if (!(t[n - 1] > t[0]))
    fail_line(path, lines[n - 1],
              "time column " + quote_token(name) + " must increase (first " + std::to_string(t[0]) +
                  ", last " + std::to_string(t[n - 1]) + ")");
  const double dt = (t[n - 1] - t[0]) / static_cast<double>(n - 1);
  for (std::size_t i = 1; i < n; ++i) {
    const double expected = t[0] + static_cast<double>(i) * dt;
    if (std::abs(t[i] - expected) > 1e-6 * dt)
      fail_line(path, lines[i],
                "time column " + quote_token(name) + " is not uniform: expected " +
                    std::to_string(expected) + " (step " + std::to_string(dt) +
                    ", within 1e-6 relative), got " + std::to_string(t[i]));
  }
  const double rate = static_cast<double>(n - 1) / (t[n - 1] - t[0]);
  if (!(std::isfinite(dt) && rate >= kMinSampleRate && rate <= kMaxSampleRate))
    fail_line(path, lines[n - 1],
              "time column " + quote_token(name) +
                  " gives no sample rate within [1e-06, 1e+09] Hz (first " + std::to_string(t[0]) +
                  ", last " + std::to_string(t[n - 1]) + ", " + std::to_string(n) + " rows)");
  return rate;
}

void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "nan";
    return;
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest form that round-trips
  out.append(buf, r.ptr);
}

void append_name(std::string& out, const std::string& name) {
  // Quoted: separators, quotes, surrounding blanks (trimmed when unquoted) and a leading byte
  // order mark (stripped at the start of a file).
  const bool quote = name.find_first_of(",\"\r\n") != std::string::npos || name.front() == ' ' ||
                     name.back() == ' ' || name.front() == '\t' || name.back() == '\t' ||
                     name.rfind("\xEF\xBB\xBF", 0) == 0;
  if (!quote) {
    out += name;
    return;
  }
  out += '"';
  for (char ch : name) {
    if (ch == '"') out += '"';
    out += ch;
  }
  out += '"';
}

/// True when every field reads as a number or a missing value: a data line, not a header.
bool all_numbers(const std::vector<std::string>& fields) {
  double v;
  return std::all_of(fields.begin(), fields.end(),
                     [&](const std::string& f) { return detail::parse_double(f, v); });
}

/// Channels "ch0", "ch1", ... for a file without a header.
Header numbered_header(std::size_t columns) {
  Header h;
  for (std::size_t c = 0; c < columns; ++c) h.names.push_back("ch" + std::to_string(c));
  return h;
}

}  // namespace

Recording parse_csv(std::string_view text, const std::filesystem::path& path,
                    const CsvOptions& opt) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte order mark
  detail::LineReader lines(text);
  std::string_view line;
  while (lines.next(line) && detail::is_blank(line)) {
  }
  if (detail::is_blank(line))
    throw InputError(path.string() + ": empty file (expected a header of channel names)");
  const std::size_t header_line = lines.line_number();
  std::vector<std::string> fields;
  bool header = opt.header == CsvHeader::present;
  if (opt.header == CsvHeader::automatic)
    header = !(split_csv(line, fields) && all_numbers(fields));
  if (!header && !split_csv(line, fields)) fail_line(path, header_line, "unterminated quote");
  const Header h =
      header ? parse_header(path, header_line, line, opt) : numbered_header(fields.size());
  check_header(path, header_line, h);
  if (!header) lines = detail::LineReader(text);  // the first line is data: read it again
  const std::size_t ncol = h.names.size();

  std::vector<std::vector<double>> cols(ncol);
  std::vector<std::size_t> row_lines;
  while (lines.next(line)) {
    if (detail::is_blank(line)) continue;
    const std::size_t ln = lines.line_number();
    if (!lines.line_ended() && detail::trim(line).back() == ',')
      fail_line(path, ln, "the file ends after a comma: the last line is cut off");
    if (!split_csv(line, fields)) fail_line(path, ln, "unterminated quote");
    if (fields.size() != ncol)
      fail_line(path, ln,
                "expected " + std::to_string(ncol) + " columns like the " +
                    (header ? "header" : "first line") + ", got " + std::to_string(fields.size()));
    for (std::size_t c = 0; c < ncol; ++c) {
      double v;
      const std::string problem = detail::parse_value(fields[c], opt.values, v);
      if (!problem.empty())
        fail_line(path, ln, "column " + quote_token(h.names[c]) + ": " + problem);
      if (static_cast<int>(c) == h.time_col && !std::isfinite(v))
        fail_line(path, ln,
                  "time column " + quote_token(h.names[c]) + ": expected a time, got " +
                      quote_token(fields[c]));
      cols[c].push_back(v);
    }
    row_lines.push_back(ln);
  }
  if (row_lines.empty())
    fail_line(path, header_line, "no rows of data after the header (expected at least one frame)");

  Recording rec;
  rec.meta.filename = path.filename().string();
  rec.meta.num_frames = static_cast<int64_t>(row_lines.size());
  rec.sample_rate = opt.sample_rate;
  if (h.time_col >= 0 && row_lines.size() >= 2)
    rec.sample_rate = rate_from_times(path, cols[h.time_col], row_lines, h.names[h.time_col]);
  rec.data.reserve(row_lines.size() * ncol);
  for (std::size_t c = 0; c < ncol; ++c) {
    if (static_cast<int>(c) == h.time_col) continue;
    rec.channels.push_back(h.names[c]);
    rec.data.insert(rec.data.end(), cols[c].begin(), cols[c].end());
  }
  detail::check_read(rec, path);
  return rec;
}

Recording read_csv(const std::filesystem::path& path, const CsvOptions& opt) {
  return parse_csv(detail::read_whole_file(path), path, opt);
}

std::string csv_text(const Recording& rec, const std::string& what) {
  validate(rec, what);
  const bool with_time = rec.sample_rate > 0;
  // A column named time (any case) is read back as the clock, with or without a sample rate.
  for (const auto& name : rec.channels)
    if (detail::iequals(name, "time"))
      throw InputError(what + ": channel " + quote_token(name) +
                       " clashes with the time column (CSV reads a column named time as the "
                       "clock; export to JSON or NPY instead)");
  // Without a time column, a header whose names all read as numbers would be read back as data.
  if (!with_time && all_numbers(rec.channels))
    throw InputError(what +
                     ": every channel name reads as a number, so CSV would read the header "
                     "back as data (export to JSON or NPY instead)");
  std::string out;
  if (with_time) out += "time";
  for (std::size_t c = 0; c < rec.channels.size(); ++c) {
    if (with_time || c > 0) out += ',';
    append_name(out, rec.channels[c]);
  }
  out += '\n';
  const int64_t n = rec.frames();
  const int nch = rec.channel_count();
  out.reserve(out.size() + static_cast<std::size_t>(n) * (nch + 1) * 24);
  for (int64_t t = 0; t < n; ++t) {
    if (with_time) append_number(out, static_cast<double>(t) / rec.sample_rate);
    for (int c = 0; c < nch; ++c) {
      if (with_time || c > 0) out += ',';
      append_number(out, rec.channel(c)[t]);
    }
    out += '\n';
  }
  return out;
}

void write_csv(const std::filesystem::path& path, const Recording& rec) {
  write_file_atomic(path, csv_text(rec, path.string()));
}

}  // namespace swingpipe::io
