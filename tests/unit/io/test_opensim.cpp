// OpenSim text readers (.mot, .sto, .trc): header versions, CRLF, NaN spellings, vector columns,
// blank cells, E notation, the time column, bad input naming the line; OpenSim's own test files
// compared value by value with an independent numpy.genfromtxt reading.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <random>

#include "io_test_util.hpp"
#include "mocap_test_util.hpp"
#include "swingpipe/host/io.hpp"
#include "test_support.hpp"

namespace swingpipe {
namespace {

using test::error_message;
using test::write_text;
using ::testing::HasSubstr;

std::string crlf(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

TEST(Mot, Version1HeaderCrlfInDegreesNanCasesAndENotation) {
  test::TempDir dir;
  const auto p = dir / "ik.mot";
  write_text(p, crlf("Coordinates\nversion=1\nnRows=4\nnColumns=3\ninDegrees=yes\n\n"
                     "Units are S.I. units (second, meters, Newtons, ...)\nendheader\n"
                     "time\tknee\thip\n"
                     "      0.00000000\t  1.5e+01\t NaN\n"
                     "      0.01666667\t  -2.25E-3\t nan\n"
                     "      0.03333333\t  3\t NAN\n"
                     "      0.05000000\t  4\t 7.0\n"));
  const Recording r = io::read_opensim_storage(p);
  EXPECT_EQ(r.channels, (std::vector<std::string>{"knee", "hip"}));
  ASSERT_EQ(r.frames(), 4);
  EXPECT_NEAR(r.sample_rate, 60, 1e-4);
  EXPECT_EQ(r.data[0], 15);
  EXPECT_EQ(r.data[1], -2.25e-3);
  EXPECT_EQ(r.data[3], 4);
  EXPECT_TRUE(std::isnan(r.data[4]) && std::isnan(r.data[5]) && std::isnan(r.data[6]));
  EXPECT_EQ(r.data[7], 7);
  EXPECT_EQ(r.meta.attributes.at("inDegrees"), "yes");
  EXPECT_EQ(r.meta.attributes.at("trial"), "Coordinates");
  EXPECT_EQ(r.meta.notes, "Units are S.I. units (second, meters, Newtons, ...)");
}

TEST(Sto, Version3QuaternionColumnsSplitIntoComponents) {
  test::TempDir dir;
  const auto p = dir / "q.sto";
  write_text(p,
             "DataRate=100.000000\nDataType=Quaternion\nversion=3\nOpenSimVersion=4.2\n"
             "endheader\ntime\tpelvis\ttibia\n"
             "0\t1,0,0,0\t0.5,0.5,0.5,0.5\n"
             "0.01\t0.7071,0.7071,0,0\t0.5,-0.5,0.5,NaN\n");
  const Recording r = io::read_opensim_storage(p);
  EXPECT_EQ(r.channels, (std::vector<std::string>{"pelvis_0", "pelvis_1", "pelvis_2", "pelvis_3",
                                                  "tibia_0", "tibia_1", "tibia_2", "tibia_3"}));
  ASSERT_EQ(r.frames(), 2);
  EXPECT_DOUBLE_EQ(r.sample_rate, 100);
  EXPECT_EQ(r.channel(1)[1], 0.7071);
  EXPECT_EQ(r.channel(5)[1], -0.5);
  EXPECT_TRUE(std::isnan(r.channel(7)[1]));
  EXPECT_EQ(r.meta.attributes.at("DataType"), "Quaternion");
  write_text(p, "version=3\nendheader\ntime\tq\n0\t1,0,0,0\n0.01\t1,0,0\n");
  EXPECT_THAT(error_message([&] { io::read_opensim_storage(p); }),
              HasSubstr(p.string() + ":5: column 'q': expected 4 comma-separated values"));
}

TEST(Mot, SimmStyleHeaderAndSpaceSeparatedColumns) {
  test::TempDir dir;
  const auto p = dir / "simm.mot";
  write_text(p,
             "pin\nnRows=3\nnColumns=2\n\n# SIMM Motion File Header:\nname pin\ndatacolumns 2\n"
             "datarows 3\nrange 0.000000 0.020000\nendheader\ntime r1\n"
             "  0.00  57.3\n  0.01  57.2\n  0.02  57.1\n");
  const Recording r = io::read_opensim_storage(p);
  EXPECT_EQ(r.channels, std::vector<std::string>{"r1"});
  EXPECT_NEAR(r.sample_rate, 100, 1e-9);
  EXPECT_EQ(r.data, (std::vector<double>{57.3, 57.2, 57.1}));
  EXPECT_EQ(r.meta.attributes.at("range"), "0.000000 0.020000");
}

TEST(Mot, WithoutTimeColumnTheRateComesFromOptionOrDataRate) {
  test::TempDir dir;
  const auto p = dir / "x.sto";
  write_text(p, "DataRate=50\nendheader\ntime\ta\n0\t1\n0.5\t2\n1.0\t3\n1.1\t4\n");
  EXPECT_THAT(error_message([&] { io::read_opensim_storage(p); }),
              HasSubstr(p.string() + ":7: time column 'time' is not uniform"));
  io::TableOptions opt;
  opt.time_column = "";
  Recording r = io::read_opensim_storage(p, opt);
  EXPECT_EQ(r.channels, (std::vector<std::string>{"time", "a"}));
  EXPECT_EQ(r.sample_rate, 50);
  EXPECT_EQ(r.data, (std::vector<double>{0, 0.5, 1.0, 1.1, 1, 2, 3, 4}));
  opt.sample_rate = 7;
  EXPECT_EQ(io::read_opensim_storage(p, opt).sample_rate, 7);
}

// Found by the `mot` and `sto` fuzz targets (tests/fuzz/regress/mot, regress/sto): a blank cell
// (a leading tab, or only spaces) went through the fast number parser with an unset value, so
// the strict and the lenient read of one file gave different numbers. A blank cell is missing.
TEST(Mot, BlankCellsAreMissingNotUnsetValues) {
  test::TempDir dir;
  const auto p = dir / "blank.mot";
  write_text(p, "version=1\nnRows=3\nnColumns=2\nendheader\nhip\tknee\n\t22\n3\t4\n  \t5\n");
  for (const bool lenient : {false, true}) {
    io::TableOptions opt;
    opt.values.empty_is_missing = lenient;
    opt.values.allow_infinite = lenient;
    const Recording r = io::read_opensim_storage(p, opt);
    ASSERT_EQ(r.channels, (std::vector<std::string>{"hip", "knee"}));
    ASSERT_EQ(r.data.size(), 6u);
    EXPECT_TRUE(std::isnan(r.data[0]));
    EXPECT_EQ(r.data[1], 3);
    EXPECT_TRUE(std::isnan(r.data[2]));
    EXPECT_EQ((std::vector<double>{r.data[3], r.data[4], r.data[5]}),
              (std::vector<double>{22, 4, 5}));
  }
  // A blank time is not a time: the clock refuses it, the same way every time.
  const auto q = dir / "blank_time.sto";
  write_text(q, "version=3\nendheader\ntime\ta\n \t1\n0.01\t2\n");
  const std::string first = error_message([&] { io::read_opensim_storage(q); });
  EXPECT_THAT(first, HasSubstr(q.string() + ":"));
  EXPECT_EQ(error_message([&] { io::read_opensim_storage(q); }), first);
}

TEST(MotErrors, BadInputNamesTheLine) {
  test::TempDir dir;
  const auto p = dir / "bad.mot";
  write_text(p, "version=1\nnRows=2\n");
  EXPECT_THAT(error_message([&] { io::read_opensim_storage(p); }),
              HasSubstr(p.string() + ": no 'endheader' line"));
  write_text(p, "endheader\ntime\ta\n0\t1\n0.1\tx\n");
  EXPECT_THAT(error_message([&] { io::read_opensim_storage(p); }),
              HasSubstr(p.string() + ":4: column 'a': expected a number, got 'x'"));
  write_text(p, "endheader\ntime\ta\n0\t1\n0.1\n");
  EXPECT_THAT(error_message([&] { io::read_opensim_storage(p); }),
              HasSubstr(":4: expected 2 columns like the column names, got 1"));
  write_text(p, "nRows=3\nendheader\ntime\ta\n0\t1\n0.1\t2\n");
  EXPECT_THAT(error_message([&] { io::read_opensim_storage(p); }),
              HasSubstr("2 data rows, but the header announces 3"));
  write_text(p, "nColumns=3\nendheader\ntime\ta\n0\t1\n");
  EXPECT_THAT(error_message([&] { io::read_opensim_storage(p); }),
              HasSubstr(":3: 2 column names, but the header says 3 columns"));
  write_text(p, "endheader\ntime\ta\ta\n");
  EXPECT_THAT(error_message([&] { io::read_opensim_storage(p); }),
              HasSubstr(":2: duplicate column name 'a'"));
  write_text(p, "endheader\ntime\ta\n0\t1\n0\t2\n");
  EXPECT_THAT(error_message([&] { io::read_opensim_storage(p); }),
              HasSubstr(":4: time column 'time' must increase"));
  write_text(p, "nRows=99999999999\nendheader\ntime\ta\n0\t1\n");
  EXPECT_THAT(error_message([&] { io::read_opensim_storage(p); }),
              HasSubstr("nRows 99999999999 rows of 2 cells cannot fit"));
  write_text(p, "endheader\ntime\ta\n\n");
  EXPECT_THAT(error_message([&] { io::read_opensim_storage(p); }),
              HasSubstr(p.string() + ": no data rows after the column names"));
  write_text(p, "endheader\ntime\ta\n0\t1\n0.1\t2\n0.2\t3");  // no final line ending: fine
  EXPECT_EQ(io::read_opensim_storage(p).frames(), 3);
  write_text(p, "endheader\ntime\ta\tb\n0\t1\t2\n0.1\t2");  // cut short
  EXPECT_THAT(error_message([&] { io::read_opensim_storage(p); }),
              HasSubstr(":4: expected 3 columns like the column names, got 2 (the last line is "
                        "cut short: truncated file?)"));
}

TEST(MotValues, InfinityIsAnErrorUnlessAllowedAndNanStaysMissing) {
  test::TempDir dir;
  const auto p = dir / "inf.mot";
  write_text(p, "endheader\ntime\ta\tb\n0\t1\tnan\n0.1\t-inf\t2\n");
  EXPECT_THAT(error_message([&] { io::read_opensim_storage(p); }),
              HasSubstr(p.string() + ":4: column 'a': infinite value -inf"));
  io::ImportOptions allow;
  allow.values.allow_infinite = true;
  const Recording r = io::read_any(p, allow).at(0);
  ASSERT_EQ(r.data.size(), 4u);
  EXPECT_EQ(r.data[0], 1);
  EXPECT_EQ(r.data[1], -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(r.data[2]));
  EXPECT_EQ(r.data[3], 2);
  const auto t = dir / "inf.trc";
  write_text(t,
             "PathFileType\t4\t(X/Y/Z)\tinf.trc\nDataRate\tCameraRate\tNumFrames\tNumMarkers\t"
             "Units\n100\t100\t1\t1\tmm\nFrame#\tTime\tm\t\t\n\t\tX1\tY1\tZ1\n\n"
             "1\t0\t1\tinf\t3\n");
  EXPECT_THAT(error_message([&] { io::read_trc(t); }),
              HasSubstr(t.string() + ":7: column 'm_y': infinite value inf"));
  EXPECT_EQ(io::read_any(t, allow).at(0).data[1], std::numeric_limits<double>::infinity());
}

// ---- .trc --------------------------------------------------------------------------------------

const char* kTrc =
    "PathFileType\t4\t(X/Y/Z)\tswing.trc\n"
    "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\t"
    "OrigNumFrames\n"
    "200.00\t200.00\t4\t2\tmm\t200.00\t1\t4\n"
    "Frame#\tTime\tclub head\t\t\tC7\t\t\t\n"
    "\t\tX1\tY1\tZ1\tX2\tY2\tZ2\t\n"
    "\n"
    "7\t0.000\t1.5E+02\t-3.0e-1\t2\t\t\t\t\n"
    "8\t0.005\tNaN\tnan\tNAN\t4\t5\t6\n"
    "9\t0.010\t7\t8\t9\t10\t11\t12\t\n"
    "10\t0.015\t1\t2\t3\t4\t5\t6\n";

TEST(Trc, MarkerNamesBlankCellsNanAndENotation) {
  test::TempDir dir;
  const auto p = dir / "swing.trc";
  write_text(p, kTrc);
  const Recording r = io::read_trc(p);
  EXPECT_EQ(r.channels, (std::vector<std::string>{"club head_x", "club head_y", "club head_z",
                                                  "C7_x", "C7_y", "C7_z"}));
  ASSERT_EQ(r.frames(), 4);
  EXPECT_NEAR(r.sample_rate, 200, 1e-9);
  EXPECT_EQ(r.units, std::vector<std::string>(6, "mm"));
  EXPECT_EQ(r.channel(0)[0], 150);
  EXPECT_EQ(r.channel(1)[0], -0.3);
  EXPECT_TRUE(std::isnan(r.channel(3)[0]));  // blank cells: missing
  EXPECT_TRUE(std::isnan(r.channel(0)[1]) && std::isnan(r.channel(2)[1]));
  EXPECT_EQ(r.channel(5)[2], 12);
  EXPECT_EQ(r.meta.attributes.at("first_frame"), "7");
  EXPECT_EQ(r.meta.attributes.at("DataRate"), "200.00");
  io::TableOptions opt;
  opt.markers = {"C7"};
  const Recording c7 = io::read_trc(p, opt);
  EXPECT_EQ(c7.channels, (std::vector<std::string>{"C7_x", "C7_y", "C7_z"}));
  ASSERT_EQ(c7.frames(), 4);
  EXPECT_TRUE(std::isnan(c7.channel(0)[0]));
  EXPECT_EQ(c7.channel(0)[1], 4);
  EXPECT_EQ(c7.channel(2)[2], 12);
  opt.markers = {"nope"};
  EXPECT_THAT(error_message([&] { io::read_trc(p, opt); }), HasSubstr("no marker named 'nope'"));
}

TEST(Trc, CrlfAndCrOnlyLineEndings) {
  test::TempDir dir;
  const auto p = dir / "crlf.trc";
  write_text(p, crlf(kTrc));
  const Recording a = io::read_trc(p);
  std::string cr = kTrc;
  std::replace(cr.begin(), cr.end(), '\n', '\r');
  write_text(p, cr);
  const Recording b = io::read_trc(p);
  ASSERT_EQ(a.data.size(), b.data.size());
  EXPECT_EQ(a.frames(), 4);
  for (std::size_t i = 0; i < a.data.size(); ++i)
    EXPECT_TRUE(a.data[i] == b.data[i] || (std::isnan(a.data[i]) && std::isnan(b.data[i])));
}

TEST(TrcErrors, BadInputNamesTheLine) {
  test::TempDir dir;
  const auto p = dir / "bad.trc";
  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = kTrc;
    s.replace(s.find(from), from.size(), to);
    write_text(p, s);
    return error_message([&] { io::read_trc(p); });
  };
  EXPECT_THAT(with("PathFileType", "Path"), HasSubstr(p.string() + ":1: not a .trc file"));
  EXPECT_THAT(with("\t4\t2\tmm", "\t4\t3\tmm"),
              HasSubstr(":4: 2 marker names, but NumMarkers is 3"));
  EXPECT_THAT(with("\t4\t2\tmm", "\t5\t2\tmm"), HasSubstr("4 data rows, but NumFrames is 5"));
  EXPECT_THAT(with("\t4\t2\tmm", "\t4000000000000\t2\tmm"),  // huge: refused before allocating
              HasSubstr(":3: NumFrames 4000000000000 rows of 8 cells cannot fit in a file of"));
  EXPECT_THAT(with("0.010", "0.013"), HasSubstr(":9: time column 'Time' is not uniform"));
  EXPECT_THAT(with("\t4\t5\t6", "\t4\t5"),
              HasSubstr(":8: expected 8 cells (Frame#, Time and X, Y, Z per marker), got 7"));
  EXPECT_THAT(with("\t4\t5\t6", "\t4\tfive\t6"),
              HasSubstr(":8: column 'C7_y': expected a number, got 'five'"));
  EXPECT_THAT(with("Z2\t", ""), HasSubstr(":5: 5 coordinate labels"));
  EXPECT_THAT(with("C7", "club head"), HasSubstr(":4: duplicate marker name 'club head'"));
  write_text(p, std::string(kTrc).substr(0, std::string(kTrc).size() - 8));
  EXPECT_THAT(error_message([&] { io::read_trc(p); }), HasSubstr("truncated"));
  write_text(p, std::string(kTrc).substr(0, std::string(kTrc).find("\n7\t") + 1));
  EXPECT_THAT(error_message([&] { io::read_trc(p); }),
              HasSubstr(": no data rows after the header"));
  write_text(p, "PathFileType\t4\n");
  EXPECT_THAT(error_message([&] { io::read_trc(p); }), HasSubstr(":2: the file ends before"));
}

TEST(OpenSimFrames, OneRowKeepsItsValuesAndTakesTheRateFromTheHeader) {
  test::TempDir dir;
  const auto mot = dir / "one.mot";
  write_text(mot, "DataRate=50\nendheader\ntime\ta\tb\n0.25\t-1.5\tNaN\n");
  const Recording m = io::read_opensim_storage(mot);
  ASSERT_EQ(m.frames(), 1);
  EXPECT_EQ(m.channels, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(m.data[0], -1.5);
  EXPECT_TRUE(std::isnan(m.data[1]));  // missing stays NaN, never 0
  EXPECT_EQ(m.sample_rate, 50);        // one time value gives no step: DataRate
  EXPECT_EQ(m.meta.attributes.at("start_time"), std::to_string(0.25));
  io::TableOptions opt;
  opt.sample_rate = 120;
  write_text(mot, "endheader\ntime\ta\n0\t3\n");
  EXPECT_EQ(io::read_opensim_storage(mot, opt).sample_rate, 120);

  const auto trc = dir / "one.trc";
  write_text(trc,
             "PathFileType\t4\t(X/Y/Z)\tone.trc\n"
             "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\n"
             "100\t100\t1\t2\tm\n"
             "Frame#\tTime\tA\t\t\tB\t\t\n"
             "\t\tX1\tY1\tZ1\tX2\tY2\tZ2\n"
             "\n"
             "1\t0\t1\t2\t3\t\t\t\n");
  const Recording t = io::read_trc(trc);
  ASSERT_EQ(t.frames(), 1);
  EXPECT_EQ(t.sample_rate, 100);
  EXPECT_EQ(t.channel(2)[0], 3);
  for (int c = 3; c < 6; ++c) EXPECT_TRUE(std::isnan(t.channel(c)[0])) << c;
}

// ---- OpenSim's own test files against numpy.genfromtxt ----------------------------------------

struct SharedCase {
  std::string file;
  int bad_time_line;  ///< 0: uniform time; else the line where the time step changes
};

void PrintTo(const SharedCase& c, std::ostream* os) {
  *os << c.file;
}

class OpenSimShared : public ::testing::TestWithParam<SharedCase> {};

TEST_P(OpenSimShared, EveryValueEqualsNumpy) {
  SWINGPIPE_REQUIRE_SHARED_DATA(data);
  SWINGPIPE_REQUIRE_TEST_PYTHON(py);
  const auto& c = GetParam();
  const auto path = data / "mocap" / "opensim" / c.file;
  io::TableOptions opt;
  if (c.bad_time_line) {
    // A non-uniform time column is an error naming the row; imported with the time as a
    // channel, every value is kept.
    EXPECT_THAT(error_message([&] { io::read_any(path); }),
                HasSubstr(path.string() + ":" + std::to_string(c.bad_time_line) + ": time column"));
    opt.time_column = "";
  }
  const Recording r =
      path.extension() == ".trc" ? io::read_trc(path, opt) : io::read_opensim_storage(path, opt);
  test::TempDir dir;
  const std::string script =
      std::string(SWINGPIPE_SOURCE_DIR) + "/tests/unit/io/oracles/numpy_text_dump.py";
  std::string out;
  ASSERT_EQ(test::run_shell(py.string() + " " + script + " '" + path.string() + "' " +
                                (dir / "v.npy").string() + " " + (dir / "m.json").string() +
                                (c.bad_time_line ? " keep-time" : ""),
                            &out),
            0)
      << out;
  nlohmann::json m;
  std::ifstream(dir / "m.json") >> m;
  const auto values = test::load_npy_f8(dir / "v.npy");
  const auto channels = m["channels"].get<std::vector<std::string>>();
  EXPECT_EQ(r.channels, channels);
  const std::size_t rows = m["rows"];
  ASSERT_EQ(static_cast<std::size_t>(r.frames()), rows);
  ASSERT_EQ(values.values.size(), rows * channels.size());
  std::size_t nan = 0;
  for (std::size_t t = 0; t < rows; ++t)
    for (std::size_t ch = 0; ch < channels.size(); ++ch) {
      const double want = values.values[t * channels.size() + ch];
      const double got = r.channel(static_cast<int>(ch))[t];
      nan += std::isnan(want);
      ASSERT_TRUE(test::same_value(got, want, 0)) << c.file << ": row " << t << ", " << channels[ch]
                                                  << ": got " << got << ", numpy " << want;
    }
  if (!c.bad_time_line) {
    EXPECT_NEAR(r.sample_rate, m["rate"].get<double>(), 1e-12 * r.sample_rate);
  }
  if (c.file.find("NaN") != std::string::npos) {
    EXPECT_GT(nan, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(OpenSimTestFiles, OpenSimShared,
                         ::testing::Values(SharedCase{"gait10dof18musc_ik_CRLF_line_ending.mot", 0},
                                           SharedCase{"SinglePin_states_degrees.mot", 314},
                                           SharedCase{"std_subject_InverseDynamics.sto", 0},
                                           SharedCase{"orientation_quats.sto", 0},
                                           SharedCase{"std_walking2_markers.trc", 132},
                                           SharedCase{"dataWithNaNsOfDifferentCases.trc", 0}));

}  // namespace
}  // namespace swingpipe
