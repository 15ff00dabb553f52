#pragma once
// Helpers for the RQA tests: random trajectories, readable comparisons of results.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "swingpipe/kernels/rqa.hpp"
#include "test_support.hpp"

namespace swingpipe::rqa::test_util {

/// n points of `dims` coordinates, uniform in [-1, 1), or small integers (many exact ties) when
/// `ties`.
template <class T>
Points<T> random_points(std::mt19937_64& rng, int64_t n, int dims, bool ties = false) {
  Points<T> p;
  p.count = n;
  p.dims = dims;
  p.values = test::random_values<T>(rng, static_cast<std::size_t>(n * dims));
  if (ties) {
    std::uniform_int_distribution<int> small(-3, 3);
    for (T& v : p.values) v = static_cast<T>(small(rng));
  }
  return p;
}

/// A random walk (smooth enough for long lines) of n points.
template <class T>
Points<T> random_walk(std::mt19937_64& rng, int64_t n, int dims) {
  Points<T> p;
  p.count = n;
  p.dims = dims;
  p.values.resize(static_cast<std::size_t>(n * dims));
  std::normal_distribution<double> g(0, 1);
  for (int d = 0; d < dims; ++d) {
    double v = 0;
    for (int64_t i = 0; i < n; ++i) {
      v += 0.1 * g(rng);
      p.values[static_cast<std::size_t>(d * n + i)] = static_cast<T>(v);
    }
  }
  return p;
}

/// The x, y, z of a Lorenz-63 trajectory (sigma 10, rho 28, beta 8/3; RK4, dt = 0.01, after 1000
/// transient steps).
template <class T>
Points<T> lorenz(int64_t n) {
  double s[3] = {1.0, 1.0, 1.0};
  const double dt = 0.01;
  auto f = [](const double* v, double* out) {
    out[0] = 10.0 * (v[1] - v[0]);
    out[1] = v[0] * (28.0 - v[2]) - v[1];
    out[2] = v[0] * v[1] - 8.0 / 3.0 * v[2];
  };
  auto step = [&] {
    double k1[3], k2[3], k3[3], k4[3], t[3];
    f(s, k1);
    for (int d = 0; d < 3; ++d) t[d] = s[d] + 0.5 * dt * k1[d];
    f(t, k2);
    for (int d = 0; d < 3; ++d) t[d] = s[d] + 0.5 * dt * k2[d];
    f(t, k3);
    for (int d = 0; d < 3; ++d) t[d] = s[d] + dt * k3[d];
    f(t, k4);
    for (int d = 0; d < 3; ++d) s[d] += dt / 6.0 * (k1[d] + 2 * k2[d] + 2 * k3[d] + k4[d]);
  };
  for (int i = 0; i < 1000; ++i) step();
  Points<T> p;
  p.count = n;
  p.dims = 3;
  p.values.resize(static_cast<std::size_t>(3 * n));
  for (int64_t i = 0; i < n; ++i) {
    step();
    for (int d = 0; d < 3; ++d)
      p.values[static_cast<std::size_t>(d * n + i)] = static_cast<T>(s[d]);
  }
  return p;
}

/// This process's VmRSS or VmHWM in MiB (-1 when /proc cannot be read).
inline double proc_mib(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return std::stod(line.substr(key.size())) / 1024.0;
  return -1;
}

/// Resets VmHWM to the current resident set (Linux >= 4.0); false when not allowed.
inline bool reset_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

inline std::string show(const std::vector<int64_t>& h) {
  std::ostringstream o;
  o << "[";
  for (std::size_t l = 0; l < h.size(); ++l)
    if (h[l]) o << " " << l << ":" << h[l];
  o << " ] (size " << h.size() << ")";
  return o.str();
}

inline bool same_number(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || a == b;
}

/// Every measure, histogram and threshold equal exactly.
inline ::testing::AssertionResult same_result(const Result& got, const Result& want) {
  auto fail = [&](const std::string& what) { return ::testing::AssertionFailure() << what; };
  if (got.epsilon != want.epsilon)
    return fail("epsilon " + std::to_string(got.epsilon) + " != " + std::to_string(want.epsilon));
  if (got.epsilon_b != want.epsilon_b) return fail("epsilon_b differs");
  if (got.histograms.diagonal != want.histograms.diagonal)
    return fail("diagonal " + show(got.histograms.diagonal) +
                " != " + show(want.histograms.diagonal));
  if (got.histograms.vertical != want.histograms.vertical)
    return fail("vertical " + show(got.histograms.vertical) +
                " != " + show(want.histograms.vertical));
  if (got.histograms.white_vertical != want.histograms.white_vertical)
    return fail("white " + show(got.histograms.white_vertical) +
                " != " + show(want.histograms.white_vertical));
  const Measures &a = got.measures, &b = want.measures;
  if (a.recurrences != b.recurrences || a.cells != b.cells)
    return fail("recurrences/cells " + std::to_string(a.recurrences) + "/" +
                std::to_string(a.cells) + " != " + std::to_string(b.recurrences) + "/" +
                std::to_string(b.cells));
  const double ga[] = {a.rr, a.det, a.l, a.entr, a.lam, a.tt};
  const double wa[] = {b.rr, b.det, b.l, b.entr, b.lam, b.tt};
  const char* names[] = {"RR", "DET", "L", "ENTR", "LAM", "TT"};
  for (int k = 0; k < 6; ++k)
    if (!same_number(ga[k], wa[k]))
      return fail(std::string(names[k]) + " " + std::to_string(ga[k]) +
                  " != " + std::to_string(wa[k]));
  if (a.lmax != b.lmax || a.vmax != b.vmax) return fail("Lmax/Vmax differ");
  return ::testing::AssertionSuccess();
}

}  // namespace swingpipe::rqa::test_util
