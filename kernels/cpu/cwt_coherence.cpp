// Wavelet coherence (cwt.hpp) on the CPU, in float64 whatever the transforms' precision.
//
// Per scale s (in parallel over scales): the rows W_xy / s, |W_x|^2 / s, |W_y|^2 / s are smoothed
// in time by an FFT convolution with the Gaussian of sigma = time_width * s samples, truncated at
// +-min(9.11 sigma, n - 1) lags (beyond, the Gaussian is < 1e-18 of its peak, or the lag never
// meets the signal) and normalized to unit sum; one FFT length (n + the widest truncation) and
// one FFTW plan pair serve every scale. Then a unit-sum boxcar across the scales within
// scale_width / 2 octaves of each scale.
#include <fftw3.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <initializer_list>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cpu/cwt_internal.hpp"
#include "swingpipe/error.hpp"

namespace swingpipe::cwt {

namespace {

constexpr double kKappa = 9.11;

struct FftwBuffer {
  fftw_complex* p = nullptr;
  explicit FftwBuffer(int64_t n) : p(fftw_alloc_complex(static_cast<std::size_t>(n))) {
    if (!p) throw std::bad_alloc();
  }
  ~FftwBuffer() { fftw_free(p); }
  FftwBuffer(const FftwBuffer&) = delete;
  FftwBuffer& operator=(const FftwBuffer&) = delete;
  std::complex<double>* c() const { return reinterpret_cast<std::complex<double>*>(p); }
};

struct PlanPair {
  fftw_plan forward = nullptr, backward = nullptr;
  explicit PlanPair(int64_t N) {
    FftwBuffer scratch(N);
    std::lock_guard<std::mutex> lock(detail::fftw_planner_mutex());
    forward =
        fftw_plan_dft_1d(static_cast<int>(N), scratch.p, scratch.p, FFTW_FORWARD, FFTW_ESTIMATE);
    backward =
        fftw_plan_dft_1d(static_cast<int>(N), scratch.p, scratch.p, FFTW_BACKWARD, FFTW_ESTIMATE);
    if (!forward || !backward)
      throw BackendError("cwt: FFTW could not plan transforms of " + std::to_string(N) + " points");
  }
  ~PlanPair() {
    std::lock_guard<std::mutex> lock(detail::fftw_planner_mutex());
    if (forward) fftw_destroy_plan(forward);
    if (backward) fftw_destroy_plan(backward);
  }
  PlanPair(const PlanPair&) = delete;
  PlanPair& operator=(const PlanPair&) = delete;
};

/// Smooths rows (complex; the powers with zero imaginary parts, each its own row so that a zero
/// row stays exactly zero) of length n in place with the unit-sum Gaussian of sigma samples,
/// truncated at L.
void smooth_rows(const PlanPair& plans, int64_t N, int64_t n, double sigma, int64_t L,
                 std::initializer_list<std::complex<double>*> rows, const FftwBuffer& kbuf,
                 const FftwBuffer& work) {
  std::complex<double>* K = kbuf.c();
  std::fill(K, K + N, 0.0);
  double total = 0;
  for (int64_t m = -L; m <= L; ++m) total += std::exp(-0.5 * (m / sigma) * (m / sigma));
  for (int64_t m = -L; m <= L; ++m)
    K[(m + N) % N] += std::exp(-0.5 * (m / sigma) * (m / sigma)) / (total * static_cast<double>(N));
  fftw_execute_dft(plans.forward, kbuf.p, kbuf.p);
  for (std::complex<double>* row : rows) {
    std::complex<double>* w = work.c();
    std::copy(row, row + n, w);
    std::fill(w + n, w + N, 0.0);
    fftw_execute_dft(plans.forward, work.p, work.p);
    for (int64_t k = 0; k < N; ++k) w[k] *= K[k];
    fftw_execute_dft(plans.backward, work.p, work.p);
    std::copy(w, w + n, row);
  }
}

}  // namespace

template <class T>
void coherence(const Plan& plan, std::span<const std::complex<T>> wx,
               std::span<const std::complex<T>> wy, std::span<T> r2, std::span<T> phase,
               const CoherenceOptions& opt, const RunOptions& run) {
  const int F = plan.count();
  const auto n = static_cast<int64_t>(wx.size() / static_cast<std::size_t>(F));
  const auto size = static_cast<std::size_t>(F) * static_cast<std::size_t>(n);
  if (!(std::isfinite(opt.time_width) && opt.time_width > 0))
    throw InputError("cwt: coherence: time width " + std::to_string(opt.time_width) +
                     " must be > 0");
  if (!(std::isfinite(opt.scale_width) && opt.scale_width >= 0))
    throw InputError("cwt: coherence: scale width " + std::to_string(opt.scale_width) +
                     " octaves must be >= 0");
  if (wx.size() != size || wy.size() != size || n > plan.length())
    throw InputError("cwt: coherence: transforms hold " + std::to_string(wx.size()) + " and " +
                     std::to_string(wy.size()) + " values; both must be frequencies (" +
                     std::to_string(F) + ") x a length of at most " +
                     std::to_string(plan.length()));
  if ((!r2.empty() && r2.size() != size) || (!phase.empty() && phase.size() != size))
    throw InputError("cwt: coherence: outputs must hold frequencies x length = " +
                     std::to_string(size) + " values (or be empty)");
  if (n == 0) return;
  const std::vector<double>& scales = plan.scales();
  const double smax = *std::max_element(scales.begin(), scales.end());
  const int64_t Lmax =
      std::min<int64_t>(static_cast<int64_t>(std::ceil(kKappa * opt.time_width * smax)), n - 1);
  const int64_t N = detail::good_fft_size(n + Lmax);
  const PlanPair plans(N);

  // Smoothed in time: the cross row and the two power rows.
  std::vector<std::complex<double>> cross(size), px(size), py(size);
  const int threads = run.threads > 0 ? run.threads : omp_get_max_threads();
  std::vector<std::unique_ptr<FftwBuffer>> kbufs, works;
  for (int t = 0; t < threads; ++t) {
    kbufs.push_back(std::make_unique<FftwBuffer>(N));
    works.push_back(std::make_unique<FftwBuffer>(N));
  }
#pragma omp parallel for schedule(dynamic) num_threads(threads)
  for (int i = 0; i < F; ++i) {
    const double s = scales[static_cast<std::size_t>(i)];
    const auto row = static_cast<std::size_t>(i) * static_cast<std::size_t>(n);
    for (int64_t t = 0; t < n; ++t) {
      const std::complex<double> x(wx[row + t]), y(wy[row + t]);
      cross[row + t] = x * std::conj(y) / s;
      px[row + t] = std::norm(x) / s;
      py[row + t] = std::norm(y) / s;
    }
    const double sigma = opt.time_width * s;
    const int64_t L = std::min<int64_t>(static_cast<int64_t>(std::ceil(kKappa * sigma)), n - 1);
    const int me = omp_get_thread_num();
    smooth_rows(plans, N, n, sigma, L, {cross.data() + row, px.data() + row, py.data() + row},
                *kbufs[me], *works[me]);
  }

  // Boxcar across scales, then R^2 and phase.
  const double half = 0.5 * opt.scale_width + 1e-9;
#pragma omp parallel for schedule(dynamic) num_threads(threads)
  for (int i = 0; i < F; ++i) {
    std::vector<int> members;
    for (int j = 0; j < F; ++j)
      if (std::fabs(std::log2(scales[static_cast<std::size_t>(j)] /
                              scales[static_cast<std::size_t>(i)])) <= half)
        members.push_back(j);
    const double w = 1.0 / static_cast<double>(members.size());
    std::vector<std::complex<double>> c(static_cast<std::size_t>(n));
    std::vector<double> sx(static_cast<std::size_t>(n)), sy(static_cast<std::size_t>(n));
    for (int j : members) {
      const auto row = static_cast<std::size_t>(j) * static_cast<std::size_t>(n);
      for (int64_t t = 0; t < n; ++t) {
        c[t] += cross[row + t];
        sx[t] += px[row + t].real();
        sy[t] += py[row + t].real();
      }
    }
    const auto row = static_cast<std::size_t>(i) * static_cast<std::size_t>(n);
    for (int64_t t = 0; t < n; ++t) {
      const std::complex<double> ct = c[t] * w;
      if (!r2.empty()) {
        // Exact values satisfy 0 <= R^2 <= 1 (Cauchy-Schwarz); clamp the rounding of the ratio.
        const double denom = sx[t] * w * sy[t] * w;
        r2[row + t] = static_cast<T>(denom > 0 ? std::min(1.0, std::norm(ct) / denom)
                                               : std::numeric_limits<double>::quiet_NaN());
      }
      if (!phase.empty()) phase[row + t] = static_cast<T>(std::arg(ct));
    }
  }
}

#define SP_INSTANTIATE(T)                                                                  \
  template void coherence<T>(const Plan&, std::span<const std::complex<T>>,                \
                             std::span<const std::complex<T>>, std::span<T>, std::span<T>, \
                             const CoherenceOptions&, const RunOptions&);
SP_INSTANTIATE(float)
SP_INSTANTIATE(double)
#undef SP_INSTANTIATE

}  // namespace swingpipe::cwt
