// NPY v1/v2/v3: little-endian float32/float64, shape (n,) or (n, c), C or Fortran order.
#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "swingpipe/error.hpp"
#include "swingpipe/host/io.hpp"
#include "text.hpp"

namespace swingpipe::io {

static_assert(std::endian::native == std::endian::little, "NPY I/O assumes a little-endian host");

namespace {

using detail::fail_byte;

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLen = 6;

struct NpyHeader {
  std::string descr;
  bool fortran = false;
  std::vector<uint64_t> shape;
  std::size_t text_at = 0;  ///< where the header dict starts
  std::size_t data_offset = 0;
};

/// A tiny parser for the header's Python dict literal, e.g.
/// {'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }
class DictParser {
 public:
  DictParser(const std::filesystem::path& path, std::string_view text, std::size_t base)
      : path_(path), s_(text), base_(base) {}

  NpyHeader parse() {
    NpyHeader h;
    bool have_descr = false, have_order = false, have_shape = false;
    expect('{');
    while (!peek('}')) {
      const std::size_t key_at = pos_;
      const std::string key = string_literal();
      expect(':');
      if ((key == "descr" && have_descr) || (key == "fortran_order" && have_order) ||
          (key == "shape" && have_shape)) {
        pos_ = key_at;
        fail("duplicate header key '" + key + "'");
      }
      if (key == "descr") {
        if (!peek('\'') && !peek('"')) fail("unsupported dtype (expected '<f4' or '<f8')");
        h.descr = string_literal();
        have_descr = true;
      } else if (key == "fortran_order") {
        h.fortran = boolean();
        have_order = true;
      } else if (key == "shape") {
        h.shape = tuple();
        have_shape = true;
      } else {
        pos_ = key_at;
        fail("unexpected header key " + detail::quote_token(key));
      }
      if (!peek('}')) expect(',');
    }
    expect('}');
    // numpy pads the dict with spaces and ends it with a newline; anything else is not NPY.
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t' || s_[pos_] == '\r'))
      ++pos_;
    if (pos_ < s_.size()) fail("unexpected bytes after the header dict (expected spaces and \\n)");
    if (!have_descr || !have_order || !have_shape)
      fail("header lacks one of 'descr', 'fortran_order', 'shape'");
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { fail_byte(path_, base_ + pos_, what); }
  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t')) ++pos_;
  }
  bool peek(char c) {
    skip_ws();
    return pos_ < s_.size() && s_[pos_] == c;
  }
  void expect(char c) {
    if (!peek(c)) fail(std::string("malformed header: expected '") + c + "'");
    ++pos_;
  }
  std::string string_literal() {
    skip_ws();
    if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"'))
      fail("malformed header: expected a quoted string");
    const char q = s_[pos_++];
    const auto end = s_.find(q, pos_);
    if (end == std::string_view::npos) fail("malformed header: unterminated string");
    std::string out(s_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return out;
  }
  bool boolean() {
    skip_ws();
    if (s_.substr(pos_, 4) == "True") return pos_ += 4, true;
    if (s_.substr(pos_, 5) == "False") return pos_ += 5, false;
    fail("malformed header: expected True or False for 'fortran_order'");
  }
  std::vector<uint64_t> tuple() {
    std::vector<uint64_t> dims;
    expect('(');
    while (!peek(')')) {
      uint64_t v = 0;
      const char* first = s_.data() + pos_;
      const auto [ptr, ec] = std::from_chars(first, s_.data() + s_.size(), v);
      if (ec != std::errc() || ptr == first) fail("malformed header: expected a dimension size");
      pos_ += static_cast<std::size_t>(ptr - first);
      dims.push_back(v);
      if (!peek(')')) expect(',');
    }
    expect(')');
    return dims;
  }

  const std::filesystem::path& path_;
  std::string_view s_;
  std::size_t base_;
  std::size_t pos_ = 0;
};

uint32_t read_le(std::string_view bytes, std::size_t at, std::size_t size) {
  uint32_t v = 0;
  for (std::size_t k = 0; k < size; ++k)
    v |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + k])) << (8 * k);
  return v;
}

NpyHeader parse_npy_header(const std::filesystem::path& path, std::string_view bytes) {
  if (bytes.size() < kMagicLen + 2 || bytes.compare(0, kMagicLen, kMagic, kMagicLen) != 0)
    fail_byte(path, 0, "not an NPY file (expected the magic \\x93NUMPY)");
  const int major = static_cast<unsigned char>(bytes[6]);
  if (major < 1 || major > 3)
    fail_byte(path, 6,
              "unsupported NPY version " + std::to_string(major) + " (expected 1, 2 or 3)");
  const std::size_t len_size = major == 1 ? 2 : 4;
  const std::size_t text_at = 8 + len_size;
  if (bytes.size() < text_at) fail_byte(path, bytes.size(), "truncated header length");
  const std::size_t text_len = read_le(bytes, 8, len_size);
  if (bytes.size() < text_at + text_len)
    fail_byte(path, bytes.size(),
              "truncated header: expected " + std::to_string(text_len) +
                  " header bytes from byte " + std::to_string(text_at));
  NpyHeader h = DictParser(path, bytes.substr(text_at, text_len), text_at).parse();
  h.text_at = text_at;
  h.data_offset = text_at + text_len;
  return h;
}

/// A numpy dtype string for float32/float64 in any spelling numpy accepts: '<f8', '=f8', '|f8',
/// 'f8', '<d', 'd', 'float64', 'double', 'float', '<f4', 'f', 'float32', 'single', and '>'/'!'
/// for big-endian. 0 for anything else.
struct Dtype {
  std::size_t item = 0;
  bool big_endian = false;
};
Dtype parse_dtype(std::string_view d) {
  Dtype t;
  if (d == "float64" || d == "double" || d == "float" || d == "float_") return {8, false};
  if (d == "float32" || d == "single") return {4, false};
  if (!d.empty() && (d[0] == '<' || d[0] == '=' || d[0] == '|' || d[0] == '>' || d[0] == '!')) {
    t.big_endian = d[0] == '>' || d[0] == '!';
    d.remove_prefix(1);
  }
  if (d == "f8" || d == "d") t.item = 8;
  if (d == "f4" || d == "f") t.item = 4;
  return t;
}

/// One value at `src` as a double (widened from float32, byte-swapped from big-endian).
double load_value(const char* src, const Dtype& t) {
  char b[8];
  std::memcpy(b, src, t.item);
  if (t.big_endian) std::reverse(b, b + t.item);
  if (t.item == 8) {
    double v;
    std::memcpy(&v, b, 8);
    return v;
  }
  float f;
  std::memcpy(&f, b, 4);
  return f;
}

}  // namespace

Recording parse_npy(std::string_view bytes, const std::filesystem::path& path, double sample_rate,
                    const ValueOptions& values) {
  const NpyHeader h = parse_npy_header(path, bytes);
  const Dtype dtype = parse_dtype(h.descr);
  const uint64_t item = dtype.item;
  if (item == 0)
    fail_byte(path, h.text_at,
              "unsupported dtype " + detail::quote_token(h.descr) +
                  " (expected float32 or float64: '<f4', '<f8', ...)");
  if (h.shape.empty() || h.shape.size() > 2)
    fail_byte(path, h.text_at,
              "unsupported shape with " + std::to_string(h.shape.size()) +
                  " dimensions (expected (frames,) or (frames, channels))");
  const uint64_t n = h.shape[0];
  const uint64_t c = h.shape.size() == 2 ? h.shape[1] : 1;
  const std::string shape = "shape (" + std::to_string(n) + ", " + std::to_string(c) + ")";
  if (n == 0 || c == 0)
    fail_byte(path, h.text_at,
              shape + " holds no values (expected at least one frame and channel)");
  if (c > detail::kMaxChannels)
    fail_byte(path, h.text_at,
              shape + ": more than " + std::to_string(detail::kMaxChannels) + " channels");
  const uint64_t available = bytes.size() - h.data_offset;
  const bool overflow = n > UINT64_MAX / c / item;
  const uint64_t needed = overflow ? UINT64_MAX : n * c * item;
  const std::string what = shape + " of " + std::to_string(item) + "-byte values needs " +
                           (overflow ? std::string("too many") : std::to_string(needed)) +
                           " bytes from byte " + std::to_string(h.data_offset);
  if (needed > available)
    fail_byte(path, bytes.size(), "truncated data: " + what + ", the file ends here");
  if (needed < available)
    fail_byte(
        path, h.data_offset + needed,
        std::to_string(available - needed) + " unexpected bytes after the data (" + what + ")");
  // From here n * c * item <= the file's size: nothing below can overflow or over-allocate.
  Recording rec;
  rec.meta.filename = path.filename().string();
  rec.meta.num_frames = static_cast<int64_t>(n);
  rec.sample_rate = sample_rate;
  for (uint64_t k = 0; k < c; ++k) rec.channels.push_back("c" + std::to_string(k));
  rec.data.resize(n * c);
  const char* src = bytes.data() + h.data_offset;
  for (uint64_t k = 0; k < n * c; ++k) {
    double v = load_value(src + k * item, dtype);
    const std::string problem = detail::check_binary_value(v, values);
    if (!problem.empty()) fail_byte(path, h.data_offset + k * item, problem);
    // C order stores [t, ch] at t*c + ch; Fortran order at ch*n + t (already channel-major).
    const uint64_t dst = h.fortran || c == 1 ? k : (k % c) * n + k / c;
    rec.data[dst] = v;
  }
  detail::check_read(rec, path);
  return rec;
}

Recording read_npy(const std::filesystem::path& path, double sample_rate,
                   const ValueOptions& values) {
  return parse_npy(detail::read_whole_file(path), path, sample_rate, values);
}

std::string npy_bytes(const Recording& rec, const std::string& what) {
  validate(rec, what);
  const auto n = static_cast<uint64_t>(rec.frames());
  const auto c = static_cast<uint64_t>(rec.channel_count());
  std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + std::to_string(n) +
                     ", " + std::to_string(c) + "), }";
  const std::size_t unpadded = kMagicLen + 4 + dict.size() + 1;  // + the closing newline
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';
  std::string out(kMagic, kMagicLen);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>(dict.size() >> 8);
  out += dict;
  const std::size_t data_at = out.size();
  out.resize(data_at + n * c * 8);
  char* dst = out.data() + data_at;
  for (uint64_t t = 0; t < n; ++t)
    for (uint64_t k = 0; k < c; ++k) std::memcpy(dst + (t * c + k) * 8, &rec.data[k * n + t], 8);
  return out;
}

void write_npy(const std::filesystem::path& path, const Recording& rec) {
  write_file_atomic(path, npy_bytes(rec, path.string()));
}

}  // namespace swingpipe::io
