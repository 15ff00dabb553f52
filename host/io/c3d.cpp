// C3D data section (c3d.hpp): streams the frames in chunks and decodes points and analog samples
// straight into the channel-major recordings.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "binary_file.hpp"
#include "c3d_numbers.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/c3d.hpp"
#include "text.hpp"

namespace swingpipe::io::c3d {

namespace {

using detail::float_negative;
using detail::load_float;
using detail::load_i16;
using detail::load_u16;
using detail::word_negative;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
/// Bytes of frames decoded per chunk: small enough to stay in L2 while every channel is visited.
constexpr uint64_t kChunkBytes = 256 * 1024;

/// Where the decoded values go: the chosen points (file indices) and, optionally, the analogs.
struct Targets {
  std::vector<int> points;        ///< file point index per kept point, in output order
  double* point_data = nullptr;   ///< 3 * points.size() channels of `frames` values
  double* analog_data = nullptr;  ///< analog_channels channels of frames * per_frame values
};

template <Processor P, bool Float>
void decode_points(const Info& info, const Targets& t, const unsigned char* buf, int64_t t0,
                   int64_t n) {
  constexpr uint64_t w = Float ? 4 : 2;
  const uint64_t fb = info.frame_bytes;
  const auto frames = static_cast<std::size_t>(info.frames);
  const double scale = info.point_scale;
  for (std::size_t k = 0; k < t.points.size(); ++k) {
    double* x = t.point_data + (3 * k) * frames + t0;
    double* y = x + frames;
    double* z = y + frames;
    const unsigned char* q = buf + static_cast<uint64_t>(t.points[k]) * 4 * w;
    for (int64_t i = 0; i < n; ++i, q += fb) {
      if constexpr (Float) {
        if (float_negative<P>(q + 12)) {
          x[i] = y[i] = z[i] = kNaN;
        } else {
          x[i] = load_float<P>(q);
          y[i] = load_float<P>(q + 4);
          z[i] = load_float<P>(q + 8);
        }
      } else {
        if (word_negative<P>(q + 6)) {
          x[i] = y[i] = z[i] = kNaN;
        } else {
          x[i] = load_i16<P>(q) * scale;
          y[i] = load_i16<P>(q + 2) * scale;
          z[i] = load_i16<P>(q + 4) * scale;
        }
      }
    }
  }
}

template <Processor P, bool Float>
void decode_analogs(const Info& info, const Targets& t, const unsigned char* buf, int64_t t0,
                    int64_t n) {
  constexpr uint64_t w = Float ? 4 : 2;
  const uint64_t fb = info.frame_bytes;
  const auto per_frame = static_cast<uint64_t>(info.analog_per_frame);
  const auto channels = static_cast<uint64_t>(info.analog_channels);
  const auto samples = static_cast<uint64_t>(info.frames) * per_frame;
  const uint64_t first = 4 * w * static_cast<uint64_t>(info.points);
  const double gen = info.analog_gen_scale;
  for (uint64_t c = 0; c < channels; ++c) {
    double* out = t.analog_data + c * samples + static_cast<uint64_t>(t0) * per_frame;
    const double offset = info.analog_offset[c];
    const double scale = info.analog_scale[c];
    const unsigned char* frame = buf + first + c * w;
    for (int64_t i = 0; i < n; ++i, frame += fb) {
      for (uint64_t s = 0; s < per_frame; ++s) {
        const unsigned char* q = frame + s * channels * w;
        double raw;
        if constexpr (Float) {
          raw = load_float<P>(q);
        } else {
          raw = info.analog_unsigned ? static_cast<double>(load_u16<P>(q))
                                     : static_cast<double>(load_i16<P>(q));
        }
        *out++ = (raw - offset) * scale * gen;
      }
    }
  }
}

template <Processor P, bool Float>
void decode_chunk(const Info& info, const Targets& t, const unsigned char* buf, int64_t t0,
                  int64_t n) {
  if (!t.points.empty()) decode_points<P, Float>(info, t, buf, t0, n);
  if (t.analog_data) decode_analogs<P, Float>(info, t, buf, t0, n);
}

using ChunkDecoder = void (*)(const Info&, const Targets&, const unsigned char*, int64_t, int64_t);

ChunkDecoder pick_decoder(Processor p, bool float_storage) {
  switch (p) {
    case Processor::dec:
      return float_storage ? decode_chunk<Processor::dec, true>
                           : decode_chunk<Processor::dec, false>;
    case Processor::mips:
      return float_storage ? decode_chunk<Processor::mips, true>
                           : decode_chunk<Processor::mips, false>;
    case Processor::intel:
      break;
  }
  return float_storage ? decode_chunk<Processor::intel, true>
                       : decode_chunk<Processor::intel, false>;
}

void read_data(const Info& info, const Targets& t) {
  if (info.frames == 0 || (t.points.empty() && !t.analog_data)) return;
  io::detail::BinaryFile file(info.path);
  const auto per_chunk =
      static_cast<int64_t>(std::max<uint64_t>(1, kChunkBytes / info.frame_bytes));
  std::vector<unsigned char> buf(static_cast<std::size_t>(
      static_cast<uint64_t>(std::min(per_chunk, info.frames)) * info.frame_bytes));
  const ChunkDecoder decode = pick_decoder(info.processor, info.float_storage);
  for (int64_t t0 = 0; t0 < info.frames; t0 += per_chunk) {
    const int64_t n = std::min(per_chunk, info.frames - t0);
    const uint64_t offset = info.data_offset + static_cast<uint64_t>(t0) * info.frame_bytes;
    file.read(offset, buf.data(), static_cast<std::size_t>(n) * info.frame_bytes,
              "frames " + std::to_string(t0 + 1) + ".." + std::to_string(t0 + n) + " of " +
                  std::to_string(info.frames));
    decode(info, t, buf.data(), t0, n);
  }
}

std::vector<int> chosen_points(const Info& info, const std::vector<std::string>& markers) {
  std::vector<int> out;
  if (markers.empty()) {
    for (int p = 0; p < info.points; ++p) out.push_back(p);
    return out;
  }
  for (const auto& m : markers) {
    const auto it = std::find(info.point_labels.begin(), info.point_labels.end(), m);
    if (it == info.point_labels.end()) {
      std::string known;
      for (std::size_t i = 0; i < info.point_labels.size() && i < 20; ++i)
        known += (i ? ", " : "") + io::detail::quote_token(info.point_labels[i]);
      if (info.point_labels.size() > 20) known += ", ...";
      throw InputError(info.path.string() + ": --markers: no point labelled " +
                       io::detail::quote_token(m) + " (the file has " +
                       std::to_string(info.points) + ": " + known + ")");
    }
    const int p = static_cast<int>(it - info.point_labels.begin());
    if (std::find(out.begin(), out.end(), p) != out.end())
      throw InputError(info.path.string() + ": --markers names " + io::detail::quote_token(m) +
                       " twice");
    out.push_back(p);
  }
  return out;
}

std::string joined_text(const Info& info, const char* group, const char* name,
                        const char* sep = ", ") {
  const Parameter* p = info.find(group, name);
  std::string out;
  if (!p) return out;
  for (const auto& s : p->text)
    if (!s.empty()) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string two_digits(int64_t v) {
  return (v < 10 ? "0" : "") + std::to_string(v);
}

/// TRIAL:DATE (year, month, day) and TRIAL:TIME (hours, minutes, seconds) as ISO 8601.
std::string trial_date(const Info& info) {
  const Parameter* d = info.find("TRIAL", "DATE");
  if (!d || d->type == -1 || d->numbers.size() < 3) return {};
  const int64_t y = d->as_count(0), m = d->as_count(1), day = d->as_count(2);
  if (y < 1000 || y > 9999 || m < 1 || m > 12 || day < 1 || day > 31) return {};
  std::string out = std::to_string(y) + "-" + two_digits(m) + "-" + two_digits(day);
  const Parameter* t = info.find("TRIAL", "TIME");
  if (t && t->type != -1 && t->numbers.size() >= 3) {
    const int64_t hh = t->as_count(0), mm = t->as_count(1), ss = t->as_count(2);
    if (hh < 24 && mm < 60 && ss < 61)
      out += "T" + two_digits(hh) + ":" + two_digits(mm) + ":" + two_digits(ss);
  }
  return out;
}

std::string number_text(double v) {
  std::string s = std::to_string(v);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

/// Metadata shared by the point and the analog recording.
RecordingMeta file_meta(const Info& info) {
  RecordingMeta m;
  m.filename = info.path.filename().string();
  m.date_recorded = trial_date(info);
  m.golfer_name = joined_text(info, "SUBJECTS", "NAMES");
  std::string link = m.filename;
  std::replace(link.begin(), link.end(), ',', '_');  // tags are comma-separated
  m.tags = {"c3d:" + link};
  auto& a = m.attributes;
  a["format"] = "C3D";
  a["processor"] = std::string(processor_name(info.processor));
  a["storage"] = info.float_storage ? "float" : "integer";
  a["first_frame"] = std::to_string(info.first_frame);
  a["point_rate"] = number_text(info.point_rate);
  if (info.analog_channels > 0) a["analog_rate"] = number_text(info.analog_rate);
  const std::string maker = joined_text(info, "MANUFACTURER", "COMPANY");
  const std::string software = joined_text(info, "MANUFACTURER", "SOFTWARE");
  std::string version = joined_text(info, "MANUFACTURER", "VERSION_LABEL");
  if (version.empty())
    if (const Parameter* v = info.find("MANUFACTURER", "VERSION"); v && v->type != -1)
      for (double x : v->numbers)
        version += (version.empty() ? "" : ".") + std::to_string(static_cast<int64_t>(x));
  if (!maker.empty()) a["manufacturer"] = maker;
  if (!software.empty()) a["software"] = software + (version.empty() ? "" : " " + version);
  const std::string subjects = joined_text(info, "SUBJECTS", "NAMES");
  if (!subjects.empty()) a["subjects"] = subjects;
  return m;
}

/// The one rule for non-finite values (io.hpp ValueOptions) on decoded samples: every NaN the
/// canonical quiet NaN, +-inf an InputError naming the channel, the frame and the byte offset
/// unless allowed. `analog` selects the layout used for the offset.
void check_values(const Info& info, const Targets& t, Recording& rec, bool analog,
                  const ValueOptions& values) {
  const auto n = static_cast<uint64_t>(rec.meta.num_frames);
  const uint64_t w = info.float_storage ? 4 : 2;
  for (std::size_t c = 0; c < rec.channels.size(); ++c) {
    double* col = rec.data.data() + c * n;
    for (uint64_t i = 0; i < n; ++i) {
      const std::string problem = io::detail::check_binary_value(col[i], values);
      if (problem.empty()) continue;
      uint64_t offset;
      if (analog) {
        const auto per_frame = static_cast<uint64_t>(info.analog_per_frame);
        const auto channels = static_cast<uint64_t>(info.analog_channels);
        offset = info.data_offset + (i / per_frame) * info.frame_bytes +
                 4 * w * static_cast<uint64_t>(info.points) + ((i % per_frame) * channels + c) * w;
      } else {
        offset = info.data_offset + i * info.frame_bytes +
                 static_cast<uint64_t>(t.points[c / 3]) * 4 * w + (c % 3) * w;
      }
      throw InputError(info.path.string() + ": byte " + std::to_string(offset) + ": channel " +
                       io::detail::quote_token(rec.channels[c]) + ", sample " +
                       std::to_string(i + 1) + ": " + problem);
    }
  }
}

}  // namespace

std::vector<Recording> read(const std::filesystem::path& path, const Options& opt) {
  const Info info = read_info(path);
  Targets t;
  t.points = chosen_points(info, opt.markers);
  const bool analogs = opt.analogs == Analogs::separate && info.analog_channels > 0;
  if (t.points.empty() && !analogs)
    throw InputError(path.string() + ": nothing to import (" + std::to_string(info.points) +
                     " points, " + std::to_string(info.analog_channels) + " analog channels" +
                     (info.analog_channels > 0 ? ", --analogs off" : "") + ")");
  if (info.frames == 0)
    throw InputError(path.string() +
                     ": no frames (POINT:FRAMES, or the header's first and last "
                     "frame, say 0; expected at least one)");
  const RecordingMeta meta = file_meta(info);

  Recording points;
  points.meta = meta;
  points.meta.num_frames = info.frames;
  points.meta.duration = static_cast<double>(info.frames) / info.point_rate;
  points.meta.attributes["units"] = info.point_units;
  points.sample_rate = info.point_rate;
  for (int p : t.points) {
    for (const char* axis : {"_x", "_y", "_z"}) {
      points.channels.push_back(info.point_labels[static_cast<std::size_t>(p)] + axis);
      points.units.push_back(info.point_units);
    }
  }
  points.data.resize(points.channels.size() * static_cast<std::size_t>(info.frames));
  t.point_data = points.data.data();

  Recording an;
  if (analogs) {
    an.meta = meta;
    an.meta.filename += "#analogs";
    an.meta.num_frames = info.frames * info.analog_per_frame;
    an.meta.duration = static_cast<double>(an.meta.num_frames) / info.analog_rate;
    an.sample_rate = info.analog_rate;
    an.channels = info.analog_labels;
    an.units = info.analog_units;
    an.data.resize(an.channels.size() * static_cast<std::size_t>(an.meta.num_frames));
    t.analog_data = an.data.data();
  }
  read_data(info, t);
  if (!t.points.empty()) check_values(info, t, points, false, opt.values);
  if (analogs) check_values(info, t, an, true, opt.values);

  std::vector<Recording> out;
  if (!t.points.empty()) out.push_back(std::move(points));
  if (analogs) out.push_back(std::move(an));
  for (const auto& r : out) io::detail::check_read(r, path);
  return out;
}

}  // namespace swingpipe::io::c3d
