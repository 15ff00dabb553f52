// OpenSim text formats: storage files (.mot, .sto; header versions 1 to 3 and SIMM-style) and
// marker trajectories (.trc). Both are streamed line by line (stream_text.hpp).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "stream_text.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/io.hpp"
#include "text.hpp"

namespace swingpipe::io {

namespace {

using detail::fail_line;
using detail::iequals;
using detail::quote_token;
using detail::trim;

std::optional<std::size_t> parse_count(std::string_view s) {
  s = trim(s);
  std::size_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

/// Parses a data cell (already trimmed); InputError naming the line and the column otherwise.
/// NaN (any spelling) and a blank cell are missing; +-inf is refused unless `values` allows it.
double cell_value(const detail::StreamLines& in, std::string_view cell, const std::string& column,
                  const ValueOptions& values) {
  double v;
  if (detail::parse_decimal_fast(cell, v)) return v;  // the common case
  if (!detail::parse_double(cell, v))
    fail_line(in.path(), in.line_number(),
              "column " + quote_token(column) + ": expected a number, got " + quote_token(cell));
  const std::string problem = detail::check_binary_value(v, values);
  if (!problem.empty())
    fail_line(in.path(), in.line_number(), "column " + quote_token(column) + ": " + problem);
  return v;
}

/// Drops trailing empty cells beyond `expected` (a trailing tab); the rest must number `expected`.
void check_cells(const detail::StreamLines& in, std::vector<std::string_view>& cells,
                 std::size_t expected, const char* what) {
  while (cells.size() > expected && cells.back().empty()) cells.pop_back();
  if (cells.size() != expected)
    fail_line(in.path(), in.line_number(),
              "expected " + std::to_string(expected) + " " + what + ", got " +
                  std::to_string(cells.size()) +
                  (in.terminated() ? "" : " (the last line is cut short: truncated file?)"));
}

/// A row count announced by a header must fit in the file (each cell takes at least one byte), so
/// that a corrupt count cannot ask for more memory than the data could fill.
void check_announced_rows(const detail::StreamLines& in, std::size_t line, const char* key,
                          std::size_t rows, std::size_t cells) {
  if (rows > 0 && rows > in.file_size() / std::max<std::size_t>(1, cells))
    fail_line(in.path(), line,
              std::string(key) + " " + std::to_string(rows) + " rows of " + std::to_string(cells) +
                  " cells cannot fit in a file of " + std::to_string(in.file_size()) + " bytes");
}

std::vector<std::string> unique_names(const detail::StreamLines& in,
                                      const std::vector<std::string_view>& cells) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (cells[i].empty())
      fail_line(in.path(), in.line_number(), "column " + std::to_string(i + 1) + " has no name");
    for (const auto& n : names)
      if (n == cells[i])
        fail_line(in.path(), in.line_number(), "duplicate column name " + quote_token(cells[i]));
    names.emplace_back(cells[i]);
  }
  return names;
}

// ---- .mot / .sto -------------------------------------------------------------------------------

struct StorageHeader {
  std::string name;  ///< the first line, when it is not a key
  std::optional<std::size_t> rows, columns;
  std::optional<double> data_rate;
  std::string notes;
  std::map<std::string, std::string> attributes;
};

/// Header lines up to `endheader`: "key=value" (versions 1-3), "key value" (SIMM: datacolumns,
/// datarows, range, name, otherdata) and free text (kept as notes).
StorageHeader read_storage_header(detail::StreamLines& in) {
  StorageHeader h;
  std::string_view line;
  bool first = true;
  while (in.next(line)) {
    const std::string_view t = trim(line);
    if (iequals(t, "endheader")) return h;
    if (t.empty()) continue;
    const std::size_t eq = t.find('=');
    std::string key, value;
    if (eq != std::string_view::npos) {
      key = std::string(trim(t.substr(0, eq)));
      value = std::string(trim(t.substr(eq + 1)));
    } else if (first) {
      h.name = std::string(t);
      first = false;
      continue;
    } else {
      const std::size_t sp = t.find_first_of(" \t");
      const std::string_view word = t.substr(0, sp);
      static constexpr std::string_view kSimm[] = {"name", "datacolumns", "datarows", "range",
                                                   "otherdata"};
      if (sp != std::string_view::npos &&
          std::any_of(std::begin(kSimm), std::end(kSimm),
                      [&](std::string_view k) { return iequals(k, word); })) {
        key = std::string(word);
        value = std::string(trim(t.substr(sp)));
      } else {
        h.notes += (h.notes.empty() ? "" : "\n") + std::string(t);
        first = false;
        continue;
      }
    }
    first = false;
    auto count = [&](std::optional<std::size_t>& out) {
      out = parse_count(value);
      if (!out)
        fail_line(in.path(), in.line_number(),
                  key + ": expected a whole number, got " + quote_token(value));
    };
    if (iequals(key, "nRows") || iequals(key, "datarows")) {
      count(h.rows);
    } else if (iequals(key, "nColumns") || iequals(key, "datacolumns")) {
      count(h.columns);
    } else if (iequals(key, "DataRate")) {
      double r;
      if (!detail::parse_double(value, r) || !(r > 0))
        fail_line(in.path(), in.line_number(),
                  "DataRate: expected a rate > 0, got " + quote_token(value));
      h.data_rate = r;
    } else if (iequals(key, "name") && h.name.empty()) {
      h.name = value;
    }
    h.attributes[key] = value;
  }
  throw InputError(in.path().string() +
                   ": no 'endheader' line (expected a header ending with "
                   "endheader, then the column names)");
}

/// Components of a cell: "a,b,c,d" (a vector or quaternion) gives 4; a plain number gives 1.
std::size_t components(std::string_view cell) {
  return static_cast<std::size_t>(std::count(cell.begin(), cell.end(), ',')) + 1;
}

Recording read_storage(const std::filesystem::path& path, const TableOptions& opt) {
  detail::StreamLines in(path);
  StorageHeader h = read_storage_header(in);
  std::string_view line;
  std::vector<std::string_view> cells;
  while (in.next(line) && detail::is_blank(line)) {
  }
  if (detail::is_blank(line)) throw InputError(path.string() + ": no column names after endheader");
  detail::split_cells(line, cells);
  while (!cells.empty() && cells.back().empty()) cells.pop_back();
  const std::vector<std::string> names = unique_names(in, cells);
  if (h.columns && *h.columns != names.size())
    fail_line(path, in.line_number(),
              std::to_string(names.size()) + " column names, but the header says " +
                  std::to_string(*h.columns) + " columns");
  const bool has_time = !opt.time_column.empty() && iequals(names[0], opt.time_column);
  const std::size_t first_data = has_time ? 1 : 0;

  std::vector<std::size_t> width;  // components per column, from the first row
  std::optional<detail::SeriesBuilder> series;
  detail::UniformClock clock(path, names[0]);
  std::vector<std::string> channels;
  while (in.next(line)) {
    if (detail::is_blank(line)) continue;
    detail::split_cells(line, cells);
    check_cells(in, cells, names.size(), "columns like the column names");
    if (!series) {
      for (std::size_t c = first_data; c < names.size(); ++c) {
        width.push_back(components(cells[c]));
        if (width.back() == 1) {
          channels.push_back(names[c]);
        } else {
          for (std::size_t k = 0; k < width.back(); ++k)
            channels.push_back(names[c] + "_" + std::to_string(k));
        }
      }
      if (h.rows) check_announced_rows(in, in.line_number(), "nRows", *h.rows, names.size());
      series.emplace(channels.size(), h.rows.value_or(0));
    }
    if (h.rows && series->rows() == *h.rows)
      fail_line(path, in.line_number(),
                "more data rows than the " + std::to_string(*h.rows) +
                    " the header announces (nRows/datarows)");
    if (has_time)
      clock.add(cell_value(in, cells[0], names[0], opt.values), cells[0], in.line_number());
    double* row = series->add_row();
    for (std::size_t c = first_data; c < names.size(); ++c) {
      const std::size_t w = width[c - first_data];
      const std::string_view cell = cells[c];
      if (components(cell) != w)
        fail_line(path, in.line_number(),
                  "column " + quote_token(names[c]) + ": expected " + std::to_string(w) +
                      " comma-separated values like the first row, got " + quote_token(cell));
      std::size_t start = 0;
      for (std::size_t k = 0; k < w; ++k) {
        const std::size_t comma = cell.find(',', start);
        *row++ = cell_value(in, cell.substr(start, comma - start), names[c], opt.values);
        start = comma + 1;
      }
    }
  }
  const std::size_t rows = series ? series->rows() : 0;
  if (h.rows && rows != *h.rows)
    throw InputError(path.string() + ": " + std::to_string(rows) +
                     " data rows, but the header "
                     "announces " +
                     std::to_string(*h.rows) + " (nRows/datarows): truncated file?");
  if (!series)
    throw InputError(path.string() +
                     ": no data rows after the column names (expected at least "
                     "one)");

  Recording rec;
  rec.meta.filename = path.filename().string();
  rec.meta.num_frames = static_cast<int64_t>(rows);
  rec.meta.notes = h.notes;
  rec.meta.attributes = std::move(h.attributes);
  rec.meta.attributes["format"] = "OpenSim storage";
  if (!h.name.empty()) rec.meta.attributes["trial"] = h.name;
  if (has_time && rows > 0) rec.meta.attributes["start_time"] = std::to_string(clock.first());
  const double clock_rate = has_time ? clock.check() : 0;
  rec.sample_rate = clock_rate > 0        ? clock_rate
                    : opt.sample_rate > 0 ? opt.sample_rate
                                          : h.data_rate.value_or(0);
  rec.channels = std::move(channels);
  rec.data = series->finish();
  detail::check_read(rec, path);
  return rec;
}

// ---- .trc --------------------------------------------------------------------------------------

struct TrcHeader {
  std::size_t markers = 0;
  std::optional<std::size_t> frames;
  std::optional<double> data_rate;
  std::string units;
  std::vector<std::string> marker_names;
  std::map<std::string, std::string> attributes;
};

void next_header_line(detail::StreamLines& in, std::string_view& line, const char* what) {
  if (!in.next(line))
    throw InputError(in.path().string() + ":" + std::to_string(in.line_number() + 1) +
                     ": the file ends before " + what + " (a .trc header has 5 lines)");
}

std::vector<std::string_view> non_empty(std::vector<std::string_view> cells) {
  cells.erase(std::remove_if(cells.begin(), cells.end(), [](auto c) { return c.empty(); }),
              cells.end());
  return cells;
}

TrcHeader read_trc_header(detail::StreamLines& in) {
  TrcHeader h;
  std::string_view line;
  std::vector<std::string_view> cells;
  next_header_line(in, line, "the PathFileType line");
  detail::split_cells(line, cells);
  if (cells.empty() || !iequals(cells[0], "PathFileType"))
    fail_line(in.path(), 1,
              "not a .trc file: expected 'PathFileType' first, got " + quote_token(trim(line)));
  if (cells.size() > 3) h.attributes["trial"] = std::string(cells[3]);
  next_header_line(in, line, "the header keys (DataRate, NumFrames, NumMarkers, ...)");
  detail::split_cells(line, cells);
  const auto keys = non_empty(cells);
  next_header_line(in, line, "the header values");
  detail::split_cells(line, cells);
  const auto values = non_empty(cells);
  if (keys.size() != values.size())
    fail_line(in.path(), 3,
              std::to_string(values.size()) + " header values for " + std::to_string(keys.size()) +
                  " keys on line 2");
  bool have_markers = false;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::string key(keys[i]);
    const std::string value(values[i]);
    h.attributes[key] = value;
    if (iequals(key, "NumMarkers") || iequals(key, "NumFrames")) {
      const auto n = parse_count(value);
      if (!n) fail_line(in.path(), 3, key + ": expected a whole number, got " + quote_token(value));
      if (iequals(key, "NumMarkers")) {
        h.markers = *n;
        have_markers = true;
      } else {
        h.frames = *n;
      }
    } else if (iequals(key, "DataRate")) {
      double r;
      if (detail::parse_double(value, r) && r > 0) h.data_rate = r;
    } else if (iequals(key, "Units")) {
      h.units = value;
    }
  }
  if (!have_markers) fail_line(in.path(), 2, "no NumMarkers key in the header");
  next_header_line(in, line, "the marker names");
  detail::split_cells(line, cells);
  const auto names = non_empty(cells);
  if (names.size() < 2 || !iequals(names[0], "Frame#") || !iequals(names[1], "Time"))
    fail_line(in.path(), 4, "expected 'Frame#', 'Time', then the marker names");
  if (names.size() - 2 != h.markers)
    fail_line(in.path(), 4,
              std::to_string(names.size() - 2) + " marker names, but NumMarkers is " +
                  std::to_string(h.markers));
  for (std::size_t i = 2; i < names.size(); ++i) {
    const std::string name(names[i]);
    if (std::find(h.marker_names.begin(), h.marker_names.end(), name) != h.marker_names.end())
      fail_line(in.path(), 4, "duplicate marker name " + quote_token(name));
    h.marker_names.push_back(name);
  }
  next_header_line(in, line, "the X1 Y1 Z1 ... line");
  detail::split_cells(line, cells);
  const auto xyz = non_empty(cells);
  if (xyz.size() != 3 * h.markers)
    fail_line(in.path(), 5,
              std::to_string(xyz.size()) + " coordinate labels (X1 Y1 Z1 ...), expected " +
                  std::to_string(3 * h.markers) + " for " + std::to_string(h.markers) + " markers");
  return h;
}

std::vector<std::size_t> chosen_markers(const std::filesystem::path& path, const TrcHeader& h,
                                        const std::vector<std::string>& wanted) {
  std::vector<std::size_t> out;
  if (wanted.empty()) {
    for (std::size_t m = 0; m < h.markers; ++m) out.push_back(m);
    return out;
  }
  for (const auto& w : wanted) {
    const auto it = std::find(h.marker_names.begin(), h.marker_names.end(), w);
    if (it == h.marker_names.end())
      throw InputError(path.string() + ": --markers: no marker named " + quote_token(w) +
                       " (the file has " + std::to_string(h.markers) + " markers)");
    const auto m = static_cast<std::size_t>(it - h.marker_names.begin());
    if (std::find(out.begin(), out.end(), m) != out.end())
      throw InputError(path.string() + ": --markers names " + quote_token(w) + " twice");
    out.push_back(m);
  }
  return out;
}

}  // namespace

Recording read_opensim_storage(const std::filesystem::path& path, const TableOptions& opt) {
  return read_storage(path, opt);
}

Recording read_trc(const std::filesystem::path& path, const TableOptions& opt) {
  detail::StreamLines in(path);
  TrcHeader h = read_trc_header(in);
  const auto keep = chosen_markers(path, h, opt.markers);
  const bool clocked = !opt.time_column.empty() && iequals(opt.time_column, "Time");
  const std::size_t first = clocked ? 0 : 1;  // without a clock, channel 0 is "Time"
  std::vector<std::string> channels;
  if (!clocked) channels.push_back("Time");
  for (std::size_t m : keep)
    for (const char* axis : {"_x", "_y", "_z"}) channels.push_back(h.marker_names[m] + axis);
  if (h.frames) check_announced_rows(in, 3, "NumFrames", *h.frames, 2 + 3 * h.markers);
  detail::SeriesBuilder series(channels.size(), h.frames.value_or(0));
  detail::UniformClock clock(path, "Time");
  const std::size_t expected = 2 + 3 * h.markers;
  // Where each marker cell of a row goes in the output row (-1: a marker not kept).
  std::vector<int> slot(3 * h.markers, -1);
  for (std::size_t k = 0; k < keep.size(); ++k)
    for (std::size_t a = 0; a < 3; ++a) slot[3 * keep[k] + a] = static_cast<int>(first + 3 * k + a);
  std::string first_frame;
  std::string_view line, cell;
  while (in.next(line)) {
    if (detail::is_blank(line)) continue;
    if (h.frames && series.rows() == *h.frames)
      fail_line(path, in.line_number(),
                "more data rows than NumFrames (" + std::to_string(*h.frames) + ")");
    // One pass over the cells: Frame#, Time, then X, Y, Z per marker; trailing blank cells (a
    // final tab) are allowed, anything else past the last marker is an error.
    detail::CellCursor cells(line);
    double* row = series.add_row();
    std::size_t n = 0;
    bool extra = false;
    double v;
    bool parsed;
    while (cells.next_number(cell, v, parsed)) {
      if (n >= expected) {
        extra |= !cell.empty();
      } else if (n >= 2) {
        const int at = slot[n - 2];
        if (at >= 0)
          row[at] =
              parsed ? v : cell_value(in, cell, channels[static_cast<std::size_t>(at)], opt.values);
      } else if (n == 1) {
        if (clocked)
          clock.add(cell_value(in, cell, "Time", opt.values), cell, in.line_number());
        else
          row[0] = cell_value(in, cell, "Time", opt.values);
      } else if (first_frame.empty()) {
        first_frame = std::string(cell);
      }
      n += !(n >= expected && cell.empty());
    }
    if (n != expected || extra)
      fail_line(path, in.line_number(),
                "expected " + std::to_string(expected) +
                    " cells (Frame#, Time and X, Y, Z per marker), got " + std::to_string(n) +
                    (in.terminated() ? "" : " (the last line is cut short: truncated file?)"));
  }
  if (series.rows() == 0)
    throw InputError(path.string() + ": no data rows after the header (expected at least one)");
  if (h.frames && series.rows() != *h.frames)
    throw InputError(path.string() + ": " + std::to_string(series.rows()) +
                     " data rows, but NumFrames is " + std::to_string(*h.frames) +
                     " (line 3): truncated file?");
  Recording rec;
  rec.meta.filename = path.filename().string();
  rec.meta.num_frames = static_cast<int64_t>(series.rows());
  rec.meta.attributes = std::move(h.attributes);
  rec.meta.attributes["format"] = "TRC";
  if (!first_frame.empty()) rec.meta.attributes["first_frame"] = first_frame;
  if (clock.count() > 0) rec.meta.attributes["start_time"] = std::to_string(clock.first());
  const double clock_rate = clocked ? clock.check() : 0;
  rec.sample_rate = clock_rate > 0        ? clock_rate
                    : opt.sample_rate > 0 ? opt.sample_rate
                                          : h.data_rate.value_or(0);
  rec.channels = std::move(channels);
  if (!h.units.empty()) {
    rec.units.assign(rec.channels.size(), h.units);
    if (!clocked) rec.units[0] = "s";
  }
  rec.data = series.finish();
  detail::check_read(rec, path);
  return rec;
}

}  // namespace swingpipe::io
