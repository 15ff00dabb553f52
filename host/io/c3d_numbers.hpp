#pragma once
// Private to host/io: C3D numbers in the three processor formats.
//   Intel: little-endian integers, IEEE 754 little-endian floats.
//   DEC:   little-endian integers, VAX F floats (two little-endian 16-bit words, the word with
//          sign and exponent first; exponent bias 128 and the hidden bit at 0.5, so the same bit
//          pattern read as IEEE is 4 times the VAX value).
//   MIPS:  big-endian integers and IEEE 754 floats.
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "swingpipe/host/c3d.hpp"

namespace swingpipe::io::c3d::detail {

static_assert(std::endian::native == std::endian::little,
              "the C3D reader assumes a little-endian host");

template <Processor P>
inline uint16_t load_u16(const unsigned char* p) {
  if constexpr (P == Processor::mips) return static_cast<uint16_t>(p[0] << 8 | p[1]);
  return static_cast<uint16_t>(p[0] | p[1] << 8);
}

template <Processor P>
inline int16_t load_i16(const unsigned char* p) {
  return static_cast<int16_t>(load_u16<P>(p));
}

/// A VAX F float from its four bytes as stored (b0 b1 b2 b3), exactly, as a double.
inline double vax_f_to_double(const unsigned char* p) {
  const uint32_t bits = static_cast<uint32_t>(p[1]) << 24 | static_cast<uint32_t>(p[0]) << 16 |
                        static_cast<uint32_t>(p[3]) << 8 | static_cast<uint32_t>(p[2]);
  const uint32_t exponent = (bits >> 23) & 0xffu;
  const bool negative = (bits >> 31) != 0;
  if (exponent == 0)  // zero; with the sign bit set, a VAX "reserved operand": not a number
    return negative ? std::numeric_limits<double>::quiet_NaN() : 0.0;
  const double mantissa = 1.0 + static_cast<double>(bits & 0x7fffffu) * 0x1.0p-23;
  const double v = std::ldexp(mantissa, static_cast<int>(exponent) - 129);
  return negative ? -v : v;
}

template <Processor P>
inline double load_float(const unsigned char* p) {
  if constexpr (P == Processor::dec) {
    // Fast path: the IEEE reading of the swapped words, divided by 4, is exact for exponents 3 to
    // 254 (IEEE has no normal numbers at 0, and 255 means infinity or NaN there).
    const uint32_t bits = static_cast<uint32_t>(p[1]) << 24 | static_cast<uint32_t>(p[0]) << 16 |
                          static_cast<uint32_t>(p[3]) << 8 | static_cast<uint32_t>(p[2]);
    const uint32_t exponent = (bits >> 23) & 0xffu;
    if (exponent < 3 || exponent == 0xffu) return vax_f_to_double(p);
    return static_cast<double>(std::bit_cast<float>(bits)) * 0.25;
  } else if constexpr (P == Processor::mips) {
    const uint32_t bits = static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
                          static_cast<uint32_t>(p[2]) << 8 | static_cast<uint32_t>(p[3]);
    return static_cast<double>(std::bit_cast<float>(bits));
  } else {
    float f;
    std::memcpy(&f, p, 4);
    return static_cast<double>(f);
  }
}

/// The sign bit of a stored 16-bit word (integer residual word) or float (float residual).
template <Processor P>
inline bool word_negative(const unsigned char* p) {
  return (P == Processor::mips ? p[0] : p[1]) & 0x80;
}
template <Processor P>
inline bool float_negative(const unsigned char* p) {
  if constexpr (P == Processor::intel) return p[3] & 0x80;
  if constexpr (P == Processor::mips) return p[0] & 0x80;
  return p[1] & 0x80;  // DEC: the sign is in the first word's high byte
}

/// Runtime dispatch for the parameter section (not on the hot path).
inline uint16_t load_u16(Processor pr, const unsigned char* p) {
  return pr == Processor::mips ? load_u16<Processor::mips>(p) : load_u16<Processor::intel>(p);
}
inline int16_t load_i16(Processor pr, const unsigned char* p) {
  return static_cast<int16_t>(load_u16(pr, p));
}
inline double load_float(Processor pr, const unsigned char* p) {
  switch (pr) {
    case Processor::dec:
      return load_float<Processor::dec>(p);
    case Processor::mips:
      return load_float<Processor::mips>(p);
    case Processor::intel:
      break;
  }
  return load_float<Processor::intel>(p);
}

}  // namespace swingpipe::io::c3d::detail
