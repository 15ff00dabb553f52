// The real C3D files of ../shared/data/mocap/c3d (Vicon, Qualisys, BTS, a force-plate file):
// every point coordinate and analog sample equals what the reference reader ezc3d 1.7.2 read
// (the oracle arrays beside each file), NaN exactly where it has NaN.
#include <gtest/gtest.h>

#include "mocap_test_util.hpp"
#include "swingpipe/host/c3d.hpp"
#include "test_support.hpp"

namespace swingpipe {
namespace {

class C3dShared : public ::testing::TestWithParam<std::string> {};

TEST_P(C3dShared, EveryValueEqualsEzc3d) {
  SWINGPIPE_REQUIRE_SHARED_DATA(data);
  const auto dir = data / "mocap" / "c3d";
  const std::string stem = GetParam();
  const auto ref = test::load_ezc3d_reference(dir, stem);
  const auto recs = io::c3d::read(dir / (stem + ".c3d"));
  test::expect_matches_ezc3d(recs, ref, stem);
  const auto& m = ref.meta;
  const Recording& points = recs.at(0);
  EXPECT_EQ(points.meta.attributes.at("first_frame"),
            std::to_string(m["first_frame"].get<int>() + 1));  // ezc3d counts from 0
  EXPECT_EQ(points.units.at(0), m["point_units"].get<std::string>());
  EXPECT_EQ(points.meta.tags, recs.at(1).meta.tags);
  const auto info = io::c3d::read_info(dir / (stem + ".c3d"));
  EXPECT_DOUBLE_EQ(info.point_scale, m["point_scale"].get<double>());
  EXPECT_EQ(info.processor, io::c3d::Processor::intel);
  EXPECT_TRUE(info.float_storage);
}

INSTANTIATE_TEST_SUITE_P(FourSystems, C3dShared,
                         ::testing::Values("Vicon", "Qualisys", "BTS", "FP_Type1"));

TEST(C3dSharedMeta, DateSubjectsAndUnitsFromTheFile) {
  SWINGPIPE_REQUIRE_SHARED_DATA(data);
  const auto dir = data / "mocap" / "c3d";
  const auto bts = io::c3d::read(dir / "BTS.c3d");
  EXPECT_EQ(bts.at(0).meta.date_recorded, "2019-05-24T15:13:57");  // TRIAL:DATE, TRIAL:TIME
  EXPECT_EQ(bts.at(1).units.at(0), "N");
  EXPECT_EQ(bts.at(1).units.at(3), "Nmm");
  const auto vicon = io::c3d::read(dir / "Vicon.c3d");
  EXPECT_EQ(vicon.at(0).meta.golfer_name, "boite, Daphnee");  // SUBJECTS:NAMES
  EXPECT_EQ(vicon.at(0).meta.attributes.at("manufacturer"), "Vicon");
  EXPECT_EQ(vicon.at(0).meta.attributes.at("software"), "Vicon Nexus 2.4.0.91647h");
  const auto q = io::c3d::read(dir / "Qualisys.c3d");
  EXPECT_EQ(q.at(0).meta.attributes.at("first_frame"), "705");
}

}  // namespace
}  // namespace swingpipe
