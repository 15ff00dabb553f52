// CSV header detection: a first line of numbers is data (np.savetxt output keeps its first
// sample), --header/--no-header force it, bad header names are errors naming the line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "io_test_util.hpp"
#include "swingpipe/host/io.hpp"
#include "test_support.hpp"

namespace swingpipe {
namespace {

using test::error_message;
using test::write_text;
using ::testing::HasSubstr;

TEST(CsvHeader, FirstLineOfNumbersIsData) {
  test::TempDir dir;
  const auto p = dir / "savetxt.csv";
  write_text(p, "1.5,2\n-3e-2,nan\n,4\n");
  // An empty field is an error unless asked for (issue 13), naming the line of the data.
  EXPECT_THAT(error_message([&] { io::read_csv(p); }),
              HasSubstr(p.string() + ":3: column 'ch0': empty field"));
  io::CsvOptions opt;
  opt.values.empty_is_missing = true;
  const Recording r = io::read_csv(p, opt);
  EXPECT_EQ(r.channels, (std::vector<std::string>{"ch0", "ch1"}));
  ASSERT_EQ(r.frames(), 3);
  EXPECT_EQ(r.channel(0)[0], 1.5);
  EXPECT_EQ(r.channel(0)[1], -0.03);
  EXPECT_TRUE(std::isnan(r.channel(0)[2]));
  EXPECT_EQ(r.channel(1)[0], 2);
  EXPECT_TRUE(std::isnan(r.channel(1)[1]));
  EXPECT_EQ(r.sample_rate, 0);
}

TEST(CsvHeader, OneNameAmongNumbersMakesAHeader) {
  test::TempDir dir;
  const auto p = dir / "h.csv";
  write_text(p, "time,1\n0,5\n0.5,6\n");
  const Recording r = io::read_csv(p);
  EXPECT_EQ(r.channels, std::vector<std::string>{"1"});
  EXPECT_EQ(r.sample_rate, 2);
  EXPECT_EQ(r.data, (std::vector<double>{5, 6}));
}

TEST(CsvHeader, ForcedEitherWay) {
  test::TempDir dir;
  const auto p = dir / "f.csv";
  write_text(p, "10,20\n1,2\n");
  io::CsvOptions opt;
  opt.header = io::CsvHeader::present;
  Recording r = io::read_csv(p, opt);
  EXPECT_EQ(r.channels, (std::vector<std::string>{"10", "20"}));
  EXPECT_EQ(r.frames(), 1);
  opt.header = io::CsvHeader::absent;
  r = io::read_csv(p, opt);
  EXPECT_EQ(r.channels, (std::vector<std::string>{"ch0", "ch1"}));
  EXPECT_EQ(r.frames(), 2);
  write_text(p, "a,b\n1,2\n");
  EXPECT_THAT(error_message([&] { io::read_csv(p, opt); }),
              HasSubstr(p.string() + ":1: column 'ch0': expected a number, got 'a'"));
  write_text(p, "1,2\n3\n");
  EXPECT_THAT(error_message([&] { io::read_csv(p, opt); }),
              HasSubstr(":2: expected 2 columns like the first line, got 1"));
}

TEST(CsvHeader, SingleLineAndSingleColumn) {
  test::TempDir dir;
  const auto p = dir / "one.csv";
  write_text(p, "42\n");
  const Recording r = io::read_csv(p);
  EXPECT_EQ(r.channels, std::vector<std::string>{"ch0"});
  EXPECT_EQ(r.data, std::vector<double>{42});
  write_text(p, "x\n3\n");
  const Recording h = io::read_csv(p);
  EXPECT_EQ(h.channels, std::vector<std::string>{"x"});
  EXPECT_EQ(h.data, std::vector<double>{3});
}

TEST(CsvHeader, BadNamesAreErrorsNamingTheLine) {
  test::TempDir dir;
  const auto p = dir / "bad.csv";
  write_text(p, "\n\na,b,a\n1,2,3\n");
  EXPECT_THAT(error_message([&] { io::read_csv(p); }), HasSubstr(":3: duplicate column name 'a'"));
  write_text(p, "a,,1\n");
  EXPECT_THAT(error_message([&] { io::read_csv(p); }), HasSubstr(":1: column 2 has an empty name"));
  io::CsvOptions opt;
  opt.header = io::CsvHeader::present;
  write_text(p, "1,2,1\n");
  EXPECT_THAT(error_message([&] { io::read_csv(p, opt); }),
              HasSubstr(":1: duplicate column name '1'"));
}

TEST(CsvHeader, NumpySavetxtOutputKeepsEverySample) {
  SWINGPIPE_REQUIRE_TEST_PYTHON(py);
  test::TempDir dir;
  const auto p = dir / "np.csv";
  std::string out;
  ASSERT_EQ(test::run_shell(py.string() +
                                " -c \"import numpy as np; rng = np.random.default_rng(); "
                                "x = rng.standard_normal((57, 3)); x[5, 1] = np.nan; "
                                "np.savetxt('" +
                                p.string() +
                                "', x, delimiter=','); "
                                "np.save('" +
                                (dir / "np.npy").string() + "', x)\"",
                            &out),
            0)
      << out;
  const Recording r = io::read_csv(p);
  const Recording ref = io::read_npy(dir / "np.npy");
  EXPECT_EQ(r.channels, (std::vector<std::string>{"ch0", "ch1", "ch2"}));
  ASSERT_EQ(r.frames(), 57);
  ASSERT_EQ(r.data.size(), ref.data.size());
  for (std::size_t i = 0; i < r.data.size(); ++i) {
    if (std::isnan(ref.data[i]))
      EXPECT_TRUE(std::isnan(r.data[i])) << i;
    else
      EXPECT_EQ(r.data[i], ref.data[i]) << i;  // %.18e round-trips exactly
  }
}

}  // namespace
}  // namespace swingpipe
