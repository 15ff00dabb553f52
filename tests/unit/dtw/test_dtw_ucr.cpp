// External oracles (../shared/data/ucr; skipped when absent): tsml-java's reference DTW and
// Euclidean distances, and the UCR archive's published 1-NN error rates for every data set in the
// README table (full window, learned window, Euclidean). The same sweep at every SIMD level and
// through knn is in tests/long/test_dtw_ucr_levels.cpp.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "dtw_test_util.hpp"
#include "swingpipe/kernels/dtw.hpp"
#include "test_support.hpp"
#include "ucr_oracle.hpp"

namespace swingpipe::dtw {
namespace {

struct TsmlRow {
  int64_t i, j;
  double distance;
  double w;  // -1 when no params (EDistance)
};

std::vector<TsmlRow> read_tsml(const std::filesystem::path& file) {
  std::ifstream in(file);
  EXPECT_TRUE(in.good()) << file;
  std::vector<TsmlRow> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream s(line);
    std::string a, b, d, params;
    std::getline(s, a, ',');
    std::getline(s, b, ',');
    std::getline(s, d, ',');
    std::getline(s, params);
    double w = -1;
    if (const auto p = params.find("\"w\":"); p != std::string::npos)
      w = std::stod(params.substr(p + 4));
    rows.push_back({std::stoll(a), std::stoll(b), std::stod(d), w});
  }
  return rows;
}

void check_tsml(const std::filesystem::path& ucr, const std::string& name) {
  const test::UcrSet d = test::load_ucr(ucr, name);
  // TRAIN followed by TEST.
  Batch<double> all(d.train.series.channels);
  for (const auto* part : {&d.train.series, &d.test.series})
    for (std::size_t s = 0; s < part->size(); ++s) {
      const SeriesRef<double> x = part->view().series(s);
      all.push_back(std::span<const double>(x.data, static_cast<std::size_t>(x.length)), x.length);
    }
  const auto dtw_rows = read_tsml(ucr / "tsml-distances" / name / "DTWDistance.csv");
  const auto ed_rows = read_tsml(ucr / "tsml-distances" / name / "EDistance.csv");
  ASSERT_EQ(dtw_rows.size(), 1000u);
  ASSERT_EQ(ed_rows.size(), 1000u);
  for (Simd level : test::supported_levels()) {
    for (const TsmlRow& r : dtw_rows) {
      ASSERT_GE(r.w, 0);
      const Options opt{.band = Band::fraction(r.w), .squared = true, .simd = level};
      const double got = distance<double>(all.view().series(r.i), all.view().series(r.j), opt);
      ASSERT_TRUE(test::close_rel(got, r.distance, 1e-9))
          << name << " DTW (" << r.i << "," << r.j << ") w=" << r.w << " " << to_string(level);
    }
    std::vector<PairIndex> list;
    for (const TsmlRow& r : ed_rows) list.push_back({r.i, r.j});
    std::vector<double> out(list.size());
    pairs<double>(all.view(), all.view(), list, out,
                  Options{.band = Band::samples(0), .squared = true, .simd = level});
    for (std::size_t p = 0; p < list.size(); ++p)
      ASSERT_TRUE(test::close_rel(out[p], ed_rows[p].distance, 1e-9))
          << name << " ED (" << list[p].a << "," << list[p].b << ")";
  }
  // The reference itself, on a subset.
  for (std::size_t k = 0; k < dtw_rows.size(); k += 50) {
    const TsmlRow& r = dtw_rows[k];
    EXPECT_TRUE(test::close_rel(reference_distance(all.view().series(r.i), all.view().series(r.j),
                                                   Band::fraction(r.w), true),
                                r.distance, 1e-9));
  }
}

TEST(DtwUcr, TsmlDistancesGunPoint) {
  SWINGPIPE_REQUIRE_SHARED_DATA(data);
  check_tsml(data / "ucr", "GunPoint");
}
TEST(DtwUcr, TsmlDistancesItalyPowerDemand) {
  SWINGPIPE_REQUIRE_SHARED_DATA(data);
  check_tsml(data / "ucr", "ItalyPowerDemand");
}

TEST(DtwUcr, PublishedOneNnErrorRates) {
  SWINGPIPE_REQUIRE_SHARED_DATA(data);
  for (const auto& p : test::published()) {
    const test::UcrSet d = test::load_ucr(data / "ucr", p.name);
    ASSERT_GT(d.train.series.size(), 0u) << p.name;
    ASSERT_EQ(d.train.labels.size(), d.train.series.size());
    const double ed = test::one_nn_error(d, Options{.band = Band::samples(0), .squared = true});
    const double learned = test::one_nn_error(
        d, Options{.band = Band::fraction(p.window_percent / 100.0), .squared = true});
    const double full = test::one_nn_error(d, Options{.band = Band::full(), .squared = true});
    EXPECT_TRUE(test::same_rate(ed, p.ed)) << p.name << " ED " << ed << " vs " << p.ed;
    EXPECT_TRUE(test::same_rate(learned, p.learned))
        << p.name << " learned window " << learned << " vs " << p.learned;
    EXPECT_TRUE(test::same_rate(full, p.full)) << p.name << " full " << full << " vs " << p.full;
  }
}

}  // namespace
}  // namespace swingpipe::dtw
