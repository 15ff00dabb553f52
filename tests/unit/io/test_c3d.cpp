// C3D reader: synthetic files in every processor format and storage (values known exactly, and
// checked against ezc3d reading the same bytes), the number formats, frame counts, marker subsets
// and bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "c3d_writer.hpp"
#include "io_test_util.hpp"
#include "mocap_test_util.hpp"
#include "swingpipe/host/c3d.hpp"
#include "swingpipe/host/io.hpp"
#include "test_support.hpp"

namespace swingpipe {
namespace {

using io::c3d::Processor;
using test::error_message;
using test::SynthC3d;
using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// A random file: 7 points over LABELS/LABELS2/LABELS3 (3 per parameter), some missing markers,
/// 3 analog channels at 4 samples per frame with scales, offsets and a general scale.
SynthC3d random_file(std::mt19937_64& rng, Processor p, bool float_storage, int64_t frames = 23) {
  SynthC3d f;
  f.processor = p;
  f.float_storage = float_storage;
  f.point_scale = 0.0625 + std::uniform_real_distribution<double>(0, 0.2)(rng);
  f.point_rate = 120;
  f.first_frame = 17;
  f.frames = frames;
  f.labels_per_parameter = 3;
  f.point_labels = {"LASI", "RASI", "LPSI", "RPSI", "club head", "grip:top", "C7"};
  f.analog_per_frame = 4;
  f.analog_labels = {"Fx", "Fy", "EMG 1"};
  f.analog_units = {"N", "N", "V"};
  f.analog_scale = {0.5, -0.25, 0.001220703125};
  f.analog_offset = {0, 12, 2048};
  f.gen_scale = 2.0;
  f.subjects = {"ann"};
  std::uniform_int_distribution<int> counts(-30000, 30000);
  std::uniform_real_distribution<double> coord(-2000, 2000);
  std::bernoulli_distribution missing(0.15);
  for (int64_t t = 0; t < frames; ++t)
    for (int k = 0; k < f.point_count(); ++k) {
      std::array<double, 4> v{};
      for (int a = 0; a < 3; ++a)
        v[a] = float_storage ? static_cast<float>(coord(rng)) : counts(rng);
      v[3] = missing(rng) ? -1 : (float_storage ? 1.5 : 3);
      f.points.push_back(v);
    }
  std::uniform_int_distribution<int> adc(0, 4095);
  for (int64_t i = 0; i < frames * f.analog_per_frame * f.channel_count(); ++i)
    f.analogs.push_back(float_storage ? static_cast<float>(coord(rng)) : adc(rng));
  return f;
}

/// What the file stores, decoded by the c3d.org formulas in double precision (the expectation
/// the reader must meet exactly).
struct Expected {
  std::vector<double> points;   ///< channel-major: (3 * points) x frames
  std::vector<double> analogs;  ///< channel-major: channels x samples
};

Expected expected_values(const SynthC3d& f) {
  Expected e;
  const auto n = static_cast<std::size_t>(f.frames);
  const int np = f.point_count();
  e.points.resize(3 * np * n);
  const double scale = static_cast<float>(f.point_scale);
  for (std::size_t t = 0; t < n; ++t)
    for (int k = 0; k < np; ++k) {
      const auto& v = f.points[t * np + k];
      for (int a = 0; a < 3; ++a)
        e.points[(3 * k + a) * n + t] = v[3] < 0 ? kNaN : (f.float_storage ? v[a] : v[a] * scale);
    }
  const int nc = f.channel_count();
  const std::size_t samples = n * f.analog_per_frame;
  e.analogs.resize(nc * samples);
  for (std::size_t s = 0; s < samples; ++s)
    for (int c = 0; c < nc; ++c) {
      const double raw = f.analogs[s * nc + c];
      // The file holds OFFSET as int16 bits; an unsigned format reads them as uint16 (int to
      // uint16 wraps modulo 2^16: defined, unlike a double out of int16's range).
      int offset = f.analog_offset[c];
      if (f.analog_unsigned) offset = static_cast<uint16_t>(offset);
      e.analogs[c * samples + s] = (raw - offset) *
                                   static_cast<double>(static_cast<float>(f.analog_scale[c])) *
                                   static_cast<double>(static_cast<float>(f.gen_scale));
    }
  return e;
}

void expect_same(const std::vector<double>& got, const std::vector<double>& want,
                 const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      ASSERT_TRUE(std::isnan(got[i])) << what << " value " << i << ": expected NaN, got " << got[i];
    } else {
      ASSERT_EQ(got[i], want[i]) << what << " value " << i;
    }
  }
}

class C3dFormats : public ::testing::TestWithParam<std::tuple<Processor, bool>> {};

TEST_P(C3dFormats, ReadsEveryValueOfASyntheticFile) {
  const auto [proc, float_storage] = GetParam();
  auto rng = test::fresh_rng();
  test::TempDir dir;
  const SynthC3d f = random_file(rng, proc, float_storage);
  const auto path = dir / "trial.c3d";
  f.write(path);
  const auto recs = io::c3d::read(path);
  ASSERT_EQ(recs.size(), 2u);
  const Recording& pts = recs[0];
  const Recording& an = recs[1];
  EXPECT_EQ(pts.meta.filename, "trial.c3d");
  EXPECT_EQ(an.meta.filename, "trial.c3d#analogs");
  EXPECT_EQ(pts.sample_rate, 120);
  EXPECT_EQ(an.sample_rate, 480);
  EXPECT_EQ(pts.frames(), f.frames);
  EXPECT_EQ(an.frames(), f.frames * 4);
  ASSERT_EQ(pts.channel_count(), 21);
  EXPECT_EQ(pts.channels[0], "LASI_x");
  EXPECT_EQ(pts.channels[14], "club head_z");
  EXPECT_EQ(pts.channels[15], "grip:top_x");
  EXPECT_EQ(pts.channels[20], "C7_z");
  EXPECT_EQ(pts.units, std::vector<std::string>(21, "mm"));
  EXPECT_EQ(an.channels, (std::vector<std::string>{"Fx", "Fy", "EMG 1"}));
  EXPECT_EQ(an.units, (std::vector<std::string>{"N", "N", "V"}));
  EXPECT_EQ(pts.meta.tags, std::vector<std::string>{"c3d:trial.c3d"});
  EXPECT_EQ(an.meta.tags, pts.meta.tags);
  EXPECT_EQ(pts.meta.golfer_name, "ann");
  EXPECT_EQ(pts.meta.attributes.at("first_frame"), "17");
  EXPECT_EQ(pts.meta.attributes.at("processor"), std::string(io::c3d::processor_name(proc)));
  EXPECT_EQ(pts.meta.attributes.at("storage"), float_storage ? "float" : "integer");
  const Expected e = expected_values(f);
  expect_same(pts.data, e.points, "points");
  expect_same(an.data, e.analogs, "analogs");
  EXPECT_GT(std::count_if(pts.data.begin(), pts.data.end(), [](double v) { return std::isnan(v); }),
            0);
}

INSTANTIATE_TEST_SUITE_P(EveryProcessorAndStorage, C3dFormats,
                         ::testing::Combine(::testing::Values(Processor::intel, Processor::dec,
                                                              Processor::mips),
                                            ::testing::Bool()));

TEST(C3dNumbers, VaxFloatsFromTheirDefinition) {
  // VAX F: 0.1fff... x 2^(e - 128), stored as two little-endian words, sign and exponent first.
  // 1.0 = 0.5 x 2^1: e = 129 -> word 0x4080 -> bytes 80 40 00 00.
  SynthC3d f;
  f.processor = Processor::dec;
  f.float_storage = true;
  f.point_labels = {"m"};
  f.frames = 1;
  f.points = {{1.0, -2.5, 3.0e-38, 1.0}};
  test::TempDir dir;
  std::string bytes = f.bytes();
  const auto info_path = dir / "vax.c3d";
  test::write_text(info_path, bytes);
  const auto info = io::c3d::read_info(info_path);
  const std::size_t at = info.data_offset;
  EXPECT_EQ(static_cast<unsigned char>(bytes[at]), 0x80);  // the writer agrees with the definition
  EXPECT_EQ(static_cast<unsigned char>(bytes[at + 1]), 0x40);
  EXPECT_EQ(static_cast<unsigned char>(bytes[at + 4]), 0x20);  // -2.5 = -0.101b x 2^2: 0xC120
  EXPECT_EQ(static_cast<unsigned char>(bytes[at + 5]), 0xC1);
  // Patch x to the VAX bit patterns of 1.5 (0x40C0) and of a tiny number (exponent 1).
  bytes[at] = static_cast<char>(0xC0);
  bytes[at + 1] = 0x40;
  bytes[at + 8] = 0x00;  // z: exponent 1, mantissa 0: 0.5 x 2^-127
  bytes[at + 9] = 0x00;
  bytes[at + 10] = 0x00;
  bytes[at + 11] = 0x00;
  bytes[at + 8] = static_cast<char>(0x80);
  test::write_text(info_path, bytes);
  const auto rec = io::c3d::read(info_path).at(0);
  EXPECT_EQ(rec.data[0], 1.5);
  EXPECT_EQ(rec.data[1], -2.5);
  EXPECT_EQ(rec.data[2], std::ldexp(1.0, -128));
}

TEST(C3dNumbers, MipsAndIntelCopiesOfOneTrialReadTheSame) {
  auto rng = test::fresh_rng();
  test::TempDir dir;
  for (bool float_storage : {false, true}) {
    SynthC3d f = random_file(rng, Processor::intel, float_storage);
    f.write(dir / "intel.c3d");
    f.processor = Processor::mips;
    f.write(dir / "mips.c3d");
    f.processor = Processor::dec;
    f.write(dir / "dec.c3d");
    const auto a = io::c3d::read(dir / "intel.c3d");
    const auto b = io::c3d::read(dir / "mips.c3d");
    const auto c = io::c3d::read(dir / "dec.c3d");
    for (std::size_t r = 0; r < 2; ++r) {
      expect_same(b[r].data, a[r].data, "mips vs intel");
      expect_same(c[r].data, a[r].data, "dec vs intel");
    }
  }
}

TEST(C3dParameters, EveryTypeAndTheGroups) {
  test::TempDir dir;
  SynthC3d f;
  f.point_labels = {"a", "b"};
  f.frames = 2;
  f.points.assign(4, {1, 2, 3, 0});
  f.subjects = {"ann", "bob"};
  f.byte_values = {-1, 5, 127, 200};
  f.processor = Processor::mips;
  f.write(dir / "p.c3d");
  const auto info = io::c3d::read_info(dir / "p.c3d");
  EXPECT_EQ(info.processor, Processor::mips);
  ASSERT_EQ(info.groups.size(), 4u);
  const auto* bytes = info.find("EXTRA", "BYTES");
  ASSERT_NE(bytes, nullptr);
  EXPECT_EQ(bytes->type, 1);
  EXPECT_EQ(bytes->dims, std::vector<int>{4});
  EXPECT_EQ(bytes->numbers, (std::vector<double>{-1, 5, 127, -56}));  // bytes are signed
  EXPECT_EQ(bytes->as_count(3), 200);                                 // read as unsigned
  EXPECT_EQ(info.groups[3].description, "bytes");
  EXPECT_EQ(info.groups[0].name, "POINT");
  EXPECT_EQ(info.groups[0].description, "3-D point parameters");
  const auto* used = info.find("point", "used");
  ASSERT_NE(used, nullptr);
  EXPECT_EQ(used->type, 2);
  EXPECT_EQ(used->numbers, std::vector<double>{2});
  const auto* scale = info.find("POINT", "SCALE");
  ASSERT_NE(scale, nullptr);
  EXPECT_EQ(scale->type, 4);
  EXPECT_EQ(scale->numbers[0], -static_cast<double>(static_cast<float>(0.1)));
  const auto* names = info.find("SUBJECTS", "NAMES");
  ASSERT_NE(names, nullptr);
  EXPECT_EQ(names->type, -1);
  EXPECT_EQ(names->dims, (std::vector<int>{3, 2}));
  EXPECT_EQ(names->text, (std::vector<std::string>{"ann", "bob"}));
  EXPECT_EQ(info.find("POINT", "NOPE"), nullptr);
  EXPECT_EQ(info.point_labels, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(info.frames, 2);
  EXPECT_EQ(info.analog_channels, 0);
  const auto recs = io::c3d::read(dir / "p.c3d");
  ASSERT_EQ(recs.size(), 1u);  // no analog channels: no second recording
  EXPECT_EQ(recs[0].meta.golfer_name, "ann, bob");
}

TEST(C3dFrames, MoreThan65535FramesAsFloatFramesTrialFieldsAndLongFrames) {
  test::TempDir dir;
  SynthC3d f;
  f.point_labels = {"m"};
  f.frames = 70001;
  f.first_frame = 3;
  f.float_storage = false;
  for (int64_t t = 0; t < f.frames; ++t) f.points.push_back({double(t % 30000), 1, 2, 0});
  const double scale = static_cast<float>(0.1);
  for (const char* how : {"auto", "trial", "long"}) {
    f.frames_as = how;
    f.write(dir / "long.c3d");
    const auto rec = io::c3d::read(dir / "long.c3d").at(0);
    ASSERT_EQ(rec.frames(), 70001) << how;
    EXPECT_EQ(rec.data[70000], (70000 % 30000) * scale) << how;
    EXPECT_EQ(rec.meta.attributes.at("first_frame"), "3") << how;
  }
  // Without POINT:FRAMES the header's first and last frame words give the count.
  f.frames = 40;
  f.points.resize(40);
  f.frames_as = "header";
  f.write(dir / "short.c3d");
  EXPECT_EQ(io::c3d::read(dir / "short.c3d").at(0).frames(), 40);
}

TEST(C3dFrames, EmptyAndSingleFrame) {
  test::TempDir dir;
  SynthC3d f;
  f.point_labels = {"m", "n"};
  f.frames = 1;
  f.points = {{1, 2, 3, 0}, {4, 5, 6, -1}};
  f.write(dir / "one.c3d");
  const auto one = io::c3d::read(dir / "one.c3d").at(0);
  ASSERT_EQ(one.frames(), 1);
  EXPECT_EQ(one.data[0], static_cast<float>(1));
  EXPECT_TRUE(std::isnan(one.data[3]) && std::isnan(one.data[5]));
  f.frames = 0;
  f.points.clear();
  f.frames_as = "header";  // first frame 1, last frame 0
  f.write(dir / "none.c3d");
  EXPECT_THAT(error_message([&] { io::c3d::read(dir / "none.c3d"); }),
              HasSubstr("none.c3d: no frames"));
}

TEST(C3dValues, InfinityIsAnErrorNamingTheByteUnlessAllowed) {
  test::TempDir dir;
  SynthC3d f;
  f.point_labels = {"m", "n"};
  f.frames = 2;
  const double inf = std::numeric_limits<double>::infinity();
  f.points = {{1, 2, 3, 0}, {4, 5, 6, 0}, {7, 8, 9, 0}, {10, -inf, 12, 0}};
  f.write(dir / "inf.c3d");
  const io::c3d::Info info = io::c3d::read_info(dir / "inf.c3d");
  // Frame 2, point n, y: the second frame's start + point 1 (16 bytes) + 4.
  const uint64_t offset = info.data_offset + info.frame_bytes + 16 + 4;
  EXPECT_THAT(error_message([&] { io::c3d::read(dir / "inf.c3d"); }),
              HasSubstr("inf.c3d: byte " + std::to_string(offset) +
                        ": channel 'n_y', sample 2: infinite value -inf"));
  io::c3d::Options allow;
  allow.values.allow_infinite = true;
  const auto rec = io::c3d::read(dir / "inf.c3d", allow).at(0);
  EXPECT_EQ(rec.data[4 * 2 + 1], -inf);  // channel n_y (index 4), frame 2
  EXPECT_EQ(rec.data[0], 1);
}

TEST(C3dSubset, MarkersKeepsTheNamedPointsInTheGivenOrder) {
  auto rng = test::fresh_rng();
  test::TempDir dir;
  const SynthC3d f = random_file(rng, Processor::intel, true);
  f.write(dir / "t.c3d");
  io::c3d::Options opt;
  opt.markers = {"C7", "LASI"};
  opt.analogs = io::c3d::Analogs::off;
  const auto recs = io::c3d::read(dir / "t.c3d", opt);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].channels,
            (std::vector<std::string>{"C7_x", "C7_y", "C7_z", "LASI_x", "LASI_y", "LASI_z"}));
  const auto all = io::c3d::read(dir / "t.c3d").at(0);
  const auto n = static_cast<std::size_t>(f.frames);
  for (std::size_t i = 0; i < 3 * n; ++i) {
    const double a = recs[0].data[i], b = all.data[18 * n + i];
    EXPECT_TRUE(a == b || (std::isnan(a) && std::isnan(b)));
  }
  opt.markers = {"LASI", "nope"};
  EXPECT_THAT(error_message([&] { io::c3d::read(dir / "t.c3d", opt); }),
              HasSubstr("no point labelled 'nope'"));
}

TEST(C3dSubset, UnsignedAnalogFormatReadsRawAndOffsetsUnsigned) {
  auto rng = test::fresh_rng();
  test::TempDir dir;
  SynthC3d f = random_file(rng, Processor::intel, false);
  f.analog_unsigned = true;
  f.analog_offset = {0, 40000, 32768};
  for (std::size_t i = 0; i < f.analogs.size(); ++i) f.analogs[i] = 30000 + 100 * (i % 300);
  f.write(dir / "u.c3d");
  const auto an = io::c3d::read(dir / "u.c3d").at(1);
  expect_same(an.data, expected_values(f).analogs, "unsigned analogs");
  EXPECT_GT(*std::max_element(an.data.begin(), an.data.end()), 0);
}

// ---- bad input: an error naming the file and the byte --------------------------------------

class C3dErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    auto rng = test::fresh_rng();
    file = random_file(rng, Processor::intel, true);
    good = file.bytes();
  }
  std::string error_for(const std::string& bytes) {
    test::write_text(path, bytes);
    return error_message([&] { io::c3d::read(path); });
  }
  test::TempDir dir;
  std::filesystem::path path = dir / "bad.c3d";
  SynthC3d file;
  std::string good;
};

TEST_F(C3dErrors, WrongKeyByte) {
  std::string b = good;
  b[1] = 0x51;
  EXPECT_THAT(error_for(b), HasSubstr(path.string() + ": byte 1: not a C3D file"));
}

TEST_F(C3dErrors, TruncatedDataSection) {
  const std::string msg = error_for(good.substr(0, good.size() - 5));
  EXPECT_THAT(msg, HasSubstr(path.string() + ": byte "));
  EXPECT_THAT(msg, HasSubstr("the data section"));
  EXPECT_THAT(msg, HasSubstr("truncated"));
}

TEST_F(C3dErrors, TruncatedInsideTheHeaderOrParameters) {
  EXPECT_THAT(error_for(good.substr(0, 300)), HasSubstr("byte 0: the header block needs 512"));
  EXPECT_THAT(error_for(good.substr(0, 700)), HasSubstr("runs past the end of the file"));
}

TEST_F(C3dErrors, ParameterBlockPastTheEnd) {
  std::string b = good;
  b[0] = static_cast<char>(200);
  EXPECT_THAT(error_for(b), HasSubstr("byte 101888: the parameter section header (block 200)"));
}

TEST_F(C3dErrors, RecordOffsetPastTheSection) {
  std::string b = good;
  // The first record (group POINT) starts at byte 516: name length, id, 5 chars, then its offset.
  b[516 + 7] = static_cast<char>(0xff);
  b[516 + 8] = 0x7f;
  EXPECT_THAT(error_for(b),
              HasSubstr("byte 516: parameter section: record 'POINT' points to byte"));
}

TEST_F(C3dErrors, UnknownProcessorAndDataType) {
  std::string b = good;
  b[512 + 3] = 90;
  EXPECT_THAT(error_for(b), HasSubstr("byte 515: unknown processor type 90"));
}

TEST_F(C3dErrors, LabelCountDisagreesWithPointCount) {
  SynthC3d f = file;
  f.point_labels.pop_back();
  f.points.resize(static_cast<std::size_t>(f.frames) * f.point_labels.size());
  std::string b = f.bytes();
  // Claim one more point than there are labels: POINT:USED is the first parameter, its value at
  // byte 512 + 4 (section header) + 30 (group record POINT) + 10 (USED's name, link, type, dims).
  const std::size_t used_at = 512 + 4 + (2 + 5 + 2 + 1 + 20) + (2 + 4 + 2 + 2);
  ASSERT_EQ(static_cast<unsigned char>(b[used_at]), f.point_labels.size());
  b[used_at] = static_cast<char>(f.point_labels.size() + 1);
  const std::string msg = error_for(b);
  EXPECT_THAT(msg, HasSubstr(path.string() + ": byte "));
  EXPECT_THAT(msg, HasSubstr("POINT:LABELS (with its continuations) has 6 labels, but "
                             "POINT:USED says 7 points"));
}

TEST_F(C3dErrors, DuplicateOrBlankLabels) {
  SynthC3d f = file;
  f.point_labels[3] = "LASI";
  EXPECT_THAT(error_for(f.bytes()), HasSubstr("POINT:LABELS: 'LASI' names entries 1 and 4"));
  f.point_labels[3] = "";
  EXPECT_THAT(error_for(f.bytes()), HasSubstr("POINT:LABELS: entry 4 is blank"));
}

TEST_F(C3dErrors, MissingAnalogScales) {
  SynthC3d f = file;
  f.analog_scale.pop_back();
  EXPECT_THAT(error_for(f.bytes()), HasSubstr("ANALOG:SCALE has 2 values for 3 analog channels"));
}

TEST_F(C3dErrors, EmptyAndMissingFiles) {
  EXPECT_THAT(error_for(""), HasSubstr("byte 0: the header block needs 512 bytes"));
  EXPECT_THROW(io::c3d::read(dir / "absent.c3d"), NotFoundError);
}

// ---- the reference reader: ezc3d on the same bytes ------------------------------------------

TEST(C3dOracle, SyntheticFilesMatchEzc3d) {
  SWINGPIPE_REQUIRE_TEST_PYTHON(py);
  auto rng = test::fresh_rng();
  test::TempDir dir;
  // ezc3d reads Intel and DEC files (not MIPS); it takes |ANALOG:OFFSET| and ignores
  // ANALOG:FORMAT, so these files keep offsets non-negative and the format signed.
  int files = 0;
  for (Processor p : {Processor::intel, Processor::dec})
    for (bool float_storage : {false, true}) {
      const SynthC3d f = random_file(rng, p, float_storage, 31);
      const auto path = dir / ("f" + std::to_string(files++) + ".c3d");
      f.write(path);
      const auto ref = test::ezc3d_read(py, path, dir.path());
      const auto recs = io::c3d::read(path);
      // ezc3d subtracts the offset from a float sample in float arithmetic: 1e-6 relative.
      test::expect_matches_ezc3d(recs, ref, path.string(), float_storage ? 1e-6 : 0);
    }
}

}  // namespace
}  // namespace swingpipe
