// UCR 2018 `.tsv` and sktime/tsml `.ts` readers: one labelled Recording per series.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "swingpipe/error.hpp"
#include "swingpipe/host/io.hpp"
#include "text.hpp"

namespace swingpipe::io {

namespace {

using detail::fail_line;
using detail::quote_token;
using detail::trim;

Recording make_series(const std::filesystem::path& path, std::size_t row, std::string label,
                      std::vector<double> data, std::size_t dims, std::size_t length) {
  Recording rec;
  rec.meta.filename = path.stem().string() + "#" + std::to_string(row);
  rec.meta.label = std::move(label);
  rec.meta.num_frames = static_cast<int64_t>(length);
  for (std::size_t d = 0; d < dims; ++d) rec.channels.push_back("dim" + std::to_string(d));
  rec.data = std::move(data);
  return rec;
}

// ---- UCR .tsv ------------------------------------------------------------------------------

/// Fields of a UCR line. The separator is the line's own: a tab when it has one (the 2018
/// archive), else a comma (the older archive), else runs of spaces; blanks around a field are
/// trimmed. A comma inside a tab- or space-separated field is no separator (a decimal comma is
/// an error, not two numbers). Empty fields after the last value (a trailing separator) are
/// dropped: they are the end of the line, like NaN padding.
void split_ucr_fields(std::string_view line, std::vector<std::string_view>& out) {
  out.clear();
  const char sep = line.find('\t') != std::string_view::npos  ? '\t'
                   : line.find(',') != std::string_view::npos ? ','
                                                              : ' ';
  std::size_t i = 0;
  const std::size_t n = line.size();
  if (sep == ' ') {
    while (i < n) {
      while (i < n && line[i] == ' ') ++i;
      const std::size_t start = i;
      while (i < n && line[i] != ' ') ++i;
      if (i > start) out.push_back(line.substr(start, i - start));
    }
    return;
  }
  while (true) {
    const std::size_t end = line.find(sep, i);
    out.push_back(trim(line.substr(i, end == std::string_view::npos ? n - i : end - i)));
    if (end == std::string_view::npos) break;
    i = end + 1;
  }
  while (out.size() > 1 && out.back().empty()) out.pop_back();
}

std::vector<Recording> parse_ucr_tsv(std::string_view text, const std::filesystem::path& path,
                                     const ValueOptions& opt) {
  detail::LineReader lines(text);
  std::vector<Recording> out;
  std::vector<std::string_view> fields;
  std::string_view line;
  while (lines.next(line)) {
    if (detail::is_blank(line)) continue;
    const std::size_t ln = lines.line_number();
    split_ucr_fields(line, fields);
    const std::string_view label = trim(fields[0]);
    if (detail::is_missing(label))
      fail_line(path, ln, "expected a class label first, got " + quote_token(label));
    const std::string label_problem = detail::text_problem(label, "class label");
    if (!label_problem.empty()) fail_line(path, ln, label_problem);
    std::vector<double> values(fields.size() - 1);
    for (std::size_t k = 1; k < fields.size(); ++k) {
      const std::string problem = detail::parse_value(fields[k], opt, values[k - 1]);
      if (!problem.empty()) fail_line(path, ln, "value " + std::to_string(k) + ": " + problem);
    }
    while (!values.empty() && std::isnan(values.back())) values.pop_back();  // NaN padding
    if (values.empty())
      fail_line(path, ln, "series has no values (expected a class label, then the values)");
    const std::size_t length = values.size();
    out.push_back(make_series(path, out.size(), std::string(label), std::move(values), 1, length));
  }
  return out;
}

// ---- sktime .ts ----------------------------------------------------------------------------

struct TsHeader {
  bool has_label = false;
  std::vector<std::string> classes;  ///< declared by @classLabel true ...; empty = any
  std::optional<bool> univariate;
  std::optional<bool> equal_length;
  std::optional<std::size_t> series_length;
  std::optional<std::size_t> dimensions;
};

std::vector<std::string_view> split_words(std::string_view s) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) words.push_back(s.substr(start, i - start));
  }
  return words;
}

bool parse_bool(const std::filesystem::path& path, std::size_t ln, std::string_view key,
                const std::vector<std::string_view>& words) {
  if (words.size() >= 2 && detail::iequals(words[1], "true")) return true;
  if (words.size() >= 2 && detail::iequals(words[1], "false")) return false;
  fail_line(path, ln, std::string(key) + ": expected true or false");
}

std::size_t parse_count(const std::filesystem::path& path, std::size_t ln, std::string_view key,
                        const std::vector<std::string_view>& words) {
  std::size_t v = 0;
  if (words.size() >= 2) {
    const auto w = words[1];
    const auto [ptr, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
    if (ec == std::errc() && ptr == w.data() + w.size()) return v;
  }
  fail_line(path, ln, std::string(key) + ": expected a non-negative integer");
}

/// One header line (starting with '@'). Returns true at @data.
bool parse_ts_header_line(const std::filesystem::path& path, std::size_t ln, std::string_view line,
                          TsHeader& h) {
  const auto words = split_words(line);
  const std::string_view key = words[0];
  if (detail::iequals(key, "@data")) return true;
  if (detail::iequals(key, "@timeStamps")) {
    if (parse_bool(path, ln, key, words))
      fail_line(path, ln, "@timeStamps true is not supported (expected @timeStamps false)");
  } else if (detail::iequals(key, "@univariate")) {
    h.univariate = parse_bool(path, ln, key, words);
  } else if (detail::iequals(key, "@equalLength")) {
    h.equal_length = parse_bool(path, ln, key, words);
  } else if (detail::iequals(key, "@seriesLength")) {
    h.series_length = parse_count(path, ln, key, words);
  } else if (detail::iequals(key, "@dimensions") || detail::iequals(key, "@dimension")) {
    h.dimensions = parse_count(path, ln, key, words);
  } else if (detail::iequals(key, "@classLabel") || detail::iequals(key, "@targetLabel")) {
    h.has_label = parse_bool(path, ln, key, words);
    h.classes.clear();
    if (h.has_label && detail::iequals(key, "@classLabel"))
      for (std::size_t k = 2; k < words.size(); ++k) {
        const std::string problem = detail::text_problem(words[k], "class label");
        if (!problem.empty()) fail_line(path, ln, problem);
        h.classes.emplace_back(words[k]);
      }
  }
  // @problemName, @missing and other keywords carry nothing we need.
  return false;
}

/// Splits a data row into its ':'-separated parts.
void split_parts(std::string_view line, std::vector<std::string_view>& parts) {
  parts.clear();
  std::size_t start = 0;
  while (true) {
    const auto colon = line.find(':', start);
    if (colon == std::string_view::npos) {
      parts.push_back(line.substr(start));
      return;
    }
    parts.push_back(line.substr(start, colon - start));
    start = colon + 1;
  }
}

/// Appends the comma-separated values of one dimension; returns how many.
std::size_t parse_dimension(const std::filesystem::path& path, std::size_t ln, std::size_t dim,
                            std::string_view text, const ValueOptions& opt,
                            std::vector<double>& out) {
  if (detail::is_blank(text))
    fail_line(path, ln, "dimension " + std::to_string(dim) + " has no values");
  std::size_t count = 0;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    const auto token =
        text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
    double v;
    std::string problem = detail::parse_value(token, opt, v);
    if (!problem.empty() && detail::classify_value(token, v) == detail::ValueStatus::not_a_number)
      problem = "expected a number or '?', got " + quote_token(trim(token));
    if (!problem.empty())
      fail_line(path, ln,
                "dimension " + std::to_string(dim) + ", value " + std::to_string(count + 1) + ": " +
                    problem);
    out.push_back(v);
    ++count;
    if (comma == std::string_view::npos) return count;
    start = comma + 1;
  }
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

Recording parse_ts_row(const std::filesystem::path& path, std::size_t ln, std::string_view line,
                       const TsHeader& h, const ValueOptions& opt,
                       std::optional<std::size_t>& dims_seen, std::size_t row) {
  std::vector<std::string_view> parts;
  split_parts(line, parts);
  std::string label;
  if (h.has_label) {
    if (parts.size() < 2)
      fail_line(path, ln, "missing class label (expected values, then ':' and the label)");
    label = std::string(trim(parts.back()));
    parts.pop_back();
    if (label.empty()) fail_line(path, ln, "missing class label after the last ':'");
    const std::string problem = detail::text_problem(label, "class label");
    if (!problem.empty()) fail_line(path, ln, problem);
    if (!h.classes.empty() &&
        std::find(h.classes.begin(), h.classes.end(), label) == h.classes.end())
      fail_line(path, ln,
                "class label " + quote_token(label) + " is not declared by @classLabel " +
                    detail::quote_token(join(h.classes)));
  }
  const std::size_t dims = parts.size();
  if (h.univariate.value_or(false) && dims != 1)
    fail_line(path, ln,
              std::to_string(dims) + " dimensions in a file declared @univariate true" +
                  (h.has_label ? "" : " (is @classLabel missing?)"));
  if (h.dimensions && dims != *h.dimensions)
    fail_line(path, ln,
              "expected " + std::to_string(*h.dimensions) + " dimensions (@dimensions), got " +
                  std::to_string(dims));
  if (dims_seen && dims != *dims_seen)
    fail_line(path, ln,
              "expected " + std::to_string(*dims_seen) + " dimensions like the first row, got " +
                  std::to_string(dims));
  dims_seen = dims;
  std::vector<double> data;
  std::size_t length = 0;
  for (std::size_t d = 0; d < dims; ++d) {
    const std::size_t n = parse_dimension(path, ln, d, parts[d], opt, data);
    if (d == 0) length = n;
    if (n != length)
      fail_line(path, ln,
                "dimension " + std::to_string(d) + " has " + std::to_string(n) +
                    " values, dimension 0 has " + std::to_string(length) +
                    " (expected equal lengths within a row)");
  }
  if (h.equal_length.value_or(false) && h.series_length && length != *h.series_length)
    fail_line(path, ln,
              "expected " + std::to_string(*h.series_length) + " values (@seriesLength), got " +
                  std::to_string(length));
  return make_series(path, row, std::move(label), std::move(data), dims, length);
}

std::vector<Recording> parse_sktime_ts(std::string_view text, const std::filesystem::path& path,
                                       const ValueOptions& opt) {
  detail::LineReader lines(text);
  TsHeader header;
  bool in_data = false;
  std::optional<std::size_t> dims_seen;
  std::vector<Recording> out;
  std::string_view line;
  while (lines.next(line)) {
    const std::string_view t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    const std::size_t ln = lines.line_number();
    if (!in_data) {
      if (t[0] != '@')
        fail_line(path, ln,
                  "expected a '@' header line or '#' comment before @data, got " + quote_token(t));
      in_data = parse_ts_header_line(path, ln, t, header);
      continue;
    }
    out.push_back(parse_ts_row(path, ln, t, header, opt, dims_seen, out.size()));
  }
  if (!in_data)
    throw InputError(path.string() + ": no @data line (expected a header ending with @data)");
  return out;
}

}  // namespace

std::vector<Recording> parse_labelled(std::string_view text, const std::filesystem::path& path,
                                      const ValueOptions& values) {
  const Format f = format_from_path(path);
  std::vector<Recording> out;
  if (f == Format::ucr_tsv)
    out = parse_ucr_tsv(text, path, values);
  else if (f == Format::sktime_ts)
    out = parse_sktime_ts(text, path, values);
  else
    throw InputError(path.string() + ": expected a UCR .tsv or sktime .ts file for labelled data");
  if (out.empty()) throw InputError(path.string() + ": no series (expected at least one)");
  for (const auto& rec : out) detail::check_read(rec, path);
  return out;
}

std::vector<Recording> read_labelled(const std::filesystem::path& path,
                                     const ValueOptions& values) {
  const Format f = format_from_path(path);  // a wrong extension fails before the file is read
  if (f != Format::ucr_tsv && f != Format::sktime_ts)
    throw InputError(path.string() + ": expected a UCR .tsv or sktime .ts file for labelled data");
  return parse_labelled(detail::read_whole_file(path), path, values);
}

}  // namespace swingpipe::io
