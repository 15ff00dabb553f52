// The exact fast path for decimal numbers gives what std::from_chars gives, bit for bit.
#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <random>

#include "../../../host/io/stream_text.hpp"
#include "test_support.hpp"

namespace swingpipe {
namespace {

double reference(const std::string& s) {
  double v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  EXPECT_TRUE(ec == std::errc() && ptr == s.data() + s.size()) << s;
  return v;
}

void expect_same(const std::string& s) {
  double fast = 0;
  if (!io::detail::parse_decimal_fast(s, fast)) return;  // not its case: from_chars handles it
  EXPECT_EQ(std::bit_cast<uint64_t>(fast), std::bit_cast<uint64_t>(reference(s))) << s;
}

TEST(ParseDecimalFast, EqualsFromCharsOnRandomPrintedNumbers) {
  auto rng = test::fresh_rng();
  std::uniform_real_distribution<double> mag(-30, 30);
  std::uniform_int_distribution<int> prec(0, 17);
  const char* formats[] = {"%.*f", "%.*e", "%.*g", "%.*E"};
  char buf[128];
  int taken = 0;
  for (int i = 0; i < 200000; ++i) {
    const double v = std::pow(10.0, mag(rng)) * (rng() % 2 ? -1 : 1);
    std::snprintf(buf, sizeof buf, formats[i % 4], prec(rng), v);
    double fast = 0;
    taken += io::detail::parse_decimal_fast(buf, fast);
    expect_same(buf);
  }
  EXPECT_GT(taken, 50000);  // the fast path is the common case
}

TEST(ParseDecimalFast, EdgesAndWhatItLeavesToFromChars) {
  for (const char* s : {"0", "-0", "0.0", "-0.000", "5.", ".5", "-.25", "1e22", "1e-22",
                        "9007199254740992", "123.456789", "1E+3", "2.5e-3", "0.1", "0.3"})
    expect_same(s);
  double v = 0;
  for (const char* s : {"", "-", ".", "e5", "1e", "1e+", "nan", "inf", "+1", "1,5", " 1", "1 ",
                        "12345678901234567890", "9007199254740993", "1e23", "1e-23", "0x10"})
    EXPECT_FALSE(io::detail::parse_decimal_fast(s, v)) << s;
  ASSERT_TRUE(io::detail::parse_decimal_fast("-0", v));
  EXPECT_TRUE(std::signbit(v));
}

}  // namespace
}  // namespace swingpipe
