#pragma once
// A small C3D writer for tests: synthetic files in each processor format (Intel, DEC with VAX
// floats, MIPS big-endian), integer or float storage, point and analog scale factors, labels
// split over LABELS/LABELS2/..., missing markers (negative residual word). It writes what the
// c3d.org specification describes, byte by byte, independently of the reader under test; the
// tests check the reader against the values put in here and against ezc3d reading the same file.
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "swingpipe/host/c3d.hpp"

namespace swingpipe::test {

using io::c3d::Processor;

class ByteWriter {
 public:
  explicit ByteWriter(Processor p) : p_(p) {}
  std::string bytes;

  void u8(int v) { bytes += static_cast<char>(static_cast<uint8_t>(v)); }
  void i16(int v) {
    const auto u = static_cast<uint16_t>(static_cast<int16_t>(v));
    if (p_ == Processor::mips) {
      u8(u >> 8);
      u8(u & 0xff);
    } else {
      u8(u & 0xff);
      u8(u >> 8);
    }
  }
  void u16(int v) { i16(static_cast<int16_t>(static_cast<uint16_t>(v))); }
  void f32(double v) {
    if (p_ == Processor::dec) {
      // VAX F: the IEEE bits of 4v, with the two 16-bit halves swapped (sign/exponent word first).
      const uint32_t b = std::bit_cast<uint32_t>(static_cast<float>(v * 4));
      u8((b >> 16) & 0xff);
      u8(b >> 24);
      u8(b & 0xff);
      u8((b >> 8) & 0xff);
      return;
    }
    const uint32_t b = std::bit_cast<uint32_t>(static_cast<float>(v));
    if (p_ == Processor::mips) {
      for (int s = 24; s >= 0; s -= 8) u8((b >> s) & 0xff);
    } else {
      for (int s = 0; s <= 24; s += 8) u8((b >> s) & 0xff);
    }
  }
  void text(const std::string& s) { bytes += s; }
  void pad_to_block() {
    while (bytes.size() % 512) u8(0);
  }

 private:
  Processor p_;
};

/// A synthetic C3D file. Raw values are what is stored: int16 counts for integer storage, floats
/// for float storage (they are rounded to float when written).
struct SynthC3d {
  Processor processor = Processor::intel;
  bool float_storage = true;
  double point_scale = 0.1;  ///< magnitude; written negative for float storage
  double point_rate = 100;
  int first_frame = 1;
  int64_t frames = 0;
  std::vector<std::string> point_labels;
  std::size_t labels_per_parameter = 255;  ///< the rest goes to LABELS2, LABELS3, ...
  std::string point_units = "mm";
  std::vector<std::array<double, 4>> points;  ///< frames x points: x, y, z, residual word
  int analog_per_frame = 0;
  std::vector<std::string> analog_labels;
  std::vector<std::string> analog_units;
  std::vector<double> analog_scale;
  std::vector<int> analog_offset;
  double gen_scale = 1;
  bool analog_unsigned = false;  ///< ANALOG:FORMAT "UNSIGNED"
  std::vector<double> analogs;   ///< frames x samples x channels
  std::vector<std::string> subjects;
  std::vector<int> byte_values;  ///< written as EXTRA:BYTES, a byte-type (1) parameter, when given
  /// How the frame count is written: "auto" (an integer POINT:FRAMES, float above 65535), "trial"
  /// (POINT:FRAMES 65535 and TRIAL:ACTUAL_START_FIELD/END_FIELD), "long" (POINT:FRAMES 65535 and
  /// POINT:LONG_FRAMES), "header" (no POINT:FRAMES: only the header's first/last frame words).
  std::string frames_as = "auto";

  int point_count() const { return static_cast<int>(point_labels.size()); }
  int channel_count() const { return static_cast<int>(analog_labels.size()); }

  /// The bytes of the file. `data_start_block` 0 = right after the parameters.
  std::string bytes() const {
    const std::string params = parameter_section();
    const int param_blocks = static_cast<int>(params.size() / 512);
    const int data_block = 2 + param_blocks + 1;  // 1-based block of the data section
    ByteWriter h(processor);
    h.u8(2);
    h.u8(0x50);
    h.u16(point_count());
    h.u16(channel_count() * analog_per_frame);
    h.u16(first_frame);
    h.u16(static_cast<int>(std::min<int64_t>(first_frame + frames - 1, 65535)));
    h.u16(10);
    h.f32(float_storage ? -point_scale : point_scale);
    h.u16(data_block);
    h.u16(analog_per_frame);
    h.f32(point_rate);
    h.pad_to_block();
    std::string out = h.bytes + fix_data_start(params, data_block);
    while (out.size() < static_cast<std::size_t>(data_block - 1) * 512) out += '\0';
    out += data_section();
    return out;
  }

  void write(const std::filesystem::path& p) const {
    std::ofstream(p, std::ios::binary) << bytes();
  }

  /// Byte offset of the DATA_START parameter's value in the parameter section (set by bytes()).
  mutable std::size_t data_start_value_at = 0;

 private:
  struct Record {
    std::string name;
    int group;  ///< negative: a group
    std::string body;
  };

  std::string record_bytes(const Record& r, bool last) const {
    ByteWriter w(processor);
    w.u8(static_cast<int>(r.name.size()));
    w.u8(r.group);
    w.text(r.name);
    w.i16(last ? 0 : static_cast<int>(2 + r.body.size()));
    w.text(r.body);
    return w.bytes;
  }

  std::string group_body(const std::string& description) const {
    ByteWriter w(processor);
    w.u8(static_cast<int>(description.size()));
    w.text(description);
    return w.bytes;
  }

  std::string int_param(const std::vector<int>& values, bool array) const {
    ByteWriter w(processor);
    w.u8(2);
    w.u8(array ? 1 : 0);
    if (array) w.u8(static_cast<int>(values.size()));
    for (int v : values) w.i16(v);
    w.u8(0);
    return w.bytes;
  }

  std::string float_param(const std::vector<double>& values, bool array) const {
    ByteWriter w(processor);
    w.u8(4);
    w.u8(array ? 1 : 0);
    if (array) w.u8(static_cast<int>(values.size()));
    for (double v : values) w.f32(v);
    w.u8(0);
    return w.bytes;
  }

  std::string text_param(const std::vector<std::string>& values) const {
    std::size_t len = 1;
    for (const auto& v : values) len = std::max(len, v.size());
    ByteWriter w(processor);
    w.u8(-1);
    w.u8(2);
    w.u8(static_cast<int>(len));
    w.u8(static_cast<int>(values.size()));
    for (auto v : values) {
      v.resize(len, ' ');
      w.text(v);
    }
    w.u8(0);
    return w.bytes;
  }

  /// LABELS, LABELS2, ... of at most labels_per_parameter entries each.
  void split_text(std::vector<Record>& rs, int group, const std::string& name,
                  const std::vector<std::string>& all) const {
    std::size_t start = 0;
    int part = 1;
    do {
      const std::size_t n = std::min(labels_per_parameter, all.size() - start);
      std::vector<std::string> chunk(all.begin() + static_cast<std::ptrdiff_t>(start),
                                     all.begin() + static_cast<std::ptrdiff_t>(start + n));
      rs.push_back({part == 1 ? name : name + std::to_string(part), group, text_param(chunk)});
      start += n;
      ++part;
    } while (start < all.size());
  }

  std::string parameter_section() const {
    std::vector<Record> rs;
    rs.push_back({"POINT", -1, group_body("3-D point parameters")});
    rs.push_back({"USED", 1, int_param({point_count()}, false)});
    rs.push_back({"SCALE", 1, float_param({float_storage ? -point_scale : point_scale}, false)});
    rs.push_back({"RATE", 1, float_param({point_rate}, false)});
    rs.push_back({"DATA_START", 1, int_param({0}, false)});  // patched by fix_data_start
    rs.push_back({"FRAMES", 1,
                  frames > 65535
                      ? float_param({static_cast<double>(frames)}, false)
                      : int_param({static_cast<int>(static_cast<uint16_t>(frames))}, false)});
    if (point_count() > 0) split_text(rs, 1, "LABELS", point_labels);
    rs.push_back({"UNITS", 1, text_param({point_units})});
    rs.push_back({"ANALOG", -2, group_body("analog parameters")});
    rs.push_back({"USED", 2, int_param({channel_count()}, false)});
    if (channel_count() > 0) {
      rs.push_back({"RATE", 2, float_param({point_rate * analog_per_frame}, false)});
      split_text(rs, 2, "LABELS", analog_labels);
      rs.push_back({"SCALE", 2, float_param(analog_scale, true)});
      rs.push_back({"OFFSET", 2, int_param(analog_offset, true)});
      rs.push_back({"GEN_SCALE", 2, float_param({gen_scale}, false)});
      if (!analog_units.empty()) rs.push_back({"UNITS", 2, text_param(analog_units)});
      rs.push_back({"FORMAT", 2, text_param({analog_unsigned ? "UNSIGNED" : "SIGNED"})});
    }
    if (!subjects.empty()) {
      rs.push_back({"SUBJECTS", -3, group_body("")});
      rs.push_back({"NAMES", 3, text_param(subjects)});
    }
    if (!byte_values.empty()) {
      ByteWriter w(processor);
      w.u8(1);
      w.u8(1);
      w.u8(static_cast<int>(byte_values.size()));
      for (int v : byte_values) w.u8(v);
      w.u8(0);
      rs.push_back({"EXTRA", -5, group_body("bytes")});
      rs.push_back({"BYTES", 5, w.bytes});
    }
    if (frames_as == "trial") {  // 32-bit frame numbers as two 16-bit words, low word first
      const int64_t last = first_frame + frames - 1;
      rs.push_back({"TRIAL", -4, group_body("")});
      rs.push_back({"ACTUAL_START_FIELD", 4, int_param({first_frame, 0}, true)});
      rs.push_back(
          {"ACTUAL_END_FIELD", 4,
           int_param({static_cast<int16_t>(last & 0xffff), static_cast<int16_t>(last >> 16)},
                     true)});
    }
    ByteWriter w(processor);
    w.u8(1);
    w.u8(0x50);
    w.u8(0);  // block count, patched below
    w.u8(83 + static_cast<int>(processor) + 1);
    for (std::size_t i = 0; i < rs.size(); ++i) {
      if (rs[i].name == "DATA_START") data_start_value_at = w.bytes.size() + 2 + 10 + 2 + 2;
      w.text(record_bytes(rs[i], i + 1 == rs.size()));
    }
    w.u8(0);
    w.u8(0);
    w.pad_to_block();
    w.bytes[2] = static_cast<char>(w.bytes.size() / 512);
    return w.bytes;
  }

  std::string fix_data_start(std::string params, int block) const {
    ByteWriter w(processor);
    w.i16(block);
    params[data_start_value_at] = w.bytes[0];
    params[data_start_value_at + 1] = w.bytes[1];
    return params;
  }

  std::string data_section() const {
    ByteWriter w(processor);
    const int np = point_count(), nc = channel_count();
    for (int64_t f = 0; f < frames; ++f) {
      for (int p = 0; p < np; ++p) {
        const auto& v = points[static_cast<std::size_t>(f * np + p)];
        for (int k = 0; k < 4; ++k) {
          if (float_storage)
            w.f32(v[k]);
          else
            w.i16(static_cast<int>(v[k]));
        }
      }
      for (int s = 0; s < analog_per_frame; ++s)
        for (int c = 0; c < nc; ++c) {
          const double raw = analogs[static_cast<std::size_t>((f * analog_per_frame + s) * nc + c)];
          if (float_storage)
            w.f32(raw);
          else if (analog_unsigned)
            w.u16(static_cast<int>(raw));
          else
            w.i16(static_cast<int>(raw));
        }
    }
    return w.bytes;
  }
};

}  // namespace swingpipe::test
