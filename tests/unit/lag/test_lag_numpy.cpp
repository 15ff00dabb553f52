// The lag matrix against its external oracle (design.md §6): numpy.correlate's argmax, computed
// pair by pair in the test venv's Python from the contract's words (truncate, remove the mean,
// std < 1e-9 -> lag 0, full correlation, lags within +-max_lag, first maximum).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "lag_test_util.hpp"
#include "swingpipe/kernels/lag.hpp"
#include "test_support.hpp"

namespace swingpipe::lag {
namespace {

constexpr const char* kOracle = R"PY(
import json, sys
import numpy as np

def pair(x, y, max_lag):
    m = min(len(x), len(y))
    x = np.asarray(x[:m], dtype=np.float64)
    y = np.asarray(y[:m], dtype=np.float64)
    if m == 0 or not np.all(np.isfinite(x)) or not np.all(np.isfinite(y)):
        return None, None
    x = x - x.mean()
    y = y - y.mean()
    if x.std() < 1e-9 or y.std() < 1e-9:
        return 0, None
    c = np.correlate(x, y, mode="full")
    lags = np.arange(-(m - 1), m)
    if max_lag >= 0:
        keep = np.abs(lags) <= max_lag
        c, lags = c[keep], lags[keep]
    k = int(np.argmax(c))
    return int(lags[k]), float(c[k] / np.sqrt(np.sum(x * x) * np.sum(y * y)))

# numpy's convention, checked on a known case: y lags x by 2 samples -> argmax at lag -2.
x = np.array([0.0, 1, 0, 0, 3, 0, 0, 0])
assert pair(x, np.roll(x, 2), -1)[0] == -2

cases = json.load(open(sys.argv[1]))
out = []
for case in cases:
    ch, max_lag = case["channels"], case["max_lag"]
    n = len(ch)
    lag = [[None] * n for _ in range(n)]
    corr = [[None] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            lag[i][j], corr[i][j] = pair(ch[i], ch[j], max_lag)
    out.append({"lag": lag, "corr": corr})
json.dump(out, open(sys.argv[2], "w"))
)PY";

struct Case {
  std::vector<std::vector<double>> channels;
  int64_t max_lag = -1;
};

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

/// Writes the cases (Python's json reads NaN/Infinity), runs the oracle, returns its answers.
nlohmann::json oracle(const std::filesystem::path& py, const std::vector<Case>& cases) {
  test::TempDir dir;
  {
    std::ofstream(dir / "oracle.py") << kOracle;
    std::ofstream in(dir / "in.json");
    in << "[";
    for (std::size_t c = 0; c < cases.size(); ++c) {
      in << (c ? "," : "") << "{\"max_lag\":" << cases[c].max_lag << ",\"channels\":[";
      for (std::size_t i = 0; i < cases[c].channels.size(); ++i) {
        in << (i ? "," : "") << "[";
        const auto& ch = cases[c].channels[i];
        for (std::size_t t = 0; t < ch.size(); ++t) in << (t ? "," : "") << number(ch[t]);
        in << "]";
      }
      in << "]}";
    }
    in << "]";
  }
  std::string log;
  const int rc = test::run_shell(py.string() + " " + (dir / "oracle.py").string() + " " +
                                     (dir / "in.json").string() + " " + (dir / "out.json").string(),
                                 &log);
  EXPECT_EQ(rc, 0) << log;
  std::ifstream out(dir / "out.json");
  return nlohmann::json::parse(out);
}

/// Every pair of every case, our matrix against numpy's answer.
void compare(const std::vector<Case>& cases, const nlohmann::json& want) {
  ASSERT_EQ(want.size(), cases.size());
  for (std::size_t c = 0; c < cases.size(); ++c) {
    std::vector<std::span<const double>> spans(cases[c].channels.begin(), cases[c].channels.end());
    Plan plan(Options{.max_lag = cases[c].max_lag});
    const Matrix m = plan.matrix<double>(spans, 120.0);
    ASSERT_TRUE(test_util::invariants(m, 120.0));
    const int n = m.channels;
    for (int i = 0; i < n; ++i)
      for (int j = i + 1; j < n; ++j) {
        const auto& lag = want[c]["lag"][i][j];
        const auto& corr = want[c]["corr"][i][j];
        if (lag.is_null()) {
          EXPECT_TRUE(std::isnan(m.samples(i, j))) << "case " << c << " pair " << i << "," << j;
          continue;
        }
        // numpy's lag k is where channel i leads: L[i,j] = -k.
        EXPECT_EQ(m.samples(i, j), -lag.get<double>() + 0.0)
            << "case " << c << " pair " << i << "," << j << " max_lag " << cases[c].max_lag;
        if (corr.is_null())
          EXPECT_TRUE(std::isnan(m.corr(i, j)));
        else
          EXPECT_NEAR(m.corr(i, j), corr.get<double>(), 1e-12);
      }
  }
}

TEST(LagNumpy, RandomlyDelayedNoisySignalsGiveNumpysExactLags) {
  SWINGPIPE_REQUIRE_TEST_PYTHON(py);
  auto rng = test::fresh_rng();
  // Cases 0-3 also check the generator's delays, which noise hides when few samples overlap
  // (50 samples with a 45-sample delay leave 5): at least 400 samples there. numpy decides the
  // expected lags of all 8 cases, short ones included.
  std::uniform_int_distribution<int64_t> len_of(50, 1500), long_len_of(400, 1500), delay_of(0, 45),
      lag_of(-1, 60);
  std::vector<Case> cases;
  std::vector<std::vector<int64_t>> delays;
  for (int k = 0; k < 8; ++k) {
    const int64_t length = k < 4 ? long_len_of(rng) : len_of(rng);
    std::vector<int64_t> delay(7);
    for (auto& d : delay) d = delay_of(rng);
    const auto values = test_util::delayed_channels(rng, length, delay, 0.2);
    Case c;
    c.max_lag = k < 4 ? -1 : lag_of(rng);
    for (std::size_t ch = 0; ch < delay.size(); ++ch)
      c.channels.emplace_back(values.begin() + static_cast<int64_t>(ch) * length,
                              values.begin() + static_cast<int64_t>(ch + 1) * length);
    cases.push_back(std::move(c));
    delays.push_back(delay);
  }
  compare(cases, oracle(py, cases));
  // The generator's delays themselves, where the window allows them.
  for (std::size_t c = 0; c < 4; ++c) {
    std::vector<std::span<const double>> spans(cases[c].channels.begin(), cases[c].channels.end());
    const Matrix m = Plan().matrix<double>(spans, 120.0);
    for (int i = 0; i < 7; ++i)
      for (int j = 0; j < 7; ++j)
        EXPECT_EQ(m.samples(i, j), static_cast<double>(delays[c][j] - delays[c][i]));
  }
}

TEST(LagNumpy, UnequalLengthsConstantNanAndUnstructuredSignals) {
  SWINGPIPE_REQUIRE_TEST_PYTHON(py);
  auto rng = test::fresh_rng();
  std::vector<Case> cases;
  {
    Case c;  // unequal lengths, each pair truncated to its shorter member
    for (const int64_t len : {400, 173, 390, 1, 250, 3})
      c.channels.push_back(test::random_values<double>(rng, static_cast<std::size_t>(len)));
    cases.push_back(c);
    c.max_lag = 5;
    cases.push_back(c);
  }
  {
    Case c;  // constant, NaN, inf and nearly constant channels beside normal ones
    for (int k = 0; k < 6; ++k) c.channels.push_back(test::random_values<double>(rng, 300));
    c.channels[1].assign(300, 4.0);
    c.channels[2][150] = std::nan("");
    c.channels[3][0] = -std::numeric_limits<double>::infinity();
    for (int t = 0; t < 300; ++t) c.channels[4][t] = 1.0 + 1e-11 * (t % 3);
    cases.push_back(c);
  }
  {
    Case c;  // white noise: no structure, one lag per pair still exact
    for (int k = 0; k < 5; ++k) c.channels.push_back(test::random_values<double>(rng, 777));
    cases.push_back(c);
    c.max_lag = 0;
    cases.push_back(c);
  }
  compare(cases, oracle(py, cases));
}

}  // namespace
}  // namespace swingpipe::lag
