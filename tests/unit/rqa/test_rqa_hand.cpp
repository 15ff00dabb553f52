// RQA on matrices small enough to count by hand: the values below were derived on paper from the
// definitions in rqa.hpp (not printed by the code), and pin both conventions, the Theiler window,
// the cross-recurrence orientation and the empty-histogram rules, for the reference and the tile
// engine alike.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "rqa_test_util.hpp"
#include "swingpipe/kernels/rqa.hpp"

namespace swingpipe::rqa {
namespace {

using test_util::same_result;

// Two groups of points on a line: A = {0, 0.1, 0.05, 0.2} at indices 0, 1, 3, 4 and
// B = {5, 5.1} at 2, 5; with eps = 0.5 a cell is recurrent exactly when both points share a group:
//   1 1 0 1 1 0
//   1 1 0 1 1 0
//   0 0 1 0 0 1
//   1 1 0 1 1 0
//   1 1 0 1 1 0
//   0 0 1 0 0 1
Points<double> groups() {
  return points_from_rows<double>({0, 0.1, 5, 0.05, 0.2, 5.1}, 1);
}

Options absolute(double eps, Convention c, int64_t w) {
  Options o;
  o.threshold = Threshold::absolute(eps);
  o.convention = c;
  o.theiler = w;
  return o;
}

void expect_both(const Points<double>& x, const Options& o, const Result& want) {
  const Result ref = reference_recurrence(x, o);
  EXPECT_TRUE(same_result(ref, want)) << "reference";
  for (Simd s : {Simd::scalar, Simd::avx2, Simd::avx512}) {
    if (!cpu_supports(s)) continue;
    Options os = o;
    os.simd = s;
    EXPECT_TRUE(same_result(recurrence(x, os), want)) << "engine, " << to_string(s);
  }
}

Result expected(double eps, std::vector<int64_t> diag, std::vector<int64_t> vert,
                std::vector<int64_t> white, Measures m) {
  Result r;
  r.epsilon = eps;
  r.rows = r.cols = 6;
  r.histograms = {std::move(diag), std::move(vert), std::move(white)};
  r.measures = m;
  return r;
}

TEST(RqaByHand, StandardTheilerOne) {
  // Diagonals (both triangles): d=+-1: two single points each, d=+-2: one, d=+-3: a line of 3,
  // d=+-4: one. Columns with the diagonal cell removed, e.g. column 0 = [x 1 0 1 1 0].
  Measures m;
  m.recurrences = 14;
  m.cells = 30;
  m.rr = 14.0 / 30;
  m.det = 6.0 / 14;
  m.l = 3;
  m.lmax = 3;
  m.entr = 0;
  m.lam = 8.0 / 14;
  m.tt = 2;
  m.vmax = 2;
  expect_both(groups(), absolute(0.5, Convention::standard, 1),
              expected(0.5, {0, 8, 0, 2}, {0, 6, 4}, {0, 8, 4}, m));
}

TEST(RqaByHand, StandardTheilerZeroKeepsTheMainDiagonal) {
  Measures m;
  m.recurrences = 20;
  m.cells = 36;
  m.rr = 20.0 / 36;
  m.det = 12.0 / 20;
  m.l = 4;
  m.lmax = 6;
  m.entr = -(2.0 / 3 * std::log(2.0 / 3) + 1.0 / 3 * std::log(1.0 / 3));
  m.lam = 16.0 / 20;
  m.tt = 2;
  m.vmax = 2;
  expect_both(groups(), absolute(0.5, Convention::standard, 0),
              expected(0.5, {0, 8, 0, 2, 0, 0, 1}, {0, 4, 8}, {0, 8, 4}, m));
}

TEST(RqaByHand, PyrqaConventionCountsTheBandInRrAndVerticals) {
  // Theiler 1 removes the main diagonal from the diagonal lines only.
  Measures m;
  m.recurrences = 20;
  m.cells = 36;
  m.rr = 20.0 / 36;
  m.det = 6.0 / 14;
  m.l = 3;
  m.lmax = 3;
  m.entr = 0;
  m.lam = 16.0 / 20;
  m.tt = 2;
  m.vmax = 2;
  expect_both(groups(), absolute(0.5, Convention::pyrqa, 1),
              expected(0.5, {0, 8, 0, 2}, {0, 4, 8}, {0, 8, 4}, m));
}

TEST(RqaByHand, CrossRecurrenceOrientationAndEmptyHistograms) {
  // x = (0, 1, 2), y = (0.1, 2.1), eps = 0.5: R = [[1 0] [0 0] [0 1]], no line of length 2.
  const auto x = points_from_rows<double>({0, 1, 2}, 1);
  const auto y = points_from_rows<double>({0.1, 2.1}, 1);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Result want;
  want.epsilon = 0.5;
  want.rows = 3;
  want.cols = 2;
  want.measures.recurrences = 2;
  want.measures.cells = 6;
  want.measures.rr = 2.0 / 6;
  want.measures.det = 0;
  want.measures.l = nan;
  want.measures.lmax = 1;
  want.measures.entr = nan;
  want.measures.lam = 0;
  want.measures.tt = nan;
  want.measures.vmax = 1;
  // standard: columns of y, along x: [1 0 0] and [0 0 1].
  want.histograms = {{0, 2}, {0, 2}, {0, 0, 2}};
  Options o;
  o.threshold = Threshold::absolute(0.5);
  EXPECT_TRUE(same_result(reference_cross(x, y, o), want));
  EXPECT_TRUE(same_result(cross_recurrence(x, y, o), want));
  // pyrqa: rows of x, along y: [1 0], [0 0], [0 1]; the empty entropy is 0.
  o.convention = Convention::pyrqa;
  want.histograms = {{0, 2}, {0, 2}, {0, 2, 1}};
  want.measures.entr = 0;
  EXPECT_TRUE(same_result(reference_cross(x, y, o), want));
  EXPECT_TRUE(same_result(cross_recurrence(x, y, o), want));
}

TEST(RqaByHand, StrictThresholdAndExactTies) {
  // Points 0, 1, 2, 3 on a line: with eps = 1 no two distinct points recur (d = 1 is not < 1);
  // with the next double above 1, neighbours do.
  const auto x = points_from_rows<double>({0, 1, 2, 3}, 1);
  Options o = absolute(1.0, Convention::standard, 1);
  Result r = recurrence(x, o);
  EXPECT_EQ(r.measures.recurrences, 0);
  EXPECT_TRUE(same_result(r, reference_recurrence(x, o)));
  o.threshold = Threshold::absolute(std::nextafter(1.0, 2.0));
  r = recurrence(x, o);
  EXPECT_EQ(r.measures.recurrences, 6);  // (0,1) (1,2) (2,3) both ways
  EXPECT_EQ(r.histograms.diagonal, (std::vector<int64_t>{0, 0, 0, 2}));
  EXPECT_TRUE(same_result(r, reference_recurrence(x, o)));
  // Euclidean in 2-D: (0,0)-(3,4) is exactly 5 apart.
  const auto p = points_from_rows<double>({0, 0, 3, 4}, 2);
  o.threshold = Threshold::absolute(5.0);
  EXPECT_EQ(recurrence(p, o).measures.recurrences, 0);
  o.threshold = Threshold::absolute(std::nextafter(5.0, 6.0));
  EXPECT_EQ(recurrence(p, o).measures.recurrences, 2);
  // float32: 5 is exact too, and a double threshold between floats is compared as a double.
  const auto pf = points_from_rows<float>({0, 0, 3, 4}, 2);
  o.threshold = Threshold::absolute(5.0);
  EXPECT_EQ(recurrence(pf, o).measures.recurrences, 0);
  o.threshold = Threshold::absolute(5.0000000001);
  EXPECT_EQ(recurrence(pf, o).measures.recurrences, 2);
}

TEST(RqaByHand, CountedCells) {
  EXPECT_EQ(counted_cells(6, 6, 1, Convention::standard), 30);
  EXPECT_EQ(counted_cells(6, 6, 2, Convention::standard), 20);  // (n - w)(n - w + 1)
  EXPECT_EQ(counted_cells(6, 6, 0, Convention::standard), 36);
  EXPECT_EQ(counted_cells(6, 6, 3, Convention::pyrqa), 36);
  EXPECT_EQ(counted_cells(3, 2, 1, Convention::standard), 4);  // (0,0) and (1,1) removed
  EXPECT_EQ(counted_cells(1, 1, 1, Convention::standard), 0);
  EXPECT_EQ(counted_cells(5, 5, 9, Convention::standard), 0);
}

TEST(RqaByHand, MeasuresOfAHistogram) {
  Histograms h;
  h.diagonal = {0, 3, 2, 0, 1};  // 3 singles, 2 of length 2, 1 of length 4: 11 points
  h.vertical = {0, 1, 0, 2};     // 7 points
  const Measures m = measures_of(h, 70, 2, 3, Convention::standard);
  EXPECT_EQ(m.recurrences, 7);
  EXPECT_DOUBLE_EQ(m.rr, 0.1);
  EXPECT_DOUBLE_EQ(m.det, 8.0 / 11);
  EXPECT_DOUBLE_EQ(m.l, 8.0 / 3);
  EXPECT_EQ(m.lmax, 4);
  EXPECT_DOUBLE_EQ(m.entr, -(2.0 / 3 * std::log(2.0 / 3) + 1.0 / 3 * std::log(1.0 / 3)));
  EXPECT_DOUBLE_EQ(m.lam, 6.0 / 7);
  EXPECT_DOUBLE_EQ(m.tt, 3);
  EXPECT_EQ(m.vmax, 3);
  const Measures e = measures_of({}, 0, 2, 2, Convention::standard);
  EXPECT_TRUE(std::isnan(e.rr) && std::isnan(e.det) && std::isnan(e.l) && std::isnan(e.entr));
  EXPECT_TRUE(std::isnan(e.lam) && std::isnan(e.tt));
  EXPECT_EQ(e.lmax, 0);
  EXPECT_EQ(measures_of({}, 4, 2, 2, Convention::pyrqa).entr, 0);
}

}  // namespace
}  // namespace swingpipe::rqa
