// C3D header block and parameter section (c3d.hpp): read_info and the layout they describe.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "binary_file.hpp"
#include "c3d_numbers.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/c3d.hpp"
#include "text.hpp"

namespace swingpipe::io::c3d {

using detail::load_float;
using detail::load_i16;
using detail::load_u16;

std::string_view processor_name(Processor p) {
  switch (p) {
    case Processor::dec:
      return "DEC";
    case Processor::mips:
      return "MIPS";
    case Processor::intel:
      break;
  }
  return "Intel";
}

std::size_t Parameter::count() const {
  std::size_t n = 1;
  for (int d : dims) n *= static_cast<std::size_t>(d);
  return n;
}

int64_t Parameter::as_count(std::size_t i) const {
  const double v = numbers.at(i);
  if (type == 2) return static_cast<uint16_t>(static_cast<int16_t>(v));
  if (type == 1) return static_cast<uint8_t>(static_cast<int8_t>(v));
  return std::llround(v);
}

const Parameter* Info::find(std::string_view group, std::string_view name) const {
  for (const auto& p : parameters)
    if (io::detail::iequals(p.group, group) && io::detail::iequals(p.name, name)) return &p;
  return nullptr;
}

namespace {

constexpr uint64_t kBlock = 512;

[[noreturn]] void fail_at(const std::filesystem::path& path, uint64_t offset,
                          const std::string& what) {
  io::detail::fail_byte(path, static_cast<std::size_t>(offset), what);
}

std::string hex_byte(unsigned v) {
  static constexpr char digits[] = "0123456789abcdef";
  return std::string("0x") + digits[(v >> 4) & 0xf] + digits[v & 0xf];
}

bool valid_utf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80           ? 1
                          : (c >> 5) == 0x6  ? 2
                          : (c >> 4) == 0xe  ? 3
                          : (c >> 3) == 0x1e ? 4
                                             : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    i += n;
  }
  return true;
}

/// C3D text is 7-bit ASCII by the specification; writers that use 8-bit characters use Latin-1
/// (or already UTF-8). Returned as UTF-8 with trailing blanks and NULs removed.
std::string trim_right(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  if (valid_utf8(s)) return s;
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out += ch;
    } else {
      out += static_cast<char>(0xc0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3f));
    }
  }
  return out;
}

/// Walks the records of the parameter section, held in `bytes` (file offset `base`).
class ParameterParser {
 public:
  ParameterParser(const std::filesystem::path& path, const std::vector<unsigned char>& bytes,
                  uint64_t base, Processor pr)
      : path_(path), b_(bytes), base_(base), pr_(pr) {}

  void parse(std::vector<Group>& groups, std::vector<Parameter>& params) {
    std::size_t pos = 4;  // after the section header
    while (pos + 2 <= b_.size()) {
      const auto name_len = static_cast<int8_t>(b_[pos]);
      const auto group_id = static_cast<int8_t>(b_[pos + 1]);
      if (name_len == 0 || group_id == 0) break;  // end of the parameters
      const std::size_t len = static_cast<std::size_t>(name_len < 0 ? -name_len : name_len);
      const std::size_t record = pos;
      const std::string name = trim_right(text(pos + 2, len, record, "name"));
      const std::size_t link = pos + 2 + len;
      const int next = load_i16(pr_, need(link, 2, record, "offset to the next record"));
      if (group_id < 0) {
        groups.push_back(read_group(name, -group_id, name_len < 0, link + 2, record));
      } else {
        params.push_back(read_parameter(name, group_id, name_len < 0, link + 2, record));
      }
      if (next == 0) break;  // the last record
      if (next < 0)
        fail(record, "record " + io::detail::quote_token(name) + " points backwards (" +
                         std::to_string(next) + " bytes) to the next record");
      pos = link + static_cast<std::size_t>(next);
      if (pos > b_.size())
        fail(record, "record " + io::detail::quote_token(name) + " points to byte " +
                         std::to_string(base_ + pos) +
                         ", past the end of the parameter section (byte " +
                         std::to_string(base_ + b_.size()) + ")");
    }
  }

 private:
  [[noreturn]] void fail(std::size_t at, const std::string& what) const {
    fail_at(path_, base_ + at, "parameter section: " + what);
  }

  const unsigned char* need(std::size_t at, std::size_t n, std::size_t record,
                            const char* what) const {
    if (at > b_.size() || n > b_.size() - at)
      fail(record, std::string("the record's ") + what + " (" + std::to_string(n) +
                       " bytes at byte " + std::to_string(base_ + at) +
                       ") runs past the end of the parameter section (byte " +
                       std::to_string(base_ + b_.size()) + ")");
    return b_.data() + at;
  }

  std::string text(std::size_t at, std::size_t n, std::size_t record, const char* what) const {
    const auto* p = need(at, n, record, what);
    return std::string(reinterpret_cast<const char*>(p), n);
  }

  std::string description(std::size_t at, std::size_t record) const {
    const std::size_t n = *need(at, 1, record, "description length");
    return trim_right(text(at + 1, n, record, "description"));
  }

  Group read_group(const std::string& name, int id, bool locked, std::size_t at,
                   std::size_t record) const {
    Group g;
    g.id = id;
    g.name = name;
    g.locked = locked;
    g.description = description(at, record);
    return g;
  }

  Parameter read_parameter(const std::string& name, int group_id, bool locked, std::size_t at,
                           std::size_t record) const {
    Parameter p;
    p.name = name;
    p.locked = locked;
    p.offset = base_ + record;
    p.group = std::to_string(group_id);  // resolved to the group's name later
    p.type = static_cast<int8_t>(*need(at, 1, record, "data type"));
    if (p.type != -1 && p.type != 1 && p.type != 2 && p.type != 4)
      fail(record, "parameter " + io::detail::quote_token(name) + ": unknown data type " +
                       std::to_string(p.type) +
                       " (expected -1 char, 1 byte, 2 integer or 4 float)");
    const std::size_t ndims = *need(at + 1, 1, record, "dimension count");
    if (ndims > 7)
      fail(record, "parameter " + io::detail::quote_token(name) + ": " + std::to_string(ndims) +
                       " dimensions (the format allows 0 to 7)");
    const auto* d = need(at + 2, ndims, record, "dimensions");
    for (std::size_t i = 0; i < ndims; ++i) p.dims.push_back(d[i]);
    const std::size_t width = static_cast<std::size_t>(std::abs(p.type));
    const std::size_t n = p.count();
    const std::size_t data_at = at + 2 + ndims;
    const auto* v = need(data_at, n * width, record, "data");
    if (p.type == -1) {
      const std::size_t len = p.dims.empty() ? 1 : static_cast<std::size_t>(p.dims[0]);
      const std::size_t strings = len == 0 ? 0 : n / len;
      for (std::size_t s = 0; s < strings; ++s)
        p.text.push_back(trim_right(std::string(reinterpret_cast<const char*>(v) + s * len, len)));
    } else {
      p.numbers.resize(n);
      for (std::size_t i = 0; i < n; ++i) {
        const auto* e = v + i * width;
        if (p.type == 1) p.numbers[i] = static_cast<int8_t>(*e);
        if (p.type == 2) p.numbers[i] = load_i16(pr_, e);
        if (p.type == 4) p.numbers[i] = load_float(pr_, e);
      }
    }
    p.description = description(data_at + n * width, record);
    return p;
  }

  const std::filesystem::path& path_;
  const std::vector<unsigned char>& b_;
  uint64_t base_;
  Processor pr_;
};

Header read_header(const unsigned char* h, Processor pr) {
  auto word = [&](int w) { return load_u16(pr, h + 2 * (w - 1)); };  // 1-based word numbers
  Header out;
  out.parameter_block = h[0];
  out.points = word(2);
  out.analog_values = word(3);
  out.first_frame = word(4);
  out.last_frame = word(5);
  out.max_gap = word(6);
  out.scale = load_float(pr, h + 12);
  out.data_start = word(9);
  out.analog_per_frame = word(10);
  out.frame_rate = load_float(pr, h + 20);
  return out;
}

void resolve_groups(Info& info) {
  for (auto& p : info.parameters) {
    const int id = std::stoi(p.group);
    const auto g = std::find_if(info.groups.begin(), info.groups.end(),
                                [&](const Group& x) { return x.id == id; });
    if (g == info.groups.end())
      fail_at(info.path, p.offset,
              "parameter section: parameter " + io::detail::quote_token(p.name) +
                  " belongs to group " + std::to_string(id) + ", which the file does not define");
    p.group = g->name;
  }
}

// ---- the layout --------------------------------------------------------------------------------

/// GROUP:NAME, then GROUP:NAME2, NAME3, ... appended (c3d.org: continuation parameters for arrays
/// longer than 255 entries).
template <class T>
std::vector<T> continued(const Info& info, const char* group, const std::string& name,
                         std::vector<T> Parameter::*field, const Parameter** first = nullptr) {
  std::vector<T> out;
  const Parameter* p = info.find(group, name);
  if (first) *first = p;
  for (int k = 2; p; ++k) {
    const auto& v = p->*field;
    out.insert(out.end(), v.begin(), v.end());
    p = info.find(group, name + std::to_string(k));
  }
  return out;
}

/// A count: the parameter (unsigned 16-bit) when present, else the header's value.
int64_t count_param(const Info& info, const char* group, const char* name, int64_t fallback) {
  const Parameter* p = info.find(group, name);
  if (!p || p->type == -1 || p->numbers.empty()) return fallback;
  return p->as_count();
}

double number_param(const Info& info, const char* group, const char* name, double fallback) {
  const Parameter* p = info.find(group, name);
  if (!p || p->type == -1 || p->numbers.empty()) return fallback;
  return p->numbers[0];
}

/// TRIAL:<name> as the 32-bit number of its two unsigned 16-bit words (low word first), or -1.
int64_t trial_field(const Info& info, const char* name) {
  const Parameter* p = info.find("TRIAL", name);
  if (!p || p->type != 2 || p->numbers.size() < 2) return -1;
  return p->as_count(0) + 65536 * p->as_count(1);
}

int64_t frame_count(const Info& info) {
  const Parameter* frames = info.find("POINT", "FRAMES");
  if (!frames || frames->type == -1 || frames->numbers.empty() || frames->as_count() <= 0) {
    const auto& h = info.header;  // no usable POINT:FRAMES: the header's frame range
    return h.last_frame >= h.first_frame && h.last_frame > 0 ? h.last_frame - h.first_frame + 1 : 0;
  }
  const int64_t n = frames->as_count();
  if (frames->type == 4 || n < 65535) return n;
  if (const Parameter* lf = info.find("POINT", "LONG_FRAMES");
      lf && lf->type != -1 && !lf->numbers.empty())
    return lf->as_count();
  const int64_t start = trial_field(info, "ACTUAL_START_FIELD");
  const int64_t end = trial_field(info, "ACTUAL_END_FIELD");
  if (start >= 0 && end >= start) return end - start + 1;
  return n;
}

/// Labels of `count` points or channels: exactly `count`, or more where the extra ones are blank.
std::vector<std::string> labels(const Info& info, const char* group, int count) {
  const Parameter* first = nullptr;
  auto out = continued(info, group, "LABELS", &Parameter::text, &first);
  if (count == 0) return {};
  const std::string where = std::string(group) + ":LABELS";
  if (!first)
    throw InputError(info.path.string() + ": " + where + " is missing (expected " +
                     std::to_string(count) + " labels)");
  const bool extra_blank = std::all_of(out.begin() + std::min<std::size_t>(out.size(), count),
                                       out.end(), [](const std::string& s) { return s.empty(); });
  if (out.size() < static_cast<std::size_t>(count) || !extra_blank)
    fail_at(info.path, first->offset,
            where + " (with its continuations) has " + std::to_string(out.size()) +
                " labels, but " + group + ":USED says " + std::to_string(count) +
                (std::string(group) == "POINT" ? " points" : " channels"));
  out.resize(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (io::detail::is_blank(out[i]))
      fail_at(info.path, first->offset,
              where + ": entry " + std::to_string(i + 1) + " is blank (every " +
                  (std::string(group) == "POINT" ? "point" : "channel") + " needs a name)");
    for (std::size_t j = 0; j < i; ++j)
      if (out[j] == out[i])
        fail_at(info.path, first->offset,
                where + ": " + io::detail::quote_token(out[i]) + " names entries " +
                    std::to_string(j + 1) + " and " + std::to_string(i + 1));
  }
  return out;
}

std::vector<double> per_channel(const Info& info, const char* name) {
  const Parameter* first = nullptr;
  auto out = continued(info, "ANALOG", name, &Parameter::numbers, &first);
  const auto need = static_cast<std::size_t>(info.analog_channels);
  if (!first)
    throw InputError(info.path.string() + ": ANALOG:" + name + " is missing (expected " +
                     std::to_string(need) + " values, one per analog channel)");
  if (out.size() < need)
    fail_at(info.path, first->offset,
            "ANALOG:" + std::string(name) + " has " + std::to_string(out.size()) + " values for " +
                std::to_string(need) + " analog channels");
  out.resize(need);
  return out;
}

void analog_layout(Info& info) {
  const auto& h = info.header;
  const int64_t header_channels = h.analog_per_frame ? h.analog_values / h.analog_per_frame : 0;
  info.analog_channels = static_cast<int>(count_param(info, "ANALOG", "USED", header_channels));
  if (info.analog_channels == 0) return;
  const Parameter* rate = info.find("ANALOG", "RATE");
  if (rate && rate->type == 4 && !rate->numbers.empty() && rate->numbers[0] > 0 &&
      info.point_rate > 0) {
    const double ratio = rate->numbers[0] / info.point_rate;
    info.analog_per_frame = static_cast<int>(std::lround(ratio));
    if (info.analog_per_frame < 1 || std::abs(ratio - info.analog_per_frame) > 1e-6 * ratio)
      fail_at(info.path, rate->offset,
              "ANALOG:RATE " + std::to_string(rate->numbers[0]) +
                  " Hz is not a whole multiple of the point rate " +
                  std::to_string(info.point_rate) + " Hz");
  } else {
    info.analog_per_frame = h.analog_per_frame;
  }
  if (info.analog_per_frame < 1)
    throw InputError(info.path.string() + ": " + std::to_string(info.analog_channels) +
                     " analog channels but no analog samples per frame (header word 10 is 0 and "
                     "ANALOG:RATE is absent)");
  info.analog_rate = info.point_rate * info.analog_per_frame;
  info.analog_labels = labels(info, "ANALOG", info.analog_channels);
  info.analog_scale = per_channel(info, "SCALE");
  info.analog_offset = per_channel(info, "OFFSET");
  const Parameter* gen = info.find("ANALOG", "GEN_SCALE");
  if (!gen || gen->type == -1 || gen->numbers.empty())
    throw InputError(info.path.string() + ": ANALOG:GEN_SCALE is missing (the general scale of " +
                     std::to_string(info.analog_channels) + " analog channels)");
  info.analog_gen_scale = gen->numbers[0];
  const Parameter* format = info.find("ANALOG", "FORMAT");
  info.analog_unsigned = !info.float_storage && format && !format->text.empty() &&
                         io::detail::iequals(io::detail::trim(format->text[0]), "UNSIGNED");
  if (info.analog_unsigned)  // offsets are unsigned too (c3d.org)
    for (auto& o : info.analog_offset) o = static_cast<uint16_t>(static_cast<int16_t>(o));
  info.analog_units = continued(info, "ANALOG", "UNITS", &Parameter::text);
  info.analog_units.resize(static_cast<std::size_t>(info.analog_channels));
}

void layout(Info& info) {
  const auto& h = info.header;
  info.points = static_cast<int>(count_param(info, "POINT", "USED", h.points));
  info.point_scale = number_param(info, "POINT", "SCALE", h.scale);
  if (!std::isfinite(info.point_scale) || info.point_scale == 0)
    throw InputError(info.path.string() + ": POINT:SCALE is " + std::to_string(info.point_scale) +
                     " (expected a non-zero number: > 0 integer storage, < 0 float storage)");
  info.float_storage = info.point_scale < 0;
  info.point_rate = number_param(info, "POINT", "RATE", h.frame_rate);
  if (!std::isfinite(info.point_rate) || info.point_rate <= 0)
    info.point_rate = h.frame_rate;  // some writers leave POINT:RATE 0
  if (!std::isfinite(info.point_rate) || info.point_rate <= 0)
    throw InputError(info.path.string() + ": the point rate is " + std::to_string(info.point_rate) +
                     " Hz (POINT:RATE and header words 11-12; expected > 0)");
  info.frames = frame_count(info);
  const int64_t start = trial_field(info, "ACTUAL_START_FIELD");
  info.first_frame = start > 0 ? start : std::max(1, h.first_frame);
  const int64_t block = count_param(info, "POINT", "DATA_START", h.data_start);
  if (block < 1)
    throw InputError(info.path.string() + ": POINT:DATA_START is " + std::to_string(block) +
                     " (expected the 1-based block number of the data section)");
  info.data_offset = (static_cast<uint64_t>(block) - 1) * kBlock;
  info.point_labels = labels(info, "POINT", info.points);
  const auto units = continued(info, "POINT", "UNITS", &Parameter::text);
  info.point_units = units.empty() ? "" : units[0];
  analog_layout(info);
  const uint64_t width = info.float_storage ? 4 : 2;
  info.frame_bytes = width * (4 * static_cast<uint64_t>(info.points) +
                              static_cast<uint64_t>(info.analog_channels) *
                                  static_cast<uint64_t>(info.analog_per_frame));
  if (info.frames > 0 && info.frame_bytes == 0)
    throw InputError(info.path.string() + ": " + std::to_string(info.frames) +
                     " frames of nothing (no points and no analog channels)");
  const uint64_t end = info.data_offset + static_cast<uint64_t>(info.frames) * info.frame_bytes;
  if (info.data_offset > info.file_size || end > info.file_size)
    fail_at(info.path, info.data_offset,
            "the data section (" + std::to_string(info.frames) + " frames of " +
                std::to_string(info.frame_bytes) + " bytes from block " + std::to_string(block) +
                ") ends at byte " + std::to_string(end) + ", but the file has " +
                std::to_string(info.file_size) + " bytes (truncated?)");
}

}  // namespace

Info read_info(const std::filesystem::path& path) {
  io::detail::BinaryFile file(path);
  Info info;
  info.path = path;
  info.file_size = file.size();
  unsigned char h[kBlock];
  file.read(0, h, kBlock, "the header block");
  if (h[1] != 0x50)
    fail_at(path, 1,
            "not a C3D file: expected the key byte 0x50, got " + hex_byte(h[1]) +
                " (byte 0 points to the parameter section, byte 1 is 0x50)");
  if (h[0] < 2)
    fail_at(path, 0,
            "the parameter section pointer is block " + std::to_string(h[0]) +
                " (expected 2 or more: block 1 is the header)");
  const uint64_t base = (static_cast<uint64_t>(h[0]) - 1) * kBlock;
  unsigned char ph[4];
  file.read(base, ph, 4, "the parameter section header (block " + std::to_string(h[0]) + ")");
  if (ph[3] < 84 || ph[3] > 86)
    fail_at(path, base + 3,
            "unknown processor type " + std::to_string(ph[3]) +
                " (expected 84 Intel, 85 DEC or 86 MIPS)");
  info.processor = static_cast<Processor>(ph[3] - 84);
  const uint64_t blocks = ph[2];
  if (blocks == 0) fail_at(path, base + 2, "the parameter section has 0 blocks");
  if (base + blocks * kBlock > info.file_size)
    fail_at(path, base + 2,
            "the parameter section (" + std::to_string(blocks) + " blocks from byte " +
                std::to_string(base) + ") runs past the end of the file (" +
                std::to_string(info.file_size) + " bytes)");
  std::vector<unsigned char> section(blocks * kBlock);
  file.read(base, section.data(), section.size(), "the parameter section");
  info.header = read_header(h, info.processor);
  ParameterParser(path, section, base, info.processor).parse(info.groups, info.parameters);
  resolve_groups(info);
  layout(info);
  return info;
}

}  // namespace swingpipe::io::c3d
