// UCR .tsv and sktime .ts readers: the real archive files and hand-written edge cases.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "io_test_util.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/io.hpp"
#include "test_support.hpp"

namespace swingpipe {
namespace {

using ::testing::HasSubstr;

using test::write_text;

template <class Fn>
std::string input_error(Fn fn) {
  return test::error_message<InputError>(fn);
}

/// Line `row` (0-based) of a UCR file split on tabs, parsed independently with strtod.
std::vector<std::string> tsv_fields(const std::filesystem::path& p, int row) {
  std::ifstream in(p);
  std::string line;
  for (int i = 0; i <= row; ++i) std::getline(in, line);
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string f;
  while (std::getline(ss, f, '\t')) out.push_back(f);
  return out;
}

TEST(Ucr, GunPointTrainHas50SeriesOf150WithLabels1And2) {
  SWINGPIPE_REQUIRE_SHARED_DATA(data);
  const auto path = data / "ucr" / "GunPoint" / "GunPoint_TRAIN.tsv";
  const auto recs = io::read_labelled(path);
  ASSERT_EQ(recs.size(), 50u);
  std::map<std::string, int> labels;
  for (const auto& r : recs) {
    EXPECT_EQ(r.frames(), 150);
    EXPECT_EQ(r.channels, std::vector<std::string>{"dim0"});
    EXPECT_EQ(r.sample_rate, 0);
    EXPECT_NO_THROW(validate(r, r.meta.filename));
    ++labels[r.meta.label];
  }
  EXPECT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels["1"] + labels["2"], 50);
  EXPECT_EQ(recs[0].meta.filename, "GunPoint_TRAIN#0");
  EXPECT_EQ(recs[49].meta.filename, "GunPoint_TRAIN#49");
  for (int row : {0, 17, 49}) {
    const auto fields = tsv_fields(path, row);
    ASSERT_EQ(fields.size(), 151u);
    EXPECT_EQ(recs[row].meta.label, fields[0]);
    for (int t = 0; t < 150; ++t)
      ASSERT_EQ(recs[row].data[t], std::strtod(fields[t + 1].c_str(), nullptr))
          << "row " << row << " t " << t;
  }
}

TEST(Ucr, BeefTsHas30SeriesOf470With5Classes) {
  SWINGPIPE_REQUIRE_SHARED_DATA(data);
  const auto path = data / "ucr" / "Beef" / "Beef_TRAIN.ts";
  const auto recs = io::read_labelled(path);
  ASSERT_EQ(recs.size(), 30u);
  std::set<std::string> labels;
  for (const auto& r : recs) {
    EXPECT_EQ(r.frames(), 470);
    EXPECT_EQ(r.channel_count(), 1);
    labels.insert(r.meta.label);
  }
  EXPECT_EQ(labels, (std::set<std::string>{"1", "2", "3", "4", "5"}));
  EXPECT_EQ(recs[0].meta.filename, "Beef_TRAIN#0");
  // The first data row begins "-0.36292248,-0.36532777," and the last ends "-1.6087152:5".
  EXPECT_EQ(recs[0].data[0], -0.36292248);
  EXPECT_EQ(recs[0].data[1], -0.36532777);
  EXPECT_EQ(recs[29].data[469], -1.6087152);
  EXPECT_EQ(recs[29].meta.label, "5");
}

TEST(Ucr, EveryArchiveFileReads) {
  SWINGPIPE_REQUIRE_SHARED_DATA(data);
  int files = 0;
  for (const auto& dir : std::filesystem::directory_iterator(data / "ucr")) {
    if (!dir.is_directory()) continue;
    for (const auto& f : std::filesystem::directory_iterator(dir.path())) {
      const auto ext = f.path().extension();
      if (ext != ".tsv" && ext != ".ts") continue;
      const auto recs = io::read_labelled(f.path());
      EXPECT_FALSE(recs.empty()) << f.path();
      for (const auto& r : recs) EXPECT_FALSE(r.meta.label.empty()) << f.path();
      ++files;
    }
  }
  EXPECT_GE(files, 14);
}

TEST(Ucr, TsvVariableLengthsSeparatorsAndNanPadding) {
  test::TempDir dir;
  const auto p = dir / "Var_TRAIN.tsv";
  write_text(p,
             "1\t0.5\t1.5\t2.5\tNaN\tNaN\n"
             "\n"
             "-1,3,4\r\n"
             "2   7  8 9 10\n"
             "abc\t1\tNaN\t2\t\t\n");
  const auto recs = io::read_labelled(p);
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_EQ(recs[0].meta.label, "1");
  EXPECT_EQ(recs[0].data, (std::vector<double>{0.5, 1.5, 2.5}));
  EXPECT_EQ(recs[0].frames(), 3);
  EXPECT_EQ(recs[1].meta.label, "-1");
  EXPECT_EQ(recs[1].data, (std::vector<double>{3, 4}));
  EXPECT_EQ(recs[1].meta.filename, "Var_TRAIN#1");
  EXPECT_EQ(recs[2].data, (std::vector<double>{7, 8, 9, 10}));
  EXPECT_EQ(recs[3].meta.label, "abc");
  ASSERT_EQ(recs[3].frames(), 3);  // a missing value inside stays; the trailing ones go
  EXPECT_EQ(recs[3].data[0], 1);
  EXPECT_TRUE(std::isnan(recs[3].data[1]));
  EXPECT_EQ(recs[3].data[2], 2);
}

TEST(Ucr, TsMultivariateWithCommentsAndMissing) {
  test::TempDir dir;
  const auto p = dir / "Multi.ts";
  write_text(p,
             "# a comment\n"
             "@problemName Multi\n"
             "@timeStamps false\n"
             "@missing true\n"
             "@univariate false\n"
             "@dimensions 2\n"
             "@equalLength false\n"
             "@classLabel true up down\n"
             "@data\n"
             "1,2,3:4,5,6:up\n"
             "# between rows\n"
             "\n"
             "7,?,9,10:11,12,13,14:down\r\n");
  const auto recs = io::read_labelled(p);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].channels, (std::vector<std::string>{"dim0", "dim1"}));
  EXPECT_EQ(recs[0].meta.label, "up");
  EXPECT_EQ(recs[0].frames(), 3);
  EXPECT_EQ(recs[0].data, (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(recs[1].meta.label, "down");
  EXPECT_EQ(recs[1].meta.filename, "Multi#1");
  ASSERT_EQ(recs[1].frames(), 4);
  EXPECT_EQ(recs[1].data[0], 7);
  EXPECT_TRUE(std::isnan(recs[1].data[1]));
  EXPECT_EQ(recs[1].channel(1)[0], 11);
  EXPECT_EQ(recs[1].channel(1)[3], 14);
  EXPECT_NO_THROW(validate(recs[1], "Multi#1"));
}

TEST(Ucr, TsWithoutLabels) {
  test::TempDir dir;
  const auto p = dir / "NoLabel.ts";
  write_text(p, "@classLabel false\n@data\n1,2\n3,4\n");
  const auto recs = io::read_labelled(p);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[1].meta.label, "");
  EXPECT_EQ(recs[1].data, (std::vector<double>{3, 4}));
}

TEST(UcrErrors, TsRowWithMissingLabelNamesFileAndLine) {
  test::TempDir dir;
  const auto p = dir / "Bad.ts";
  write_text(p, "@univariate true\n@classLabel true a b\n@data\n1,2,3:a\n4,5,6\n");
  const auto msg = input_error([&] { io::read_labelled(p); });
  EXPECT_THAT(msg, HasSubstr(p.string() + ":5:"));
  EXPECT_THAT(msg, HasSubstr("missing class label"));

  write_text(p, "@classLabel true a b\n@data\n1,2,3:\n");
  EXPECT_THAT(input_error([&] { io::read_labelled(p); }), HasSubstr(":3: missing class label"));
}

TEST(UcrErrors, TsUndeclaredLabelBadValueAndRaggedDimensions) {
  test::TempDir dir;
  const auto p = dir / "Bad.ts";
  write_text(p, "@classLabel true a b\n@data\n1,2:c\n");
  EXPECT_THAT(input_error([&] { io::read_labelled(p); }),
              HasSubstr(":3: class label 'c' is not declared by @classLabel 'a b'"));
  write_text(p, "@classLabel true a\n@data\n1,x,3:a\n");
  EXPECT_THAT(input_error([&] { io::read_labelled(p); }),
              HasSubstr(":3: dimension 0, value 2: expected a number or '?', got 'x'"));
  write_text(p, "@classLabel true a\n@data\n1,2,3:4,5:a\n");
  EXPECT_THAT(input_error([&] { io::read_labelled(p); }),
              HasSubstr(":3: dimension 1 has 2 values, dimension 0 has 3"));
  write_text(p, "@classLabel true a\n@data\n1,2:3,4:a\n1,2:a\n");
  EXPECT_THAT(input_error([&] { io::read_labelled(p); }),
              HasSubstr(":4: expected 2 dimensions like the first row, got 1"));
  write_text(p, "@equalLength true\n@seriesLength 3\n@classLabel true a\n@data\n1,2:a\n");
  EXPECT_THAT(input_error([&] { io::read_labelled(p); }),
              HasSubstr(":5: expected 3 values (@seriesLength), got 2"));
  write_text(p, "@classLabel true a\n1,2:a\n");
  EXPECT_THAT(input_error([&] { io::read_labelled(p); }),
              HasSubstr(":2: expected a '@' header line"));
  write_text(p, "@classLabel true a\n");
  EXPECT_THAT(input_error([&] { io::read_labelled(p); }), HasSubstr("no @data line"));
  write_text(p, "@timeStamps true\n@data\n");
  EXPECT_THAT(input_error([&] { io::read_labelled(p); }),
              HasSubstr(":1: @timeStamps true is not supported"));
}

TEST(UcrErrors, TsvNonNumericValueAndEmptySeries) {
  test::TempDir dir;
  const auto p = dir / "Bad_TRAIN.tsv";
  write_text(p, "1\t0.5\t0.6\n2\t0.5\tx7\n");
  const auto msg = input_error([&] { io::read_labelled(p); });
  EXPECT_THAT(msg, HasSubstr(p.string() + ":2: value 2: expected a number, got 'x7'"));
  write_text(p, "1\t0.5\n2\tNaN\tNaN\n");
  EXPECT_THAT(input_error([&] { io::read_labelled(p); }), HasSubstr(":2: series has no values"));
  write_text(p, "\t0.5\t1\n");
  EXPECT_THAT(input_error([&] { io::read_labelled(p); }),
              HasSubstr(":1: expected a class label first"));
}

TEST(UcrErrors, MissingFileIsNotFoundAndWrongExtensionIsInputError) {
  test::TempDir dir;
  try {
    io::read_labelled(dir / "absent.tsv");
    FAIL() << "expected NotFoundError";
  } catch (const NotFoundError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("absent.tsv"));
  }
  EXPECT_THAT(input_error([&] { io::read_labelled(dir / "x.csv"); }), HasSubstr("x.csv"));
}

}  // namespace
}  // namespace swingpipe
