// Savitzky-Golay differentiation: exact on polynomials (edges included), close on sinusoids,
// equal to scipy.signal.savgol_filter(mode="interp"), short series, bad options.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "swingpipe/error.hpp"
#include "swingpipe/kernels/stats.hpp"
#include "test_support.hpp"

namespace swingpipe::stats {
namespace {

/// A polynomial sum_k a[k] u^k in u = (i - c) / h over n samples, and its derivatives in time.
struct Poly {
  std::vector<double> a;
  int64_t n;
  double fs;
  double c() const { return (n - 1) / 2.0; }
  double h() const { return n > 1 ? (n - 1) / 2.0 : 1.0; }
  double per_u() const { return (fs > 0 ? fs : 1.0) / h(); }  // du/dt
  double eval(int deriv, int64_t i) const {
    const double u = (static_cast<double>(i) - c()) / h();
    double acc = 0;
    for (int k = static_cast<int>(a.size()) - 1; k >= deriv; --k) {
      double falling = 1;
      for (int m = 0; m < deriv; ++m) falling *= k - m;
      acc = acc * u + a[k] * falling;
    }
    return acc * std::pow(per_u(), deriv);
  }
  /// A bound on |derivative| over the series, the scale of the tolerance.
  double bound(int deriv) const {
    double b = 0;
    for (int k = deriv; k < static_cast<int>(a.size()); ++k) {
      double falling = 1;
      for (int m = 0; m < deriv; ++m) falling *= k - m;
      b += std::abs(a[k]) * falling;
    }
    return std::max(b, 1.0) * std::pow(per_u(), deriv);
  }
  std::vector<double> samples() const {
    std::vector<double> x(static_cast<std::size_t>(n));
    for (int64_t i = 0; i < n; ++i) x[i] = eval(0, i);
    return x;
  }
};

Poly random_poly(std::mt19937_64& rng, int degree, int64_t n, double fs) {
  std::uniform_real_distribution<double> mag(0.5, 1.0);
  std::bernoulli_distribution sign(0.5);
  Poly p{{}, n, fs};
  for (int k = 0; k <= degree; ++k) p.a.push_back(sign(rng) ? mag(rng) : -mag(rng));
  return p;
}

void expect_exact(const Poly& p, int deriv, const Options& opt) {
  const auto x = p.samples();
  const auto got = savgol_derivative(x, deriv, p.fs, opt);
  ASSERT_EQ(got.size(), x.size());
  const double tol = 1e-9 * p.bound(deriv);
  for (int64_t i = 0; i < p.n; ++i)
    ASSERT_NEAR(got[i], p.eval(deriv, i), tol)
        << "frame " << i << " of " << p.n << ", deriv " << deriv << ", window " << opt.window
        << ", order " << opt.order << ", fs " << p.fs;
}

TEST(Savgol, PolynomialsUpToTheOrderAreDifferentiatedExactlyEverywhere) {
  auto rng = test::fresh_rng();
  for (const Options opt : {Options{5, 3}, Options{7, 3}, Options{11, 3}, Options{11, 4},
                            Options{21, 5}, Options{9, 6}, Options{17, 8}}) {
    for (const double fs : {0.0, 1.0, 240.0, 1000.0}) {
      for (const int64_t n : {int64_t(opt.window), int64_t(opt.window + 1), int64_t(40)}) {
        for (int degree = 0; degree <= opt.order; ++degree) {
          const Poly p = random_poly(rng, degree, n, fs);
          for (int deriv = 0; deriv <= std::min(3, opt.order); ++deriv) expect_exact(p, deriv, opt);
        }
      }
    }
  }
}

TEST(Savgol, ShortSeriesAreFittedWhole) {
  auto rng = test::fresh_rng();
  const Options opt{11, 3};
  for (int64_t n = 1; n < opt.window; ++n) {
    const int eff_order = static_cast<int>(std::min<int64_t>(opt.order, n - 1));
    for (int degree = 0; degree <= eff_order; ++degree) {
      const Poly p = random_poly(rng, degree, n, 240.0);
      for (int deriv = 0; deriv <= 3; ++deriv) expect_exact(p, deriv, opt);
    }
  }
  // Above the order a short series allows, the derivative is 0; one sample has derivative 0.
  EXPECT_EQ(savgol_derivative(std::vector<double>{1.0, 4.0}, 2, 10.0, opt),
            (std::vector<double>{0.0, 0.0}));
  EXPECT_EQ(savgol_derivative(std::vector<double>{7.0}, 1, 10.0, opt), (std::vector<double>{0.0}));
  EXPECT_EQ(savgol_derivative(std::vector<double>{7.0}, 0, 10.0, opt), (std::vector<double>{7.0}));
  const auto slope = savgol_derivative(std::vector<double>{1.0, 4.0}, 1, 10.0, opt);
  ASSERT_EQ(slope.size(), 2u);
  EXPECT_NEAR(slope[0], 30.0, 1e-12);
  EXPECT_NEAR(slope[1], 30.0, 1e-12);
  EXPECT_TRUE(savgol_derivative(std::vector<double>{}, 1, 10.0, opt).empty());
}

TEST(Savgol, SinusoidDerivativeInTheInterior) {
  const double fs = 240, f = 2, w = 2 * std::numbers::pi * f;
  std::vector<double> x(480);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(w * static_cast<double>(i) / fs);
  const auto d1 = savgol_derivative(x, 1, fs);
  const auto d2 = savgol_derivative(x, 2, fs);
  const auto d3 = savgol_derivative(x, 3, fs);
  for (std::size_t i = 5; i + 5 < x.size(); ++i) {
    const double t = static_cast<double>(i) / fs;
    ASSERT_NEAR(d1[i], w * std::cos(w * t), 1e-4 * w) << i;
    ASSERT_NEAR(d2[i], -w * w * std::sin(w * t), 1e-2 * w * w) << i;
    ASSERT_NEAR(d3[i], -w * w * w * std::cos(w * t), 1e-2 * w * w * w) << i;
  }
}

// x[i] = sin(0.3 i) + 0.01 i^2, 40 samples. Expected values from scipy 1.17.1:
//   scipy.signal.savgol_filter(x, 11, 3, deriv=d, delta=1/100, mode='interp'), d = 1 and 3.
std::vector<double> scipy_input() {
  std::vector<double> x(40);
  for (int i = 0; i < 40; ++i) x[i] = std::sin(0.3 * i) + 0.01 * i * i;
  return x;
}

const std::vector<double> kScipyDeriv1 = {
    37.08546095405914,   32.418319551258,    27.585883335249523, 22.5881523060337,
    17.425126463610532,  12.096805807980056, 5.265231582447472,  -0.9647458381773495,
    -5.857967081850211,  -8.798681224618353, -9.345548986796178, -7.271066256400324,
    -2.5818863539087804, 4.481774289042175,  13.467593948071196, 23.751550158563095,
    34.593661783937236,  45.204089326728614, 54.813688938555956, 62.742717749393975,
    68.46155327370776,   71.63800300973679,  72.16697820632442,  70.17988112807811,
    66.03286728242085,   60.27503110883379,  53.599357007918464, 46.78081710877277,
    40.60714531676017,   35.80847138981333,  32.99210062166746,  32.58826506867905,
    34.811692201570324,  39.642423939982265, 46.82759944835274,  54.86190231089355,
    64.56526197450616,   75.9376784391904,   88.97915170494632,  103.68968177177389};

const std::vector<double> kScipyDeriv3 = {
    -1652.948132073429,  -1652.948132073429,  -1652.948132073429,  -1652.948132073429,
    -1652.948132073429,  -1652.9481320732157, 5309.133937617985,   11796.966884596337,
    17231.011914104667,  21125.861967608133,  23133.60168966921,   23074.885670469434,
    20954.958837132846,  16963.187940006756,  11456.145984834933,  4925.760628118514,
    -2044.6282553552046, -8832.376586194518,  -14831.155021625214, -19505.110549879617,
    -22436.73264383222,  -23364.14823293752,  -22204.5140446972,   -19061.41674746496,
    -14215.61986186901,  -8099.983991699279,  -1260.8006753381778, 5691.006210369989,
    12134.452460551925,  17493.96421188081,   21290.792241582603,  23185.77720967171,
    23009.645752690136,  20778.131169126005,  16690.568010718896,  16690.568010716524,
    16690.568010716524,  16690.568010716524,  16690.568010716524,  16690.568010716524};

void expect_matches(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  double scale = 0;
  for (double v : want) scale = std::max(scale, std::abs(v));
  for (std::size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(got[i], want[i], 1e-9 * scale) << "frame " << i;
}

TEST(Savgol, MatchesScipyInterpMode) {
  const auto x = scipy_input();
  expect_matches(savgol_derivative(x, 1, 100.0, {11, 3}), kScipyDeriv1);
  expect_matches(savgol_derivative(x, 3, 100.0, {11, 3}), kScipyDeriv3);
}

TEST(Savgol, PlanAppliedEqualsOneShot) {
  const auto x = scipy_input();
  const SavgolPlan plan = savgol_plan(11, 3, 1);
  EXPECT_EQ(plan.weights.size(), 121u);
  std::vector<double> out(x.size());
  savgol_apply(plan, x, 100.0, out);
  EXPECT_EQ(out, savgol_derivative(x, 1, 100.0, {11, 3}));
  // The centre row of a first-derivative plan is antisymmetric and sums to 0.
  double sum = 0;
  for (int j = 0; j < 11; ++j) {
    sum += plan.weights[5 * 11 + j];
    EXPECT_NEAR(plan.weights[5 * 11 + j], -plan.weights[5 * 11 + 10 - j], 1e-15);
  }
  EXPECT_NEAR(sum, 0, 1e-15);
  std::vector<double> short_out(5);
  EXPECT_THROW(savgol_apply(plan, std::vector<double>(5, 1.0), 1.0, short_out), InputError);
  EXPECT_THROW(savgol_apply(plan, x, 1.0, short_out), InputError);
  EXPECT_THROW(savgol_apply(SavgolPlan{}, x, 1.0, out), InputError);
}

TEST(Savgol, NonPositiveRateMeansPerSample) {
  const auto x = scipy_input();
  const auto per_sample = savgol_derivative(x, 2, 1.0);
  EXPECT_EQ(savgol_derivative(x, 2, 0.0), per_sample);
  EXPECT_EQ(savgol_derivative(x, 2, -5.0), per_sample);
}

TEST(Savgol, BadOptionsThrowInputError) {
  const std::vector<double> x(50, 1.0);
  EXPECT_THROW(savgol_derivative(x, 1, 100, {10, 3}), InputError);   // even window
  EXPECT_THROW(savgol_derivative(x, 1, 100, {3, 3}), InputError);    // window <= order
  EXPECT_THROW(savgol_derivative(x, 1, 100, {-1, 0}), InputError);   // negative window
  EXPECT_THROW(savgol_derivative(x, 4, 100, {11, 3}), InputError);   // deriv > order
  EXPECT_THROW(savgol_derivative(x, -1, 100, {11, 3}), InputError);  // negative deriv
  EXPECT_THROW(savgol_derivative(x, 0, 100, {11, -1}), InputError);  // negative order
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(savgol_derivative(x, 1, nan, {11, 3}), InputError);
  EXPECT_THROW(savgol_derivative(x, 1, std::numeric_limits<double>::infinity()), InputError);
  EXPECT_THROW(savgol_plan(10, 3, 1), InputError);
  try {
    savgol_derivative(x, 1, 100, {10, 3});
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("window"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("10"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace swingpipe::stats
