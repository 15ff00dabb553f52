// The lag matrix (lag.hpp): validation, the Plan, backend dispatch and the CPU backend.
//
// CPU backend, per recording and per truncation length m (one m when the channels share a length):
// each channel is checked (NaN/inf), scaled by a power of two (exact), mean-removed, zero-padded to
// nfft = fft_size(m + max_lag) and transformed once (r2c); each pair multiplies its two spectra
// (X_i * conj(X_j)), transforms back once (c2r) and takes the first maximum over |k| <= max_lag.
// OpenMP: over recordings when a batch has at least as many recordings as threads, otherwise over
// the channels and then the pairs of each recording.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "common/lag_math.hpp"
#include "cpu/lag_fft.hpp"
#include "cuda/lag_cuda.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/lag.hpp"

namespace swingpipe::lag {

using detail::ChannelInfo;

int64_t fft_size(int64_t n) {
  if (n < 1) throw InputError("lag: FFT size for " + std::to_string(n) + " samples (must be >= 1)");
  // Candidates 2^a, 3 * 2^a, 5 * 2^a >= n; cost ~ size * log2(size) times a factor for the odd
  // radix (FFTW and cuFFT run powers of two fastest: c2r of 4096 takes ~0.8x the time of 4000).
  int64_t best = 0;
  double best_cost = 0;
  for (const auto& [radix, weight] : {std::pair<int64_t, double>{1, 1.0}, {3, 1.15}, {5, 1.25}}) {
    int64_t size = radix;
    while (size < n) size *= 2;
    const double cost =
        static_cast<double>(size) * std::log2(static_cast<double>(size) + 1) * weight;
    if (best == 0 || cost < best_cost) {
      best = size;
      best_cost = cost;
    }
  }
  return best;
}

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_fs(double fs, const std::string& what) {
  if (!(fs >= 0) || !std::isfinite(fs))
    throw InputError("lag: " + what + " has sample rate " + std::to_string(fs) +
                     " (must be a finite number >= 0; 0 = unknown)");
}

template <class T>
void check_batch(const BatchView<T>& batch, std::span<const double> fs) {
  if (batch.channels < 1)
    throw InputError("lag: batch has channel count " + std::to_string(batch.channels) +
                     " (must be >= 1)");
  if (fs.size() != batch.size())
    throw InputError("lag: " + std::to_string(fs.size()) + " sample rates for a batch of " +
                     std::to_string(batch.size()) + " series");
  if (batch.size() == 0) return;
  if (batch.offsets[0] != 0) throw InputError("lag: batch offsets must start at 0");
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (batch.length(i) < 0)
      throw InputError("lag: series " + std::to_string(i) + " has negative length " +
                       std::to_string(batch.length(i)));
    check_fs(fs[i], "series " + std::to_string(i));
  }
  const auto needed =
      static_cast<std::size_t>(batch.offsets.back()) * static_cast<std::size_t>(batch.channels);
  if (batch.values.size() < needed)
    throw InputError("lag: batch holds " + std::to_string(batch.values.size()) +
                     " values, its offsets need " + std::to_string(needed));
}

int thread_count(const Options& opt) {
  return opt.threads > 0 ? opt.threads : omp_get_max_threads();
}

/// One thread's buffers.
template <class T>
struct Workspace {
  cpu::AlignedBuffer<std::complex<T>> product;
  cpu::AlignedBuffer<T> real;
};

/// x * 2^-e, exactly (a multiplication by a power of two; ldexp where 2^-e is not a double).
struct PowerOfTwo {
  int e = 0;
  double factor = 1;
  explicit PowerOfTwo(int exponent) : e(exponent), factor(std::ldexp(1.0, -exponent)) {}
  double operator()(double x) const {
    return (e > -1000 && e < 1000) ? x * factor : std::ldexp(x, -e);
  }
};

/// Checks, scales, mean-removes and zero-pads x[0, m) into out[0, nfft). `out` is written only
/// when the channel varies (it is transformed only then).
template <class T>
ChannelInfo prepare(const T* x, int64_t m, int64_t nfft, T* out) {
  ChannelInfo info;
  info.length = m;
  double amax = 0;
  bool finite = true;
  for (int64_t t = 0; t < m; ++t) {
    const double v = static_cast<double>(x[t]);
    finite &= std::isfinite(v);
    amax = std::max(amax, std::fabs(v));
  }
  if (!finite) {
    info.finite = false;
    return info;
  }
  if (m == 0) return info;
  const int e = detail::scale_exponent(amax);
  const PowerOfTwo scale(e);
  double sum = 0;
  for (int64_t t = 0; t < m; ++t) sum += scale(static_cast<double>(x[t]));
  const double mean = sum / static_cast<double>(m);
  double energy = 0;
  for (int64_t t = 0; t < m; ++t) {
    const double d = scale(static_cast<double>(x[t])) - mean;
    energy += d * d;
  }
  info.energy = energy;
  info.std = std::ldexp(std::sqrt(energy / static_cast<double>(m)), e);
  if (!info.varies(kMinStd) || out == nullptr) return info;
  for (int64_t t = 0; t < m; ++t) out[t] = static_cast<T>(scale(static_cast<double>(x[t])) - mean);
  std::fill(out + m, out + nfft, T(0));
  return info;
}

// The per-pair loops run on every pair: built for AVX-512, AVX2 and the baseline, chosen at load
// time (GCC/Clang function multiversioning).
#if defined(__x86_64__)
#define SP_LAG_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SP_LAG_CLONES
#endif

/// The largest of p[0, n) (n >= 1): two 64-byte vectors of running maxima (GCC/Clang vector
/// extensions; `a > x ? a : x` is exactly what vmaxpd/vmaxps compute).
template <class T>
inline T max_run_impl(const T* p, int64_t n) {
  constexpr int kWidth = 64 / static_cast<int>(sizeof(T));
  typedef T Vec __attribute__((vector_size(64)));
  T top = p[0];
  int64_t i = 0;
  if (n >= 2 * kWidth) {
    Vec a, b;
    std::memcpy(&a, p, sizeof a);
    std::memcpy(&b, p + kWidth, sizeof b);
    for (i = 2 * kWidth; i + 2 * kWidth <= n; i += 2 * kWidth) {
      Vec x, y;
      std::memcpy(&x, p + i, sizeof x);
      std::memcpy(&y, p + i + kWidth, sizeof y);
      a = a > x ? a : x;
      b = b > y ? b : y;
    }
    a = a > b ? a : b;
    for (int k = 0; k < kWidth; ++k) top = top > a[k] ? top : a[k];
  }
  for (; i < n; ++i) top = top > p[i] ? top : p[i];
  return top;
}
SP_LAG_CLONES float max_run(const float* p, int64_t n) {
  return max_run_impl(p, n);
}
SP_LAG_CLONES double max_run(const double* p, int64_t n) {
  return max_run_impl(p, n);
}

/// out[f] = a[f] * conj(b[f]) for f < bins (interleaved re, im).
template <class T>
inline void cross_spectrum_impl(const T* a, const T* b, T* out, int64_t bins) {
  for (int64_t f = 0; f < bins; ++f) {
    const T ar = a[2 * f], ai = a[2 * f + 1], br = b[2 * f], bi = b[2 * f + 1];
    out[2 * f] = ar * br + ai * bi;
    out[2 * f + 1] = ai * br - ar * bi;
  }
}
SP_LAG_CLONES void cross_spectrum(const float* a, const float* b, float* out, int64_t bins) {
  cross_spectrum_impl(a, b, out, bins);
}
SP_LAG_CLONES void cross_spectrum(const double* a, const double* b, double* out, int64_t bins) {
  cross_spectrum_impl(a, b, out, bins);
}

/// The index of the first p[i] >= floor in p[0, n), or -1: block maxima first, then one block.
template <class T>
int64_t first_at_least(const T* p, int64_t n, double floor) {
  constexpr int64_t kBlock = 128;
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t len = std::min(kBlock, n - b);
    if (static_cast<double>(max_run(p + b, len)) < floor) continue;
    for (int64_t i = b; i < b + len; ++i)
      if (static_cast<double>(p[i]) >= floor) return i;
  }
  return -1;
}

/// The smallest k in -M..M whose c[k] (circular, nfft values) is within `tol` of the maximum, and
/// that value.
template <class T>
void window_argmax(const T* c, int64_t nfft, int64_t M, double tol, int64_t& best_k,
                   double& best_v) {
  const T* neg = c + (nfft - M);  // k = -M .. -1
  T top = max_run(c, M + 1);      // k = 0 .. M
  if (M > 0) top = std::max(top, max_run(neg, M));
  const double floor = static_cast<double>(top) - tol;
  int64_t at = M > 0 ? first_at_least(neg, M, floor) : -1;
  if (at >= 0) {
    best_k = at - M;
    best_v = static_cast<double>(neg[at]);
    return;
  }
  at = std::max<int64_t>(first_at_least(c, M + 1, floor), 0);  // top itself is >= floor
  best_k = at;
  best_v = static_cast<double>(c[at]);
}

/// c = IFFT(a * conj(b)); the peak lag and value (divided by nfft). `scale` = sqrt(E_a * E_b).
template <class T>
void correlate(const cpu::RealFft<T>& fft, const std::complex<T>* a, const std::complex<T>* b,
               int64_t M, double scale, Workspace<T>& ws, int64_t& k, double& peak) {
  const int64_t nfft = fft.size();
  ws.product.resize(static_cast<std::size_t>(cpu::spectrum_stride(nfft)));
  ws.real.resize(static_cast<std::size_t>(cpu::real_stride(nfft)));
  cross_spectrum(reinterpret_cast<const T*>(a), reinterpret_cast<const T*>(b),
                 reinterpret_cast<T*>(ws.product.data()), fft.bins());
  fft.inverse(ws.product.data(), ws.real.data());
  const double n = static_cast<double>(nfft);
  window_argmax(ws.real.data(), nfft, M, detail::tie_tolerance<T>() * scale * n, k, peak);
  peak /= n;
}

/// Channels of one recording (pointers and lengths) and where its matrix goes.
template <class T>
struct Job {
  std::vector<const T*> data;
  std::vector<int64_t> length;
  double fs = 0;
  Matrix* out = nullptr;
};

/// Full-length info of every channel (diagonal, nan_channels).
template <class T>
void store_diagonals(const Job<T>& job) {
  for (std::size_t c = 0; c < job.data.size(); ++c)
    detail::store_diagonal(*job.out, static_cast<int>(c),
                           prepare<T>(job.data[c], job.length[c], 0, nullptr));
}

/// The pairs of `job` whose shorter member has length m, with `threads` threads (1 = this one,
/// using ws).
template <class T>
void run_length(const Job<T>& job, int64_t m, const Options& opt, cpu::FftCache<T>& cache,
                int threads, Workspace<T>& ws) {
  const int n = static_cast<int>(job.data.size());
  std::vector<int> members;  // channels long enough to take part
  for (int c = 0; c < n; ++c)
    if (job.length[c] >= m) members.push_back(c);
  // Pairs in tiles of kTile x kTile channels, so that the spectra a tile combines stay in cache.
  constexpr std::size_t kTile = 8;
  std::vector<std::pair<int, int>> pairs;
  for (std::size_t ta = 0; ta < members.size(); ta += kTile)
    for (std::size_t tb = ta; tb < members.size(); tb += kTile)
      for (std::size_t a = ta; a < std::min(ta + kTile, members.size()); ++a)
        for (std::size_t b = std::max(tb, a + 1); b < std::min(tb + kTile, members.size()); ++b)
          if (std::min(job.length[members[a]], job.length[members[b]]) == m)
            pairs.emplace_back(members[a], members[b]);
  if (pairs.empty()) return;

  const int64_t M = detail::effective_max_lag(m, opt.max_lag);
  const int64_t nfft = m > 0 ? fft_size(m + M) : 1;
  const auto fft = cache.get(nfft);
  const int64_t stride = cpu::spectrum_stride(nfft);
  cpu::AlignedBuffer<std::complex<T>> spectra(members.size() * static_cast<std::size_t>(stride));
  std::vector<ChannelInfo> info(static_cast<std::size_t>(n));
  std::vector<int> row(static_cast<std::size_t>(n), -1);
  for (std::size_t a = 0; a < members.size(); ++a) row[members[a]] = static_cast<int>(a);
  const auto members_count = static_cast<int64_t>(members.size());
  const auto pair_count = static_cast<int64_t>(pairs.size());

#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    Workspace<T> local;
    Workspace<T>& w = omp_get_thread_num() == 0 ? ws : local;
#pragma omp for schedule(dynamic, 1)
    for (int64_t a = 0; a < members_count; ++a) {
      const int c = members[a];
      w.real.resize(static_cast<std::size_t>(cpu::real_stride(nfft)));
      info[c] = prepare<T>(job.data[c], m, nfft, w.real.data());
      if (info[c].varies(kMinStd)) fft->forward(w.real.data(), spectra.data() + a * stride);
    }
#pragma omp for schedule(dynamic, 4)
    for (int64_t p = 0; p < pair_count; ++p) {
      const auto [i, j] = pairs[p];
      int64_t k = 0;
      double peak = 0;
      if (info[i].varies(kMinStd) && info[j].varies(kMinStd))
        correlate(*fft, spectra.data() + row[i] * stride, spectra.data() + row[j] * stride, M,
                  std::sqrt(info[i].energy * info[j].energy), w, k, peak);
      detail::store_pair(*job.out, i, j, detail::pair_entry(info[i], info[j], k, peak, kMinStd),
                         job.fs);
    }
  }
}

template <class T>
void run_job(const Job<T>& job, const Options& opt, cpu::FftCache<T>& cache, int threads,
             Workspace<T>& ws) {
  *job.out = detail::empty_matrix(static_cast<int>(job.data.size()));
  store_diagonals(job);
  std::vector<int64_t> lengths = job.length;
  std::sort(lengths.begin(), lengths.end());
  lengths.erase(std::unique(lengths.begin(), lengths.end()), lengths.end());
  for (const int64_t m : lengths) run_length(job, m, opt, cache, threads, ws);
}

template <class T>
Job<T> job_of(SeriesRef<T> s, double fs, Matrix* out) {
  Job<T> job;
  job.fs = fs;
  job.out = out;
  for (int c = 0; c < s.channels; ++c) {
    job.data.push_back(s.data + static_cast<int64_t>(c) * s.length);
    job.length.push_back(s.length);
  }
  return job;
}

}  // namespace

// ---- Plan ---------------------------------------------------------------------------------------

struct Plan::Impl {
  Options opt;
  cpu::FftCache<float> f32{8};
  cpu::FftCache<double> f64{8};
  cuda::StatePtr gpu;
  int64_t recordings = 0;
  int64_t gpu_made = 0, gpu_hits = 0;

  template <class T>
  cpu::FftCache<T>& cache() {
    if constexpr (std::is_same_v<T, float>)
      return f32;
    else
      return f64;
  }

  template <class T>
  void run_cpu(std::vector<Job<T>>& jobs) {
    const int threads = thread_count(opt);
    auto& c = cache<T>();
    if (jobs.size() >= static_cast<std::size_t>(threads) && threads > 1) {
      const auto count = static_cast<int64_t>(jobs.size());
#pragma omp parallel num_threads(threads)
      {
        Workspace<T> ws;
#pragma omp for schedule(dynamic, 1)
        for (int64_t r = 0; r < count; ++r) run_job(jobs[r], opt, c, 1, ws);
      }
    } else {
      Workspace<T> ws;
      for (auto& job : jobs) run_job(job, opt, c, threads, ws);
    }
    recordings += static_cast<int64_t>(jobs.size());
  }
};

Plan::Plan(const Options& opt) : impl_(std::make_unique<Impl>()) {
  impl_->opt = opt;
}
Plan::~Plan() = default;
Plan::Plan(Plan&&) noexcept = default;
Plan& Plan::operator=(Plan&&) noexcept = default;

const Options& Plan::options() const {
  return impl_->opt;
}

PlanStats Plan::stats() const {
  PlanStats s;
  s.fft_plans_made = impl_->f32.made() + impl_->f64.made() + impl_->gpu_made;
  s.fft_plan_hits = impl_->f32.hits() + impl_->f64.hits() + impl_->gpu_hits;
  s.recordings = impl_->recordings;
  return s;
}

template <class T>
std::vector<Matrix> Plan::matrices(const BatchView<T>& batch, std::span<const double> fs) {
  check_batch(batch, fs);
  std::vector<Matrix> out(batch.size());
  if (resolve_backend(impl_->opt.backend) == Backend::cuda) {
    if (!impl_->gpu) impl_->gpu = cuda::make_state();
    cuda::Counters counters;
    cuda::matrices<T>(*impl_->gpu, batch, fs, impl_->opt, out, counters);
    impl_->gpu_made += counters.plans_made;
    impl_->gpu_hits += counters.plan_hits;
    impl_->recordings += static_cast<int64_t>(batch.size());
    return out;
  }
  std::vector<Job<T>> jobs;
  jobs.reserve(batch.size());
  for (std::size_t r = 0; r < batch.size(); ++r)
    jobs.push_back(job_of(batch.series(r), fs[r], &out[r]));
  impl_->run_cpu(jobs);
  return out;
}

template <class T>
Matrix Plan::matrix(SeriesRef<T> series, double fs) {
  const int64_t offsets[2] = {0, series.length};
  const BatchView<T> batch{
      std::span<const T>(series.data, static_cast<std::size_t>(series.length * series.channels)),
      offsets, series.channels};
  const double rates[1] = {fs};
  return std::move(matrices(batch, rates).front());
}

template <class T>
Matrix Plan::matrix(std::span<const std::span<const T>> channels, double fs) {
  check_fs(fs, "the channels");
  Matrix out;
  std::vector<Job<T>> jobs(1);
  jobs[0].fs = fs;
  jobs[0].out = &out;
  for (const auto& ch : channels) {
    jobs[0].data.push_back(ch.data());
    jobs[0].length.push_back(static_cast<int64_t>(ch.size()));
  }
  impl_->run_cpu(jobs);
  return out;
}

// ---- one-shot helpers and the reference
// ----------------------------------------------------------

template <class T>
std::vector<Matrix> matrices(const BatchView<T>& batch, std::span<const double> fs,
                             const Options& opt) {
  Plan plan(opt);
  return plan.matrices(batch, fs);
}

template <class T>
Matrix matrix(SeriesRef<T> series, double fs, const Options& opt) {
  Plan plan(opt);
  return plan.matrix(series, fs);
}

template <class T>
PairLag pair(std::span<const T> x, std::span<const T> y, double fs, const Options& opt) {
  Plan plan(opt);
  const std::span<const T> channels[2] = {x, y};
  const Matrix m = plan.matrix<T>(std::span<const std::span<const T>>(channels, 2), fs);
  const double lag = m.samples(0, 1);
  return {lag == 0 ? 0.0 : -lag, m.seconds(0, 1), m.corr(0, 1)};
}

PairLag reference_pair(std::span<const double> x, std::span<const double> y, double fs,
                       int64_t max_lag) {
  check_fs(fs, "the pair");
  const auto m = static_cast<int64_t>(std::min(x.size(), y.size()));
  auto info_of = [m](std::span<const double> s, std::vector<double>& centred) {
    ChannelInfo info;
    info.length = m;
    double sum = 0;
    for (int64_t t = 0; t < m; ++t) {
      if (!std::isfinite(s[t])) info.finite = false;
      sum += s[t];
    }
    if (!info.finite || m == 0) return info;
    const double mean = sum / static_cast<double>(m);
    for (int64_t t = 0; t < m; ++t) {
      centred.push_back(s[t] - mean);
      info.energy += centred.back() * centred.back();
    }
    info.std = std::sqrt(info.energy / static_cast<double>(m));
    return info;
  };
  std::vector<double> a, b;
  const ChannelInfo ia = info_of(x, a), ib = info_of(y, b);
  int64_t best_k = 0;
  double best = 0;
  if (ia.varies(kMinStd) && ib.varies(kMinStd)) {
    const int64_t M = detail::effective_max_lag(m, max_lag);
    std::vector<double> c(static_cast<std::size_t>(2 * M + 1), 0.0);
    for (int64_t k = -M; k <= M; ++k)
      for (int64_t t = std::max<int64_t>(0, -k); t < m && t + k < m; ++t)
        c[static_cast<std::size_t>(k + M)] += a[t + k] * b[t];
    const double top = *std::max_element(c.begin(), c.end());
    // Exact ties go to the smallest lag, and so do peaks within rounding of the maximum (the
    // backends' rule, lag_math.hpp: tie_tolerance).
    const double floor = top - detail::tie_tolerance<double>() * std::sqrt(ia.energy * ib.energy);
    best_k = -M;
    while (c[static_cast<std::size_t>(best_k + M)] < floor) ++best_k;
    best = c[static_cast<std::size_t>(best_k + M)];
  }
  const detail::PairEntry e = detail::pair_entry(ia, ib, best_k, best, kMinStd);
  Matrix mat = detail::empty_matrix(2);
  detail::store_pair(mat, 0, 1, e, fs);
  const double lag = mat.samples(0, 1);
  return {std::isnan(lag) ? kNaN : (lag == 0 ? 0.0 : -lag), mat.seconds(0, 1), mat.corr(0, 1)};
}

#define SP_INSTANTIATE(T)                                                                       \
  template std::vector<Matrix> Plan::matrices<T>(const BatchView<T>&, std::span<const double>); \
  template Matrix Plan::matrix<T>(SeriesRef<T>, double);                                        \
  template Matrix Plan::matrix<T>(std::span<const std::span<const T>>, double);                 \
  template std::vector<Matrix> matrices<T>(const BatchView<T>&, std::span<const double>,        \
                                           const Options&);                                     \
  template Matrix matrix<T>(SeriesRef<T>, double, const Options&);                              \
  template PairLag pair<T>(std::span<const T>, std::span<const T>, double, const Options&);
SP_INSTANTIATE(float)
SP_INSTANTIATE(double)
#undef SP_INSTANTIATE

}  // namespace swingpipe::lag
