// Issue 13: every crash, hang and silent change the fuzzers found, as a regression test. Each
// bad input is refused with an InputError naming the file and the line or byte; each good one is
// kept exactly.
#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "io_test_util.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/io.hpp"
#include "swingpipe/host/library.hpp"
#include "swingpipe/host/recording_json.hpp"
#include "swingpipe/host/untrusted.hpp"
#include "swingpipe/pipeline/config.hpp"
#include "test_support.hpp"

namespace swingpipe {
namespace {

using test::error_message;
using test::write_text;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr double kInf = std::numeric_limits<double>::infinity();

uint64_t bits(double v) {
  return std::bit_cast<uint64_t>(v);
}

std::string nested(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

/// An NPY file: magic, version 1, the header dict padded to 64 bytes, then `payload`.
std::string npy(const std::string& dict, const std::string& payload = "") {
  std::string h = dict;
  const std::size_t unpadded = 10 + h.size() + 1;
  h.append((64 - unpadded % 64) % 64, ' ');
  h += '\n';
  std::string out = "\x93NUMPY\x01";
  out += '\0';
  out += static_cast<char>(h.size() & 0xff);
  out += static_cast<char>(h.size() >> 8);
  return out + h + payload;
}

std::string doubles(const std::vector<double>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 8);
}

// ---- crashes and hangs ------------------------------------------------------------------------

TEST(Crashes, DeeplyNestedJsonFollowedByAKeyIsRefusedWithTheByte) {
  test::TempDir dir;
  const auto p = dir / "deep.json";
  for (std::size_t depth : {5000u, 100000u}) {
    write_text(p, "{\"a\":" + nested(depth) + ",\"b\":1}");
    const auto msg = error_message([&] { io::read_any(p); });
    // The 65th '[' (the first one too deep) is at byte 5 + 64 - 1.
    EXPECT_THAT(msg, HasSubstr(p.string() + ": byte 68: nesting deeper than 64 levels")) << depth;
  }
  // 63 levels inside the object are fine as JSON (and then refused as a recording).
  write_text(p, "{\"a\":" + nested(63) + "}");
  const auto msg = error_message([&] { io::read_any(p); });
  EXPECT_THAT(msg, HasSubstr("key 'channels': required key is missing"));
  EXPECT_THAT(msg, Not(HasSubstr("nesting")));
}

TEST(Crashes, ParseJsonNamesTheByteOfEveryKindOfError) {
  const std::string src = "x.json";
  auto msg = [&](const std::string& text) {
    return error_message([&] { io::parse_json(text, src); });
  };
  EXPECT_THAT(msg("{\"a\": 1,}"), HasSubstr("x.json: byte 8: invalid JSON"));
  EXPECT_THAT(msg("{\"a\": 1e309}"),
              HasSubstr("byte 6: number outside the float64 range: '1e309'"));
  EXPECT_THAT(msg("{\"a\": 1, \"a\": 2}"), HasSubstr("byte 9: duplicate key 'a'"));
  EXPECT_THAT(msg(std::string("{\"a\": 1}\0trailing", 17)), HasSubstr("byte 8: NUL byte"));
  EXPECT_THAT(msg("{\"a\": 1} {}"), HasSubstr("byte 9: invalid JSON"));
  EXPECT_THAT(msg("[\"\xff\"]"), HasSubstr("invalid JSON"));
  // A long bad string is quoted short, never whole.
  const std::string long_bad = "[\"" + std::string(100000, 'x') + "\x01\"]";
  const std::string m = msg(long_bad);
  EXPECT_LT(m.size(), 400u) << m;
  EXPECT_TRUE(io::is_valid_utf8(m));
  // What parses is exact: 1e-400 is zero, integers stay integers, trailing blanks are fine.
  const auto j = io::parse_json("{\"t\": 1e-400, \"n\": 9007199254740993}  \n", src);
  EXPECT_EQ(j["t"].get<double>(), 0.0);
  EXPECT_EQ(j["n"].get<uint64_t>(), 9007199254740993u);
  EXPECT_EQ(io::parse_json(nested(64), src).dump(), nested(64));
}

TEST(Crashes, NpyShapesThatWouldAllocateWithoutLimitAreRefusedFirst) {
  test::TempDir dir;
  const auto p = dir / "huge.npy";
  const auto t0 = std::chrono::steady_clock::now();
  write_text(p, npy("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 1000000000000), }"));
  EXPECT_THAT(error_message([&] { io::read_npy(p); }),
              HasSubstr(p.string() + ": byte 10: shape (0, 1000000000000) holds no values"));
  write_text(p,
             npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 0), }"));
  EXPECT_THAT(error_message([&] { io::read_npy(p); }), HasSubstr("holds no values"));
  write_text(p, npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1000000000000), }"));
  EXPECT_THAT(error_message([&] { io::read_npy(p); }), HasSubstr("more than 100000 channels"));
  write_text(p,
             npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 2), }"));
  EXPECT_THAT(error_message([&] { io::read_npy(p); }), HasSubstr("needs too many bytes"));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST(Crashes, ValidateHasNoOverflowingProduct) {
  Recording rec;
  rec.channels = {"a", "b", "c", "d"};
  rec.meta.num_frames = int64_t{1} << 62;  // 4 x 2^62 overflows int64
  EXPECT_THAT(error_message([&] { validate(rec, "r"); }), HasSubstr("does not match 0 values"));
  rec.channels.clear();
  EXPECT_THAT(error_message([&] { validate(rec, "r"); }), HasSubstr("0 channels x"));
}

TEST(Crashes, ZeroChannelNpyCannotBreakLibraryStats) {
  test::TempDir dir;
  RecordingLibrary lib(dir / "lib.db");
  for (const char* name : {"a.npy", "b.npy"}) {
    write_text(
        dir / name,
        npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 0), }"));
    EXPECT_THROW(io::read_any(dir / name), InputError);
  }
  // Even a recording built by hand cannot claim frames without channels.
  Recording rec;
  rec.meta.filename = "x";
  rec.meta.num_frames = int64_t{1} << 62;
  EXPECT_THROW(lib.add(rec), InputError);
  EXPECT_EQ(lib.stats().total_frames, 0);
}

// ---- silent changes ---------------------------------------------------------------------------

TEST(SilentChanges, CsvWithCarriageReturnLineEndings) {
  test::TempDir dir;
  const auto p = dir / "mac.csv";
  write_text(p, "time,x\r0,1\r0.01,2\r0.02,3\r");
  const auto rec = io::read_csv(p);
  EXPECT_EQ(rec.channels, std::vector<std::string>{"x"});
  EXPECT_EQ(rec.data, (std::vector<double>{1, 2, 3}));
  EXPECT_NEAR(rec.sample_rate, 100, 1e-9);
  write_text(p, "x\r1\r\rbad\r");
  EXPECT_THAT(error_message([&] { io::read_csv(p); }), HasSubstr(p.string() + ":4: column 'x'"));
}

TEST(SilentChanges, CsvEmptyFieldIsAnErrorUnlessAskedForAndACutLineAlways) {
  test::TempDir dir;
  const auto p = dir / "gap.csv";
  write_text(p, "a,b\n1,2\n3,\n");
  EXPECT_THAT(error_message([&] { io::read_csv(p); }),
              HasSubstr(p.string() + ":3: column 'b': empty field"));
  io::CsvOptions opt;
  opt.values.empty_is_missing = true;
  const auto rec = io::read_csv(p, opt);
  EXPECT_EQ(rec.channel(1)[0], 2);
  EXPECT_TRUE(std::isnan(rec.channel(1)[1]));
  // Cut off after a comma (no line ending): an error even with empty_is_missing.
  write_text(p, "a,b\n1,2\n3,");
  EXPECT_THAT(error_message([&] { io::read_csv(p, opt); }),
              HasSubstr(":3: the file ends after a comma"));
  // A complete last line without a line ending is fine.
  write_text(p, "a,b\n1,2\n3,4");
  EXPECT_EQ(io::read_csv(p).frames(), 2);
}

TEST(SilentChanges, ZeroChannelsAndZeroFramesAreRefusedByEveryReader) {
  test::TempDir dir;
  auto refused = [&](const std::string& name, const std::string& text, const char* what) {
    write_text(dir / name, text);
    EXPECT_THAT(error_message([&] { io::read_any(dir / name); }), HasSubstr(what)) << name;
  };
  refused("only_time.csv", "time\n0\n0.1\n", ":1: no channels");
  refused("header_only.csv", "a,b\n", ":1: no rows of data");
  refused("no_channels.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4, 0), }"),
          "holds no values");
  refused("no_frames.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 3), }"),
          "holds no values");
  refused("null.json", R"({"channels": null, "data": []})", "key 'channels': required key");
  refused("none.json", R"({"channels": [], "data": []})", "key 'channels': no channels");
  refused("empty.json", R"({"channels": ["x"], "data": [[]]})", "channel 0: no values");
  refused("empty.tsv", "\n\n", "no series");
  refused("empty.ts", "@data\n", "no series");
}

TEST(SilentChanges, JsonMetadataIntegersMustBeIntegersInRange) {
  test::TempDir dir;
  const auto p = dir / "meta.json";
  auto with = [&](const std::string& key, const std::string& value) {
    write_text(p, "{\"" + key + "\": " + value + R"(, "channels": ["x"], "data": [[1]]})");
    return error_message([&] { io::read_json(p); });
  };
  for (const char* v : {"3.9", "true", "1e300", "3.0", "\"3\""})
    EXPECT_THAT(with("rating", v), HasSubstr(p.string() + ": key 'rating': expected an integer"))
        << v;
  for (const char* v : {"9007199254740993", "4294967297", "6", "-1"})
    EXPECT_THAT(with("rating", v), HasSubstr("is outside [0, 5]")) << v;
  EXPECT_THAT(with("num_frames", "1.5"), HasSubstr("key 'num_frames': expected an integer"));
  EXPECT_THAT(with("num_frames", "2"), HasSubstr("2 does not match the 1 values"));
  EXPECT_THAT(with("id", "18446744073709551615"), HasSubstr("key 'id':"));
  EXPECT_THAT(with("duration", "true"), HasSubstr("key 'duration': expected a number"));
  EXPECT_THAT(with("filename", "\"\""), HasSubstr("key 'filename': must not be empty"));
  EXPECT_THAT(with("tags", "[\" a\"]"), HasSubstr("without surrounding blanks"));
  EXPECT_THAT(with("tags", "[\"a\", \"a\"]"), HasSubstr("appears twice"));
  EXPECT_THAT(with("sample_rte", "100"), HasSubstr("unknown key 'sample_rte'"));
  EXPECT_THAT(with("checksum", "\"abc\""), HasSubstr("key 'checksum': 'abc' does not match"));
  // The largest integers in range are kept exactly.
  write_text(p, R"({"rating": 5, "id": 9223372036854775807, "channels": ["x"], "data": [[1]]})");
  const auto rec = io::read_json(p);
  EXPECT_EQ(rec.meta.rating, 5);
  EXPECT_EQ(rec.meta.id, 9223372036854775807);
}

TEST(SilentChanges, TrailingDataAfterTheJsonValueIsRefused) {
  test::TempDir dir;
  const auto p = dir / "tail.json";
  const std::string good = R"({"channels": ["x"], "data": [[1, 2]]})";
  write_text(p, good + std::string("\0\0junk", 6));
  EXPECT_THAT(error_message([&] { io::read_json(p); }),
              HasSubstr(p.string() + ": byte " + std::to_string(good.size()) + ": NUL byte"));
  write_text(p, good + "\n{\"more\": 1}");
  EXPECT_THAT(error_message([&] { io::read_json(p); }), HasSubstr("expected end of input"));
  write_text(p, good + " \n\t\r\n");
  EXPECT_EQ(io::read_json(p).frames(), 2);
}

TEST(SilentChanges, TsvDecimalCommaIsRefused) {
  test::TempDir dir;
  const auto p = dir / "Comma_TRAIN.tsv";
  write_text(p, "1\t0.5\t0.7\n2\t0,5\t0,7\n");
  EXPECT_THAT(
      error_message([&] { io::read_labelled(p); }),
      HasSubstr(p.string() + ":2: value 1: expected a number, got '0,5' (a decimal comma?"));
  write_text(p, "1 0,5 0,7\n");  // commas and spaces: an error either way, never 0 and 5
  EXPECT_THAT(error_message([&] { io::read_labelled(p); }), HasSubstr(":1: value 1: expected"));
  // The older comma-separated archive format still reads.
  write_text(p, "1,0.5,0.7\n");
  EXPECT_EQ(io::read_labelled(p)[0].data, (std::vector<double>{0.5, 0.7}));
}

TEST(SilentChanges, InfinityIsAnErrorUnlessAskedForAndThenRoundTripsExactly) {
  test::TempDir dir;
  write_text(dir / "inf.csv", "x,y\n1,inf\n-Infinity,2\n");
  EXPECT_THAT(error_message([&] { io::read_any(dir / "inf.csv"); }),
              HasSubstr(":2: column 'y': infinite value 'inf'"));
  write_text(dir / "inf_TRAIN.tsv", "1\t0.5\t-inf\n");
  EXPECT_THAT(error_message([&] { io::read_any(dir / "inf_TRAIN.tsv"); }),
              HasSubstr(":1: value 2: infinite value"));
  write_text(dir / "inf.npy",
             npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", doubles({1, kInf})));
  // The header pads to 128 bytes; the second value starts at byte 136.
  EXPECT_THAT(error_message([&] { io::read_any(dir / "inf.npy"); }),
              HasSubstr(": byte 136: infinite value inf"));

  io::ImportOptions allow;
  allow.values.allow_infinite = true;
  const Recording rec = io::read_any(dir / "inf.csv", allow)[0];
  EXPECT_EQ(rec.data, (std::vector<double>{1, -kInf, kInf, 2}));
  // Every value kind survives every writer and the library bit for bit.
  Recording all = rec;
  all.meta.num_frames = 8;
  all.data = {kInf, -kInf,   std::numeric_limits<double>::quiet_NaN(),
              -0.0, 5e-324,  std::numeric_limits<double>::max(),
              0.1,  -1e-300, 1,
              2,    3,       4,
              5,    6,       7,
              8};
  RecordingLibrary lib(dir / "lib.db");
  all.meta.filename = "all";
  const Recording stored = lib.get(lib.add(all));
  for (const char* name : {"rt.json", "rt.csv", "rt.npy"}) {
    io::write(dir / name, stored);
    EXPECT_THAT(error_message([&] { io::read_any(dir / name); }), HasSubstr("infinite value"))
        << name;
    const Recording back = io::read_any(dir / name, allow)[0];
    ASSERT_EQ(back.data.size(), stored.data.size()) << name;
    for (std::size_t i = 0; i < back.data.size(); ++i)
      EXPECT_EQ(bits(back.data[i]), bits(stored.data[i])) << name << " value " << i;
  }
  EXPECT_THAT(test::read_text(dir / "rt.json"), HasSubstr("[\"inf\",\"-inf\",null,-0.0,"));
}

TEST(SilentChanges, InvalidUtf8AndControlCharactersInNamesAndLabelsAreRefused) {
  test::TempDir dir;
  auto refused = [&](const std::string& name, const std::string& text, const char* what) {
    write_text(dir / name, text);
    EXPECT_THAT(error_message([&] { io::read_any(dir / name); }), HasSubstr(what)) << name;
  };
  refused("bad_TRAIN.tsv", "1\t0.5\n\xff\xfe\t0.5\n",
          ":2: class label '\\xff\\xfe' is not valid UTF-8");
  refused("bad.ts", "@classLabel true\n@data\n1,2:ok\n1,2:caf\xc3\n",
          ":4: class label 'caf\\xc3' is not valid UTF-8");
  refused("bad.csv", "time,\xc0\xafx\n0,1\n", ":1: column name '\\xc0\\xafx' is not valid UTF-8");
  refused("ctl.csv", "\"a\x01\",b\n0,1\n", ":1: column name 'a\\x01' contains a control character");
  refused("bad.json", "{\"channels\": [\"a\\u0007\"], \"data\": [[1]]}",
          "contains a control character");
  // Valid UTF-8 is kept as written.
  write_text(dir / "ok_TRAIN.tsv", "caf\xc3\xa9\t0.5\n");
  EXPECT_EQ(io::read_any(dir / "ok_TRAIN.tsv")[0].meta.label, "caf\xc3\xa9");
}

TEST(SilentChanges, TinyNumbersReadAsZeroOrSubnormalAndHugeOnesAreErrors) {
  test::TempDir dir;
  write_text(dir / "tiny.csv", "x\n1e-400\n-1e-400\n5e-324\n2.4e-324\n");
  const auto rec = io::read_any(dir / "tiny.csv")[0];
  EXPECT_EQ(bits(rec.data[0]), bits(0.0));
  EXPECT_EQ(bits(rec.data[1]), bits(-0.0));
  EXPECT_EQ(rec.data[2], std::numeric_limits<double>::denorm_min());
  EXPECT_EQ(bits(rec.data[3]), bits(0.0));
  write_text(dir / "tiny_TRAIN.tsv", "1\t1e-400\t2\n");
  EXPECT_EQ(io::read_any(dir / "tiny_TRAIN.tsv")[0].data, (std::vector<double>{0, 2}));
  write_text(dir / "tiny.ts", "@classLabel true a\n@data\n1e-400,3:a\n");
  EXPECT_EQ(io::read_any(dir / "tiny.ts")[0].data, (std::vector<double>{0, 3}));
  write_text(dir / "tiny.json", R"({"channels": ["x"], "data": [[1e-400]]})");
  EXPECT_EQ(io::read_any(dir / "tiny.json")[0].data, std::vector<double>{0});
  write_text(dir / "huge.csv", "x\n1\n1e309\n");
  EXPECT_THAT(error_message([&] { io::read_any(dir / "huge.csv"); }),
              HasSubstr(":3: column 'x': '1e309' is outside the float64 range"));
}

TEST(SilentChanges, NpyDtypeSpellingsNumpyReadsAreAccepted) {
  test::TempDir dir;
  const auto p = dir / "d.npy";
  for (const char* d : {"<f8", "=f8", "|f8", "f8", "<d", "=d", "d", "float64", "double", "float"}) {
    write_text(p,
               npy(std::string("{'descr': '") + d + "', 'fortran_order': False, 'shape': (2,), }",
                   doubles({0.25, -3})));
    EXPECT_EQ(io::read_npy(p).data, (std::vector<double>{0.25, -3})) << d;
  }
  const float f[] = {0.5f, -2.f};
  for (const char* d : {"<f4", "=f4", "f4", "<f", "f", "float32", "single"}) {
    write_text(p,
               npy(std::string("{'descr': '") + d + "', 'fortran_order': False, 'shape': (2,), }",
                   std::string(reinterpret_cast<const char*>(f), 8)));
    EXPECT_EQ(io::read_npy(p).data, (std::vector<double>{0.5, -2})) << d;
  }
  // Big-endian is byte-swapped, not refused.
  std::string be = doubles({0.25});
  std::reverse(be.begin(), be.end());
  write_text(p, npy("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", be));
  EXPECT_EQ(io::read_npy(p).data, std::vector<double>{0.25});
  write_text(p, npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", be));
  EXPECT_THAT(error_message([&] { io::read_npy(p); }), HasSubstr("unsupported dtype '<i8'"));
}

TEST(SilentChanges, NpyGarbageAfterTheHeaderDictOrDuplicateKeysAreRefused) {
  test::TempDir dir;
  const auto p = dir / "g.npy";
  write_text(p,
             npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }garbage", doubles({1})));
  EXPECT_THAT(error_message([&] { io::read_npy(p); }),
              HasSubstr(p.string() + ": byte 67: unexpected bytes after the header dict"));
  write_text(p, npy("{'descr': '<f8', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}",
                    doubles({1})));
  EXPECT_THAT(error_message([&] { io::read_npy(p); }), HasSubstr("duplicate header key 'descr'"));
}

TEST(SilentChanges, CsvTimeColumnMustGiveAFiniteRate) {
  test::TempDir dir;
  const auto p = dir / "t.csv";
  write_text(p, "time,x\n-1e308,1\n1e308,2\n");
  EXPECT_THAT(error_message([&] { io::read_csv(p); }),
              HasSubstr(":3: time column 'time' gives no sample rate within"));
  write_text(p, "time,x\n0,1\n5e-324,2\n");
  EXPECT_THAT(error_message([&] { io::read_csv(p); }), HasSubstr("gives no sample rate within"));
  write_text(p, "time,x\n0,1\n1e-12,2\n");  // 1e12 Hz
  EXPECT_THAT(error_message([&] { io::read_csv(p); }), HasSubstr("gives no sample rate within"));
}

TEST(SilentChanges, CsvRefusesToWriteAChannelItWouldReadBackAsTheClock) {
  test::TempDir dir;
  Recording rec;
  rec.meta.num_frames = 1;
  rec.channels = {"Time"};
  rec.data = {1};
  for (double rate : {0.0, 100.0}) {
    rec.sample_rate = rate;
    EXPECT_THAT(error_message([&] { io::write_csv(dir / "t.csv", rec); }),
                HasSubstr("channel 'Time' clashes with the time column"));
    EXPECT_FALSE(std::filesystem::exists(dir / "t.csv"));
  }
}

TEST(SilentChanges, JsonMetadataNegativeZeroIsZeroAndSurvivesTheLibrary) {
  // SQLite's REAL columns drop the sign of zero, so the reader takes -0 for the number it is.
  test::TempDir dir;
  write_text(dir / "z.json",
             R"({"duration": -0.0, "peak_club_speed": -0, "channels": ["x"], "data": [[-0.0]]})");
  const Recording rec = io::read_json(dir / "z.json");
  EXPECT_EQ(bits(rec.meta.duration), bits(0.0));
  EXPECT_EQ(bits(rec.meta.peak_club_speed), bits(0.0));
  EXPECT_EQ(bits(rec.data[0]), bits(-0.0));  // series values keep every bit
  RecordingLibrary lib(dir / "lib.db");
  const Recording back = lib.get(lib.add(rec));
  EXPECT_EQ(bits(back.meta.duration), bits(0.0));
  EXPECT_EQ(bits(back.data[0]), bits(-0.0));
}

TEST(SilentChanges, SampleRatesOutsideTheSupportedRangeAreRefused) {
  test::TempDir dir;
  for (const char* rate : {"1e-7", "2e9", "-1"}) {
    write_text(dir / "r.json", std::string(R"({"sample_rate": )") + rate +
                                   R"(, "channels": ["x"], "data": [[1]]})");
    EXPECT_THAT(error_message([&] { io::read_json(dir / "r.json"); }),
                HasSubstr("key 'sample_rate': must be 0 (unknown) or within [1e-06, 1e+09] Hz"))
        << rate;
  }
  Recording rec;
  rec.meta.num_frames = 1;
  rec.channels = {"x"};
  rec.data = {1};
  rec.sample_rate = std::numeric_limits<double>::infinity();
  EXPECT_THAT(error_message([&] { validate(rec, "r"); }), HasSubstr("r: sample rate must be 0"));
}

TEST(SilentChanges, ErrorMessagesNeverCarryAWholeValue) {
  test::TempDir dir;
  const std::string big(100000, 'z');
  write_text(dir / "long.csv", "x\n" + big + "\n");
  const auto msg = error_message([&] { io::read_any(dir / "long.csv"); });
  EXPECT_THAT(msg, HasSubstr("'zzzz"));
  EXPECT_THAT(msg, HasSubstr("...' (100000 bytes)"));
  EXPECT_LT(msg.size(), 300u);
}

// ---- found by the fuzzers (tests/fuzz/regress/<target>/found_*) -------------------------------

TEST(FuzzFindings, TsClassLabelDeclarationsAreCheckedLikeLabels) {
  // fuzz_ts: a @classLabel name that is not UTF-8 went into the "not declared" message whole.
  test::TempDir dir;
  const auto p = dir / "c.ts";
  write_text(p, "@classLabel true u\xe1p down\n@data\n1,2:down\n");
  EXPECT_THAT(error_message([&] { io::read_any(p); }),
              HasSubstr(p.string() + ":1: class label 'u\\xe1p' is not valid UTF-8"));
  // A long declaration is quoted short in the message about an undeclared label.
  std::string classes;
  for (int i = 0; i < 500; ++i) classes += " class" + std::to_string(i);
  write_text(p, "@classLabel true" + classes + "\n@data\n1,2:nope\n");
  const auto msg = error_message([&] { io::read_any(p); });
  EXPECT_THAT(msg, HasSubstr(p.string() + ":3: class label 'nope' is not declared by @classLabel "
                                          "'class0 class1 class2"));
  EXPECT_LT(msg.size(), 300u) << msg;
  // The declared labels themselves are read as written.
  write_text(p, "@classLabel true caf\xc3\xa9 down\n@data\n1,2:caf\xc3\xa9\n");
  EXPECT_EQ(io::read_labelled(p)[0].meta.label, "caf\xc3\xa9");
}

TEST(FuzzFindings, RunConfigUnknownKeysArePathsUnlessLongOrOdd) {
  // fuzz_run_config: unknown keys were quoted whole in the message; now a plain key is a path,
  // a long or odd one is quoted short, and only the first three are listed.
  auto error_of = [](const std::string& text) {
    return error_message(
        [&] { pipeline::parse_run_config(io::parse_json(text, "cfg.json"), "cfg.json"); });
  };
  std::string many = R"({"analyses": [{"type": "stats"}])";
  for (int i = 0; i < 40; ++i) many += ",\"k" + std::to_string(i) + "\": " + std::to_string(i);
  many += "}";
  auto msg = error_of(many);
  EXPECT_THAT(msg, HasSubstr("/k0, /k1, /k10 and 37 more")) << msg;
  EXPECT_LT(msg.size(), 300u) << msg;
  msg = error_of(R"({"analyses": [{"type": "stats"}], ")" + std::string(5000, 'y') + R"(": 1})");
  EXPECT_THAT(msg, HasSubstr("/'yyyy")) << msg;
  EXPECT_THAT(msg, HasSubstr("...' (5000 bytes)")) << msg;
  EXPECT_LT(msg.size(), 400u) << msg;
  msg = error_of(R"({"analyses": [{"type": "stats"}], "a\u0001b": 1})");
  EXPECT_THAT(msg, HasSubstr("/'a\\x01b'")) << msg;
  // A run id names a folder under output.dir: never that folder, its parent, or a name too long.
  const std::string head = R"({"analyses": [{"type": "stats"}], "run_id": ")";
  msg = error_of(head + std::string(100000, 'x') + R"("})");
  EXPECT_THAT(msg, HasSubstr("cfg.json: /run_id: at most 128 characters, got 100000: 'xxxx"))
      << msg;
  EXPECT_LT(msg.size(), 400u) << msg;
  EXPECT_THAT(error_of(head + R"(.."})"), HasSubstr("/run_id: must not be '..'"));
  EXPECT_THAT(error_of(head + R"(."})"), HasSubstr("/run_id: must not be '.'"));
  EXPECT_EQ(
      pipeline::parse_run_config(io::parse_json(head + std::string(128, 'r') + R"("})", "c"), "c")
          .run_id.size(),
      128u);
}

TEST(HardeningMerge, JsonKeepsUnitsAndAttributesAndRecordingToJsonKeepsInfinities) {
  Recording r;
  r.meta.filename = "m.json";
  r.meta.num_frames = 3;
  r.meta.attributes = {{"format", "C3D"}, {"subjects", "caf\xc3\xa9"}};
  r.sample_rate = 100;
  r.channels = {"a", "b"};
  r.units = {"mm", ""};
  r.data = {1, kInf, std::numeric_limits<double>::quiet_NaN(), -kInf, 0.5, 2};
  const std::string text = io::json_text(r, "m.json");
  EXPECT_THROW(io::parse_json_recording(text, "m.json"), InputError);  // inf not allowed
  io::ValueOptions allow;
  allow.allow_infinite = true;
  const Recording back = io::parse_json_recording(text, "m.json", allow);
  EXPECT_EQ(back.units, r.units);
  EXPECT_EQ(back.meta.attributes, r.meta.attributes);
  for (std::size_t i = 0; i < r.data.size(); ++i)
    EXPECT_EQ(bits(back.data[i]), bits(r.data[i])) << i;

  const auto j = io::recording_to_json(r, true);
  EXPECT_EQ(j["data"]["a"].dump(), "[1.0,\"inf\",null]");
  EXPECT_EQ(j["data"]["b"].dump(), "[\"-inf\",0.5,2.0]");
  EXPECT_EQ(j["units"].dump(), "[\"mm\",\"\"]");
  EXPECT_EQ(j["attributes"]["format"], "C3D");
  EXPECT_FALSE(io::recording_to_json(r, false).contains("data"));

  // Wrong types and counts are refused, naming the key.
  auto with = [&](const std::string& key, const std::string& value) {
    std::string t = io::json_text(r, "m.json");
    const auto at = t.find("\"" + key + "\":");
    const auto end = t.find(key == "units" ? "]" : "}", at);
    return t.substr(0, at) + "\"" + key + "\":" + value + t.substr(end + 1);
  };
  EXPECT_THAT(
      error_message([&] { io::parse_json_recording(with("units", "[\"mm\"]"), "u.json", allow); }),
      HasSubstr("key 'units': expected one unit per channel (2), got 1"));
  EXPECT_THAT(error_message([&] {
                io::parse_json_recording(with("attributes", "{\"x\":1}"), "a.json", allow);
              }),
              HasSubstr("key 'attributes': 'x': expected a string, got number 1"));
  // Text that is not UTF-8 never gets in (the JSON parser refuses it before check_read).
  EXPECT_THROW(io::parse_json_recording(with("attributes", "{\"x\":\"\xff\"}"), "a.json", allow),
               InputError);
}

TEST(HardeningMerge, CsvHeaderDetectionKeepsTheHeaderChecksAndExportStaysReadable) {
  // Automatic detection: a first line of numbers is data; a header is still checked.
  const Recording d = io::parse_csv("1,2\n3,4\n", "d.csv");
  EXPECT_EQ(d.channels, (std::vector<std::string>{"ch0", "ch1"}));
  EXPECT_EQ(d.data, (std::vector<double>{1, 3, 2, 4}));
  EXPECT_THAT(error_message([] { io::parse_csv("a,\"b\x01\"\n1,2\n", "c.csv"); }),
              HasSubstr("c.csv:1: column name 'b\\x01' contains a control character"));
  EXPECT_THAT(error_message([] { io::parse_csv("1,inf\n", "i.csv"); }),
              HasSubstr("i.csv:1: column 'ch1': infinite value"));
  io::CsvOptions no_header;
  no_header.header = io::CsvHeader::absent;
  EXPECT_THAT(error_message([&] { io::parse_csv("time\n", "t.csv", no_header); }),
              HasSubstr("t.csv:1: column 'ch0': expected a number"));
  // A recording whose names all read as numbers cannot be written as CSV (the header would be
  // read back as data); with a time column it can.
  io::CsvOptions header;
  header.header = io::CsvHeader::present;
  Recording n = io::parse_csv("1,2\n3,4\n", "n.csv", header);
  EXPECT_THAT(error_message([&] { io::csv_text(n, "n.csv"); }),
              HasSubstr("every channel name reads as a number"));
  n.sample_rate = 10;
  n.meta.num_frames = 1;
  n.data = {3, 4};
  EXPECT_EQ(io::parse_csv(io::csv_text(n, "n.csv"), "n.csv").channels, n.channels);
}

}  // namespace
}  // namespace swingpipe
