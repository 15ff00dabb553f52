// CSV / NPY / JSON: round trips on fresh random data, and bad input that names file and place.
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "io_test_util.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/io.hpp"
#include "test_support.hpp"

namespace swingpipe {
namespace {

using test::error_message;
using test::read_text;
using test::write_text;
using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Random values over many magnitudes (so round trips need every digit), some NaN.
Recording random_recording(std::mt19937_64& rng, int64_t frames, int channels, double rate,
                           bool with_nan = true) {
  Recording rec;
  rec.meta.filename = "swing.csv";
  rec.meta.num_frames = frames;
  rec.sample_rate = rate;
  for (int c = 0; c < channels; ++c) rec.channels.push_back("ch" + std::to_string(c));
  if (channels >= 3) {
    rec.channels[1] = "hip, left";  // needs quoting in CSV
    rec.channels[2] = "say \"hi\"";
  }
  std::uniform_real_distribution<double> mantissa(-1, 1);
  std::uniform_int_distribution<int> exponent(-30, 30);
  std::uniform_int_distribution<int> nan_one_in(0, 50);
  rec.data.resize(static_cast<std::size_t>(frames) * channels);
  for (auto& v : rec.data)
    v = (with_nan && nan_one_in(rng) == 0) ? kNaN : std::ldexp(mantissa(rng), exponent(rng));
  return rec;
}

/// Bitwise equality, NaN equal to NaN.
void expect_same_values(const std::vector<double>& a, const std::vector<double>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i])) {
      ASSERT_TRUE(std::isnan(b[i])) << "index " << i;
    } else {
      ASSERT_EQ(std::bit_cast<uint64_t>(a[i]), std::bit_cast<uint64_t>(b[i]))
          << "index " << i << ": " << a[i] << " vs " << b[i];
    }
  }
}

struct Shape {
  int64_t frames;
  int channels;
};
// Readers refuse recordings without frames or channels (test_hardening.cpp), so none here.
const Shape kShapes[] = {{200, 4}, {1, 3}, {57, 1}, {13, 150}};

TEST(RoundTrip, CsvKeepsEveryValueAndTheSampleRate) {
  auto rng = test::fresh_rng();
  test::TempDir dir;
  for (const auto s : kShapes)
    for (double rate : {0.0, 240.0}) {
      SCOPED_TRACE(testing::Message() << s.frames << "x" << s.channels << " rate " << rate);
      const auto rec = random_recording(rng, s.frames, s.channels, rate);
      const auto p = dir / "swing.csv";
      io::write_csv(p, rec);
      const auto back = io::read_csv(p);
      EXPECT_EQ(back.channels, rec.channels);
      EXPECT_EQ(back.frames(), rec.frames());
      EXPECT_EQ(back.meta.filename, "swing.csv");
      expect_same_values(rec.data, back.data);
      if (rate > 0 && s.frames >= 2) {
        EXPECT_NEAR(back.sample_rate, rate, rate * 1e-12);
      } else {
        EXPECT_EQ(back.sample_rate, 0);
      }
    }
}

TEST(RoundTrip, NpyIsBitExact) {
  auto rng = test::fresh_rng();
  test::TempDir dir;
  for (const auto s : kShapes) {
    SCOPED_TRACE(testing::Message() << s.frames << "x" << s.channels);
    const auto rec = random_recording(rng, s.frames, s.channels, 0);
    const auto p = dir / "swing.npy";
    io::write_npy(p, rec);
    const std::string bytes = read_text(p);
    ASSERT_GE(bytes.size(), 10u);
    const std::size_t header =
        10 + static_cast<unsigned char>(bytes[8]) + 256 * static_cast<unsigned char>(bytes[9]);
    EXPECT_EQ(header % 64, 0u);
    EXPECT_EQ(bytes[header - 1], '\n');
    EXPECT_EQ(bytes.size(), header + 8 * rec.data.size());
    const auto back = io::read_npy(p, 100);
    EXPECT_EQ(back.frames(), s.frames);
    ASSERT_EQ(back.channel_count(), s.channels);
    EXPECT_EQ(back.channels[0], "c0");
    EXPECT_EQ(back.sample_rate, 100);
    expect_same_values(rec.data, back.data);
  }
}

TEST(RoundTrip, JsonKeepsMetadataAndValues) {
  auto rng = test::fresh_rng();
  test::TempDir dir;
  for (const auto s : kShapes) {
    SCOPED_TRACE(testing::Message() << s.frames << "x" << s.channels);
    auto rec = random_recording(rng, s.frames, s.channels, 360);
    rec.meta.golfer_name = "Ana \"Lefty\" Ruiz";
    rec.meta.tags = {"driver", "range"};
    rec.meta.rating = 4;
    rec.meta.peak_club_speed = 44.5;
    rec.meta.label = "pro";
    const auto p = dir / "swing.json";
    io::write(p, rec);
    if (s.frames > 0 && s.channels > 0) {
      EXPECT_THAT(read_text(p), HasSubstr("\"tags\":[\"driver\",\"range\"]"));
    }
    const auto all = io::read_any(p);
    ASSERT_EQ(all.size(), 1u);
    const auto& back = all[0];
    EXPECT_EQ(back.meta.filename, "swing.csv");
    EXPECT_EQ(back.meta.golfer_name, rec.meta.golfer_name);
    EXPECT_EQ(back.meta.tags, rec.meta.tags);
    EXPECT_EQ(back.meta.rating, 4);
    EXPECT_EQ(back.meta.peak_club_speed, 44.5);
    EXPECT_EQ(back.meta.label, "pro");
    EXPECT_EQ(back.sample_rate, 360);
    EXPECT_EQ(back.channels, rec.channels);
    EXPECT_EQ(back.frames(), s.frames);
    expect_same_values(rec.data, back.data);
  }
}

TEST(RoundTrip, JsonWritesNanAsNull) {
  test::TempDir dir;
  Recording rec;
  rec.meta.num_frames = 3;
  rec.channels = {"x"};
  rec.data = {1.5, kNaN, -2};
  io::write_json(dir / "n.json", rec);
  EXPECT_THAT(read_text(dir / "n.json"), HasSubstr("\"data\":[[1.5,null,-2.0]]"));
}

TEST(Csv, ReadsQuotedNamesTimeColumnBlankLinesAndMissingCells) {
  test::TempDir dir;
  const auto p = dir / "trial.csv";
  write_text(p,
             "\"Time\", \"club, head\" ,wrist\r\n"
             "0.00,1,2\r\n"
             "\r\n"
             "0.01, nan ,\r\n"
             "0.02,+3.5,-1e-3\r\n");
  io::CsvOptions opt;
  opt.values.empty_is_missing = true;  // the empty last cell of line 4
  const auto rec = io::read_csv(p, opt);
  EXPECT_EQ(rec.channels, (std::vector<std::string>{"club, head", "wrist"}));
  EXPECT_EQ(rec.frames(), 3);
  EXPECT_NEAR(rec.sample_rate, 100, 1e-9);
  EXPECT_EQ(rec.channel(0)[0], 1);
  EXPECT_TRUE(std::isnan(rec.channel(0)[1]));
  EXPECT_EQ(rec.channel(0)[2], 3.5);
  EXPECT_TRUE(std::isnan(rec.channel(1)[1]));
  EXPECT_EQ(rec.channel(1)[2], -1e-3);
}

TEST(Csv, WithoutTimeColumnUsesTheOption) {
  test::TempDir dir;
  const auto p = dir / "a.csv";
  write_text(p, "t,x\n0,1\n5,2\n");
  io::CsvOptions opt;
  opt.sample_rate = 50;
  auto rec = io::read_csv(p, opt);
  EXPECT_EQ(rec.channels, (std::vector<std::string>{"t", "x"}));
  EXPECT_EQ(rec.sample_rate, 50);
  opt.time_column = "T";
  rec = io::read_csv(p, opt);
  EXPECT_EQ(rec.channels, (std::vector<std::string>{"x"}));
  EXPECT_NEAR(rec.sample_rate, 0.2, 1e-15);
}

TEST(Npy, ReadsFloat32FortranOrderOneDimensionalAndVersion2) {
  test::TempDir dir;
  auto npy = [](int major, const std::string& dict, const std::string& payload) {
    std::string h = dict + "\n";
    std::string out = "\x93NUMPY";
    out += static_cast<char>(major);
    out += '\0';
    const std::size_t len = h.size();
    out += static_cast<char>(len & 0xff);
    out += static_cast<char>(len >> 8);
    if (major >= 2) out += std::string(2, '\0');
    return out + h + payload;
  };
  auto floats = [](std::vector<float> v) {
    return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
  };
  auto doubles = [](std::vector<double> v) {
    return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 8);
  };

  // (3, 2) float32 C order: rows (1,2) (3,4) (5,6).
  write_text(dir / "a.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }",
                                floats({1, 2, 3, 4, 5, 6})));
  auto rec = io::read_npy(dir / "a.npy");
  EXPECT_EQ(rec.channels, (std::vector<std::string>{"c0", "c1"}));
  EXPECT_EQ(rec.data, (std::vector<double>{1, 3, 5, 2, 4, 6}));
  // The same array in Fortran order, version 2 header.
  write_text(dir / "b.npy", npy(2, "{'descr': '<f8', 'fortran_order': True, 'shape': (3, 2)}",
                                doubles({1, 3, 5, 2, 4, 6})));
  rec = io::read_npy(dir / "b.npy");
  EXPECT_EQ(rec.data, (std::vector<double>{1, 3, 5, 2, 4, 6}));
  // 1-D, version 3.
  write_text(dir / "c.npy",
             npy(3, "{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (2,)}",
                 doubles({0.25, -7})));
  rec = io::read_npy(dir / "c.npy");
  EXPECT_EQ(rec.channels, std::vector<std::string>{"c0"});
  EXPECT_EQ(rec.data, (std::vector<double>{0.25, -7}));
}

// ---- bad input ------------------------------------------------------------------------------

TEST(CsvErrors, RaggedRowNamesFileAndLine) {
  test::TempDir dir;
  const auto p = dir / "ragged.csv";
  write_text(p, "a,b,c\n1,2,3\n\n4,5\n");
  EXPECT_THAT(error_message([&] { io::read_csv(p); }),
              HasSubstr(p.string() + ":4: expected 3 columns like the header, got 2"));
}

TEST(CsvErrors, NonNumericCellNamesLineAndColumn) {
  test::TempDir dir;
  const auto p = dir / "text.csv";
  write_text(p, "a,b\n1,2\n3,abc\n");
  EXPECT_THAT(error_message([&] { io::read_csv(p); }),
              HasSubstr(p.string() + ":3: column 'b': expected a number, got 'abc'"));
}

TEST(CsvErrors, NonUniformTimeColumnNamesTheLine) {
  test::TempDir dir;
  const auto p = dir / "jitter.csv";
  write_text(p, "time,x\n0,1\n0.01,1\n0.0205,1\n0.03,1\n");
  const auto msg = error_message([&] { io::read_csv(p); });
  EXPECT_THAT(msg, HasSubstr(p.string() + ":4: time column 'time' is not uniform"));
  write_text(p, "time,x\n0.02,1\n0.01,1\n0,1\n");
  EXPECT_THAT(error_message([&] { io::read_csv(p); }),
              HasSubstr(":4: time column 'time' must increase"));
  write_text(p, "time,x\n0,1\nnan,1\n");
  EXPECT_THAT(error_message([&] { io::read_csv(p); }),
              HasSubstr(":3: time column 'time': expected a time"));
}

TEST(CsvErrors, BadHeaders) {
  test::TempDir dir;
  const auto p = dir / "h.csv";
  write_text(p, "\n\n");
  EXPECT_THAT(error_message([&] { io::read_csv(p); }), HasSubstr(p.string() + ": empty file"));
  write_text(p, "a,,b\n");
  EXPECT_THAT(error_message([&] { io::read_csv(p); }), HasSubstr(":1: column 2 has an empty name"));
  write_text(p, "a,b,a\n");
  EXPECT_THAT(error_message([&] { io::read_csv(p); }), HasSubstr(":1: duplicate column name 'a'"));
  write_text(p, "\"a,b\n");
  EXPECT_THAT(error_message([&] { io::read_csv(p); }), HasSubstr(":1: unterminated quote"));
}

/// A valid (4, 2) '<f8' file written by write_npy, as bytes.
std::string valid_npy(const test::TempDir& dir) {
  Recording rec;
  rec.meta.num_frames = 4;
  rec.channels = {"a", "b"};
  rec.data = {1, 2, 3, 4, 5, 6, 7, 8};
  io::write_npy(dir / "ok.npy", rec);
  return read_text(dir / "ok.npy");
}

TEST(NpyErrors, TruncatedDataNamesTheByteOffset) {
  test::TempDir dir;
  const std::string bytes = valid_npy(dir);
  ASSERT_EQ(bytes.size(), 192u);  // 128-byte header + 64 bytes of data
  const auto p = dir / "short.npy";
  write_text(p, bytes.substr(0, 150));
  const auto msg = error_message([&] { io::read_npy(p); });
  EXPECT_THAT(msg, HasSubstr(p.string() + ": byte 150: truncated data"));
  EXPECT_THAT(msg, HasSubstr("needs 64 bytes from byte 128"));
  write_text(p, bytes + "xx");
  EXPECT_THAT(error_message([&] { io::read_npy(p); }),
              HasSubstr(": byte 192: 2 unexpected bytes after the data"));
  write_text(p, bytes.substr(0, 30));
  EXPECT_THAT(error_message([&] { io::read_npy(p); }), HasSubstr(": byte 30: truncated header"));
  write_text(p, "PK\x03\x04 not numpy");
  EXPECT_THAT(error_message([&] { io::read_npy(p); }), HasSubstr(": byte 0: not an NPY file"));
}

TEST(NpyErrors, OtherDtypesAndShapesAreRejected) {
  test::TempDir dir;
  std::string bytes = valid_npy(dir);
  const auto p = dir / "i8.npy";
  bytes.replace(bytes.find("<f8"), 3, "<i8");
  write_text(p, bytes);
  EXPECT_THAT(error_message([&] { io::read_npy(p); }),
              HasSubstr(p.string() + ": byte 10: unsupported dtype '<i8' (expected float32 or "
                                     "float64"));
  bytes.replace(bytes.find("(4, 2)"), 6, "(2,2,2)");
  bytes.replace(bytes.find("<i8"), 3, "<f8");
  write_text(p, bytes);
  EXPECT_THAT(error_message([&] { io::read_npy(p); }),
              HasSubstr("unsupported shape with 3 dimensions"));
}

TEST(IoErrors, UnknownExtensionAndMissingFile) {
  test::TempDir dir;
  EXPECT_THAT(error_message([&] { io::read_any(dir / "swing.xlsx"); }),
              HasSubstr("swing.xlsx: unknown extension '.xlsx'"));
  EXPECT_THAT(error_message([&] { io::format_from_path("README"); }),
              HasSubstr("README: no extension"));
  EXPECT_EQ(io::format_from_path("a/B.CSV"), io::Format::csv);
  Recording rec;
  EXPECT_THAT(error_message([&] { io::write(dir / "x.tsv", rec); }),
              HasSubstr("writing .tsv is not supported"));
  // A missing file is a NotFoundError (not an InputError) naming the path.
  for (const char* name : {"absent.csv", "absent.npy", "absent.json", "absent.ts"})
    EXPECT_THAT(error_message<NotFoundError>([&] { io::read_any(dir / name); }),
                HasSubstr(std::string(name) + ": no such file"));
}

TEST(IoErrors, InvalidJsonNamesTheByte) {
  test::TempDir dir;
  const auto p = dir / "bad.json";
  write_text(p, "{\"channels\": [\"x\"], \"data\": [[1, 2,]]}");
  EXPECT_THAT(error_message([&] { io::read_json(p); }), HasSubstr(p.string() + ": byte "));
  write_text(p, "{\"channels\": [\"x\", \"y\"], \"data\": [[1, 2], [3]]}");
  EXPECT_THAT(error_message([&] { io::read_json(p); }),
              HasSubstr("key 'data': channel 1: expected an array of 2 values"));
}

TEST(IoErrors, WritersRejectInconsistentRecordings) {
  test::TempDir dir;
  Recording rec;
  rec.meta.num_frames = 2;
  rec.channels = {"x"};
  rec.data = {1};
  EXPECT_THAT(error_message([&] { io::write_csv(dir / "x.csv", rec); }), HasSubstr("x.csv"));
  EXPECT_FALSE(std::filesystem::exists(dir / "x.csv"));
  rec.data = {1, 2};
  rec.channels = {"TIME"};
  rec.sample_rate = 10;
  EXPECT_THAT(error_message([&] { io::write_csv(dir / "x.csv", rec); }),
              HasSubstr("clashes with the time column"));
}

}  // namespace
}  // namespace swingpipe
