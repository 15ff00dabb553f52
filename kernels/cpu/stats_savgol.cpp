// Savitzky-Golay weights and application (stats.hpp). The least-squares fit over a window is
// built from polynomials orthonormal on the window's sample positions (Stieltjes recurrence with
// full re-orthogonalization, in double, on positions scaled to [-1, 1]), which keeps the small
// system well conditioned; the weights for evaluating the d-th derivative at window position r
// are then sum_j q_j(u_i) * q_j^(d)(u_r).
#include <cmath>
#include <string>

#include "common/savgol.hpp"
#include "common/savgol_plan.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/stats.hpp"

namespace swingpipe::stats {
namespace {

/// Orthonormal polynomials q_0..q_order on the window positions: values (order+1) x window and
/// monomial coefficients (order+1) x (order+1).
struct OrthoBasis {
  std::vector<double> values;
  std::vector<double> coeffs;
};

double dot(const double* a, const double* b, int n) {
  double s = 0;
  for (int i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

OrthoBasis ortho_basis(const std::vector<double>& u, int order) {
  const int w = static_cast<int>(u.size());
  const int p = order + 1;
  OrthoBasis b{std::vector<double>(static_cast<std::size_t>(p) * w, 0.0),
               std::vector<double>(static_cast<std::size_t>(p) * p, 0.0)};
  for (int j = 0; j < p; ++j) {
    double* v = &b.values[static_cast<std::size_t>(j) * w];
    double* c = &b.coeffs[static_cast<std::size_t>(j) * p];
    if (j == 0) {
      for (int i = 0; i < w; ++i) v[i] = 1;
      c[0] = 1;
    } else {  // u * q_{j-1}
      const double* prev_v = v - w;
      const double* prev_c = c - p;
      for (int i = 0; i < w; ++i) v[i] = u[i] * prev_v[i];
      for (int k = 1; k < p; ++k) c[k] = prev_c[k - 1];
    }
    for (int pass = 0; pass < 2; ++pass) {
      for (int l = 0; l < j; ++l) {
        const double* ql = &b.values[static_cast<std::size_t>(l) * w];
        const double* cl = &b.coeffs[static_cast<std::size_t>(l) * p];
        const double proj = dot(ql, v, w);
        for (int i = 0; i < w; ++i) v[i] -= proj * ql[i];
        for (int k = 0; k < p; ++k) c[k] -= proj * cl[k];
      }
    }
    const double norm = std::sqrt(dot(v, v, w));
    for (int i = 0; i < w; ++i) v[i] /= norm;
    for (int k = 0; k < p; ++k) c[k] /= norm;
  }
  return b;
}

/// d-th derivative at t of the polynomial with monomial coefficients c[0..p).
double poly_derivative(const double* c, int p, int d, double t) {
  double acc = 0;
  for (int k = p - 1; k >= d; --k) {
    double falling = 1;
    for (int m = 0; m < d; ++m) falling *= k - m;
    acc = acc * t + c[k] * falling;
  }
  return acc;
}

void check_fs(double fs) {
  if (!std::isfinite(fs))
    throw InputError("stats: sample rate must be finite, got " + std::to_string(fs));
}

}  // namespace

namespace detail {

SavgolPlan make_plan(int window, int order, int deriv) {
  SavgolPlan plan{window, order, deriv, {}};
  const double centre = (window - 1) / 2.0;
  const double h = centre >= 1 ? centre : 1.0;
  std::vector<double> u(static_cast<std::size_t>(window));
  for (int i = 0; i < window; ++i) u[i] = (i - centre) / h;
  const OrthoBasis b = ortho_basis(u, order);
  const int p = order + 1;
  const double unscale = std::pow(h, -deriv);
  plan.weights.assign(static_cast<std::size_t>(window) * window, 0.0);
  for (int r = 0; r < window; ++r) {
    for (int j = 0; j < p; ++j) {
      const double dq = poly_derivative(&b.coeffs[static_cast<std::size_t>(j) * p], p, deriv, u[r]);
      const double* qj = &b.values[static_cast<std::size_t>(j) * window];
      double* row = &plan.weights[static_cast<std::size_t>(r) * window];
      for (int i = 0; i < window; ++i) row[i] += qj[i] * dq * unscale;
    }
  }
  return plan;
}

double rate_scale(double fs, int deriv) {
  double s = 1;
  if (fs > 0)
    for (int k = 0; k < deriv; ++k) s *= fs;
  return s;
}

void validate(int window, int order, int deriv) {
  if (order < 0)
    throw InputError("stats: polynomial order must be >= 0, got " + std::to_string(order));
  if (window < 1 || window % 2 == 0)
    throw InputError("stats: Savitzky-Golay window must be odd and positive, got " +
                     std::to_string(window));
  if (window <= order)
    throw InputError("stats: Savitzky-Golay window (" + std::to_string(window) +
                     ") must be larger than the polynomial order (" + std::to_string(order) + ")");
  if (deriv < 0 || deriv > order)
    throw InputError("stats: derivative order must be in 0.." + std::to_string(order) +
                     " (the polynomial order), got " + std::to_string(deriv));
}

std::optional<SavgolPlan> plan_for_length(int64_t n, int window, int order, int deriv) {
  if (n >= window) return make_plan(window, order, deriv);
  const int eff_order = static_cast<int>(std::min<int64_t>(order, n - 1));
  if (n < 1 || deriv > eff_order) return std::nullopt;  // derivative identically 0
  return make_plan(static_cast<int>(n), eff_order, deriv);
}

}  // namespace detail

SavgolPlan savgol_plan(int window, int order, int deriv) {
  detail::validate(window, order, deriv);
  return detail::make_plan(window, order, deriv);
}

void savgol_apply(const SavgolPlan& plan, std::span<const double> x, double fs,
                  std::span<double> out) {
  check_fs(fs);
  const auto n = static_cast<int64_t>(x.size());
  if (plan.window < 1 || plan.weights.size() != static_cast<std::size_t>(plan.window) * plan.window)
    throw InputError("stats: Savitzky-Golay plan has no weights (make it with savgol_plan)");
  if (n < plan.window)
    throw InputError("stats: series of " + std::to_string(n) + " samples is shorter than the " +
                     "Savitzky-Golay window of " + std::to_string(plan.window));
  if (out.size() != x.size())
    throw InputError("stats: output has " + std::to_string(out.size()) + " values for " +
                     std::to_string(n) + " samples");
  const double scale = detail::rate_scale(fs, plan.deriv);
  for (int64_t i = 0; i < n; ++i)
    out[i] = detail::savgol_at(plan.weights.data(), plan.window, x.data(), n, i) * scale;
}

std::vector<double> savgol_derivative(std::span<const double> x, int deriv, double fs,
                                      const Options& opt) {
  detail::validate(opt.window, opt.order, deriv);
  check_fs(fs);
  std::vector<double> out(x.size(), 0.0);
  const auto plan =
      detail::plan_for_length(static_cast<int64_t>(x.size()), opt.window, opt.order, deriv);
  if (plan) savgol_apply(*plan, x, fs, out);
  return out;
}

}  // namespace swingpipe::stats
