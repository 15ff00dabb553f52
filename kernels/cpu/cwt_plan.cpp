// CWT plans (cwt.hpp): validation, block geometry, the wavelet bank, and the plan cache.
#include <fftw3.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <mutex>
#include <string>

#include "cpu/cwt_internal.hpp"
#include "cuda/cwt_cuda.hpp"
#include "swingpipe/error.hpp"

namespace swingpipe::cwt {

namespace {

using detail::Band;
using detail::kPi;

/// kappa: the wavelet (in time) and its spectrum (in s w - w0) are kept out to kappa, beyond
/// which the Gaussian is below 1e-18 (float64) or 1e-9 (float32) of its peak.
double kappa_of(Precision p) {
  return p == Precision::float64 ? 9.11 : 6.44;
}

/// Longest signal a plan accepts (bins and offsets stay far from int64 overflow).
constexpr int64_t kMaxLength = int64_t{1} << 40;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void validate(const Spec& s) {
  if (s.length < 0 || s.length > kMaxLength)
    throw InputError("cwt: length " + std::to_string(s.length) + " must be in 0.." +
                     std::to_string(kMaxLength));
  if (s.frequencies.empty()) throw InputError("cwt: no frequencies given");
  if (!(std::isfinite(s.sample_rate) && s.sample_rate > 0))
    throw InputError("cwt: sample rate " + num(s.sample_rate) + " Hz must be > 0 and finite");
  if (!(std::isfinite(s.omega0) && s.omega0 > 0))
    throw InputError("cwt: omega0 " + num(s.omega0) + " must be > 0 and finite");
  for (std::size_t i = 0; i < s.frequencies.size(); ++i) {
    const double f = s.frequencies[i];
    if (!(std::isfinite(f) && f > 0))
      throw InputError("cwt: frequency " + std::to_string(i) + " is " + num(f) +
                       " Hz (must be > 0 and finite)");
    const double scale = detail::scale_of(f, s.omega0, s.sample_rate);
    if (!(scale * kappa_of(s.precision) < 1e12))
      throw InputError("cwt: frequency " + num(f) + " Hz gives scale " + num(scale) +
                       " samples, too wide to transform (choose a higher frequency)");
  }
  if (s.block_size < 0)
    throw InputError("cwt: block size " + std::to_string(s.block_size) + " must be >= 0");
  if (s.max_fft_sizes < 0)
    throw InputError("cwt: max FFT sizes " + std::to_string(s.max_fft_sizes) + " must be >= 0");
}

/// H[k] of a wavelet truncated to |m| <= L (lags beyond L never meet the signal), for every bin
/// of an N-point grid, k in (-N/2, N/2]: direct sum for few taps, FFT otherwise (double).
std::vector<double> truncated_spectrum(double s, double omega0, int64_t L, int64_t N) {
  std::vector<double> h(static_cast<std::size_t>(N));
  const int64_t lo = -((N - 1) / 2);
  if ((L + 1) * N <= (int64_t{1} << 22)) {
    std::vector<double> a(static_cast<std::size_t>(L + 1));
    for (int64_t m = 0; m <= L; ++m) a[m] = detail::morlet_envelope(s, static_cast<double>(m));
    for (int64_t i = 0; i < N; ++i) {
      const double w = 2.0 * kPi * static_cast<double>(lo + i) / static_cast<double>(N);
      const double d = w - omega0 / s;
      double sum = a[0];
      for (int64_t m = 1; m <= L; ++m) sum += 2.0 * a[m] * std::cos(d * static_cast<double>(m));
      h[i] = sum;
    }
    return h;
  }
  // c[m mod N] = a_m e^{-i w0 m / s}; H[k] = sum_m c[m] e^{+2 pi i k m / N} (FFTW backward).
  fftw_complex* c = fftw_alloc_complex(static_cast<std::size_t>(N));
  if (!c) throw std::bad_alloc();
  std::fill(reinterpret_cast<double*>(c), reinterpret_cast<double*>(c) + 2 * N, 0.0);
  for (int64_t m = -L; m <= L; ++m) {
    const double a = detail::morlet_envelope(s, static_cast<double>(m));
    const double ph = -omega0 * static_cast<double>(m) / s;
    const int64_t at = ((m % N) + N) % N;
    c[at][0] += a * std::cos(ph);
    c[at][1] += a * std::sin(ph);
  }
  fftw_plan p;
  {
    std::lock_guard<std::mutex> lock(detail::fftw_planner_mutex());
    p = fftw_plan_dft_1d(static_cast<int>(N), c, c, FFTW_BACKWARD, FFTW_ESTIMATE);
  }
  if (!p) {
    fftw_free(c);
    throw BackendError("cwt: FFTW could not plan a transform of " + std::to_string(N) + " points");
  }
  fftw_execute(p);
  for (int64_t i = 0; i < N; ++i) {
    const int64_t k = lo + i;
    h[i] = c[(k + N) % N][0];
  }
  {
    std::lock_guard<std::mutex> lock(detail::fftw_planner_mutex());
    fftw_destroy_plan(p);
  }
  fftw_free(c);
  return h;
}

/// The bins and values of H / N for one scale.
std::pair<Band, std::vector<double>> wavelet_band(double s, const Spec& spec, int64_t L,
                                                  int64_t N) {
  const double kappa = kappa_of(spec.precision);
  const double dN = static_cast<double>(N);
  Band band;
  std::vector<double> values;
  const bool truncated = L < detail::support_of(s, spec.precision);
  if (truncated) {
    band.lo = -((N - 1) / 2);
    band.count = N;
    values = truncated_spectrum(s, spec.omega0, L, N);
  } else {
    // Closed form where s w - w0 is within kappa; the whole grid when that band wraps.
    int64_t lo = static_cast<int64_t>(std::ceil(dN * (spec.omega0 - kappa) / (2.0 * kPi * s)));
    int64_t hi = static_cast<int64_t>(std::floor(dN * (spec.omega0 + kappa) / (2.0 * kPi * s)));
    if (hi - lo + 1 >= N || lo < -((N - 1) / 2) || hi > N / 2) {
      lo = -((N - 1) / 2);
      hi = lo + N - 1;
    }
    band.lo = lo;
    band.count = std::max<int64_t>(0, hi - lo + 1);
    const int alias = static_cast<int>(std::ceil((kappa + spec.omega0) / (2.0 * kPi * s))) + 1;
    values.resize(static_cast<std::size_t>(band.count));
    for (int64_t i = 0; i < band.count; ++i) {
      const double w = 2.0 * kPi * static_cast<double>(lo + i) / dN;
      values[i] = detail::morlet_spectrum(s, w, spec.omega0, alias);
    }
  }
  for (double& v : values) v /= dN;
  return {band, std::move(values)};
}

}  // namespace

// ---- small public helpers -----------------------------------------------------------------

Output parse_output(std::string_view text) {
  if (text == "complex") return Output::complex;
  if (text == "power") return Output::power;
  if (text == "magnitude") return Output::magnitude;
  throw InputError("cwt: unknown output '" + std::string(text) +
                   "' (expected complex, power or magnitude)");
}

std::string_view to_string(Output output) {
  switch (output) {
    case Output::complex:
      return "complex";
    case Output::power:
      return "power";
    case Output::magnitude:
      return "magnitude";
  }
  return "?";
}

Precision parse_precision(std::string_view text) {
  if (text == "float32") return Precision::float32;
  if (text == "float64") return Precision::float64;
  throw InputError("cwt: unknown precision '" + std::string(text) +
                   "' (expected float32 or float64)");
}

std::string_view to_string(Precision precision) {
  return precision == Precision::float32 ? "float32" : "float64";
}

std::vector<double> geometric_frequencies(double fmin, double fmax, int count) {
  if (!(std::isfinite(fmin) && fmin > 0))
    throw InputError("cwt: fmin " + num(fmin) + " Hz must be > 0 and finite");
  if (!(std::isfinite(fmax) && fmax >= fmin))
    throw InputError("cwt: fmax " + num(fmax) + " Hz must be finite and >= fmin " + num(fmin));
  if (count < 1)
    throw InputError("cwt: frequency count " + std::to_string(count) + " must be >= 1");
  std::vector<double> f(static_cast<std::size_t>(count));
  const double ratio = std::log(fmax / fmin);
  for (int i = 0; i < count; ++i)
    f[i] = count == 1 ? fmin : fmin * std::exp(ratio * i / (count - 1));
  if (count > 1) f.back() = fmax;
  return f;
}

double scale_of(double frequency, double omega0, double sample_rate) {
  return detail::scale_of(frequency, omega0, sample_rate);
}

int64_t plan_length(int64_t n) {
  if (n <= 8) return std::max<int64_t>(n, 0);
  int64_t unit = 1;
  while (n > 15 * unit) unit *= 2;
  return (n + unit - 1) / unit * unit;
}

// ---- geometry -----------------------------------------------------------------------------

namespace detail {

std::mutex& fftw_planner_mutex() {
  static std::mutex m;
  return m;
}

int64_t good_fft_size(int64_t m) {
  if (m <= 1) return 1;
  int64_t best = std::numeric_limits<int64_t>::max();
  for (int64_t a = 1; a < best && a < (int64_t{1} << 62); a *= 2)
    for (int64_t b = a; b < best; b *= 3)
      for (int64_t c = b; c < best; c *= 5)
        for (int64_t d = c; d < best; d *= 7)
          if (d >= m) {
            best = d;
            break;
          }
  return best;
}

namespace {
/// Largest FFT a plan makes (FFTW and cuFFT take int sizes).
constexpr int64_t kMaxFft = int64_t{1} << 30;

InputError too_wide(const Spec& spec, int64_t support) {
  const double fmin = *std::min_element(spec.frequencies.begin(), spec.frequencies.end());
  return InputError("cwt: the lowest frequency " + num(fmin) + " Hz needs a " +
                    std::to_string(support) +
                    "-sample wavelet support, more than one FFT block can hold (raise fmin)");
}
}  // namespace

int64_t support_of(double scale, Precision precision) {
  return static_cast<int64_t>(std::ceil(kappa_of(precision) * scale));
}

namespace {

/// Smallest 2^k or 3 2^k >= m: the lengths FFTW transforms fastest (its radix-2 SIMD codelets do
/// nearly all the work; factors 5 and 7 measured up to 1.3x slower per point).
int64_t smooth_size(int64_t m) {
  int64_t p = 1;
  while (p < m) p *= 2;
  return (p / 4) * 3 >= m && p >= 4 ? (p / 4) * 3 : p;
}

/// Estimated time of one block's inverse FFTs: N log N, times a penalty once the thread's two
/// buffers (spectrum and result) outgrow the L2 cache (measured: ~1.35x per point at 2^16 with
/// complex64 against 2^15).
double block_cost(int64_t N, Precision p) {
  const double bytes = 2.0 * static_cast<double>(N) * (p == Precision::float32 ? 8 : 16);
  const double penalty = bytes <= 512.0 * 1024 ? 1.0 : bytes <= 1024.0 * 1024 ? 1.15 : 1.35;
  return static_cast<double>(N) * std::log2(static_cast<double>(std::max<int64_t>(N, 2))) * penalty;
}

}  // namespace

Geometry make_geometry(const Spec& spec, const std::vector<double>& scales) {
  Geometry g;
  const int64_t n = spec.length;
  if (n == 0) return g;
  const double smax = *std::max_element(scales.begin(), scales.end());
  const int64_t M = support_of(smax, spec.precision);
  // One block: read from sample 0, wavelets truncated at n - 1 lags (beyond, they never meet
  // the signal), so n + min(M, n - 1) points suffice.
  const int64_t single = smooth_size(n + std::min(M, n - 1));
  auto one_block = [&] {
    if (single > kMaxFft) throw too_wide(spec, M);
    g.fft_size = single;
    g.step = n;
    g.offset = 0;
    g.blocks = 1;
    return g;
  };
  auto blocks_of = [&](int64_t N) {
    if (N > kMaxFft) throw too_wide(spec, M);
    g.fft_size = N;
    g.step = N - 2 * M;
    g.offset = M;
    g.blocks = (n + g.step - 1) / g.step;
    return g;
  };
  if (spec.block_size > 0) {  // a forced block length (tests of the streaming path)
    if (single <= spec.block_size) return one_block();
    if (spec.block_size <= 2 * M)
      throw InputError("cwt: block size " + std::to_string(spec.block_size) +
                       " must exceed twice the " + std::to_string(M) +
                       "-sample wavelet support of the lowest frequency");
    return blocks_of(spec.block_size);
  }
  // The cheapest layout by block_cost: one block, or B blocks of the smallest smooth length
  // that covers n / B outputs plus the overlap on both sides (so the last block is not mostly
  // padding).
  double best = block_cost(single, spec.precision);
  int64_t best_N = 0;
  const int64_t top = std::min(kMaxFft, std::max<int64_t>(int64_t{1} << 18, 8 * M));
  for (int64_t N = smooth_size(2 * M + 1); N <= top; N = smooth_size(N + 1)) {
    const int64_t B = (n + (N - 2 * M) - 1) / (N - 2 * M);
    if (B < 2) break;  // one block is cheaper from here on
    const int64_t fit = smooth_size((n + B - 1) / B + 2 * M);
    const double cost = static_cast<double>(B) * block_cost(fit, spec.precision);
    if (cost < best) {
      best = cost;
      best_N = fit;
    }
  }
  if (single > kMaxFft && best_N == 0) throw too_wide(spec, M);
  return best_N == 0 ? one_block() : blocks_of(best_N);
}

namespace {

/// Relative cost per point of N log N for an FFT length: 2^k and 3 2^k run FFTW's radix-2 SIMD
/// codelets nearly throughout; other 2^a 3^b 5^c lengths measured 1.0..1.25x the time per N log N
/// of 3 2^13 at 17k..23k points (FFTW_MEASURE, complex64, c2c; 1.06x at 17280, 1.01x at 20480),
/// taken as 1.1.
double size_weight(int64_t N) {
  return smooth_size(N) == N ? 1.0 : 1.1;
}

double fft_cost(int64_t N) {
  return static_cast<double>(N) * std::log2(static_cast<double>(std::max<int64_t>(N, 2))) *
         size_weight(N);
}

/// The cheapest length >= m by fft_cost among 2^a 3^b 5^c, b <= 3, c <= 2 (lengths with larger
/// powers of 3 and 5, or factors of 7, are slower per point in FFTW).
int64_t cheapest_size(int64_t m) {
  int64_t best = smooth_size(m);
  double cost = fft_cost(best);
  for (int64_t odd : {3, 5, 9, 15, 25, 27, 45, 75, 135, 225, 675}) {
    int64_t N = odd;
    while (N < m) N *= 2;
    if (N >= best) continue;
    if (fft_cost(N) < cost) {
      best = N;
      cost = fft_cost(N);
    }
  }
  return best;
}

}  // namespace

std::pair<std::vector<int64_t>, std::vector<int>> size_classes(const Spec& spec,
                                                               const std::vector<double>& scales,
                                                               int64_t single, int max_sizes) {
  const int64_t n = spec.length;
  const int F = static_cast<int>(scales.size());
  if (max_sizes <= 0) max_sizes = 4;
  std::vector<int64_t> need(static_cast<std::size_t>(F));
  for (int i = 0; i < F; ++i)
    need[i] = std::min(single, cheapest_size(n + std::min(support_of(scales[i], spec.precision),
                                                          std::max<int64_t>(n - 1, 0))));
  if (max_sizes == 1) return {{single}, std::vector<int>(static_cast<std::size_t>(F), 0)};
  // Candidates: each scale's cheapest length (few distinct values: the supports are monotone in
  // the scale). Every subset that holds the largest is tried (at most max_sizes lengths); each
  // scale goes to the shortest chosen length that fits it. Cost: one inverse per scale, one
  // forward (r2c, about half a complex FFT) per length.
  std::vector<int64_t> cand = need;
  std::sort(cand.begin(), cand.end());
  cand.erase(std::unique(cand.begin(), cand.end()), cand.end());
  // About a dozen lengths per octave at most; keep the 16 longest (a shorter scale may always use
  // a longer length).
  if (cand.size() > 16) cand.erase(cand.begin(), cand.end() - 16);
  const int Kc = static_cast<int>(cand.size());
  const int64_t top = cand.back();
  std::vector<int64_t> best_set = {top};
  double best_cost = std::numeric_limits<double>::infinity();
  for (uint32_t mask = 0; mask < (uint32_t{1} << (Kc - 1)); ++mask) {
    if (std::popcount(mask) + 1 > max_sizes) continue;
    std::vector<int64_t> set;
    for (int k = 0; k < Kc - 1; ++k)
      if (mask & (uint32_t{1} << k)) set.push_back(cand[k]);
    set.push_back(top);
    double cost = 0;
    for (int64_t N : set) cost += 0.5 * fft_cost(N);
    for (int i = 0; i < F; ++i)
      cost += fft_cost(*std::lower_bound(set.begin(), set.end(), need[i]));
    if (cost < best_cost) {
      best_cost = cost;
      best_set = std::move(set);
    }
  }
  std::vector<int> cls(static_cast<std::size_t>(F));
  for (int i = 0; i < F; ++i)
    cls[i] = static_cast<int>(std::lower_bound(best_set.begin(), best_set.end(), need[i]) -
                              best_set.begin());
  return {best_set, cls};
}

}  // namespace detail

// ---- Plan -----------------------------------------------------------------------------------

Plan::Plan(Spec spec) : impl_(std::make_unique<Impl>()) {
  validate(spec);
  Impl& p = *impl_;
  p.backend = resolve_backend(spec.backend);
  spec.backend = p.backend;
  p.spec = std::move(spec);
  for (double f : p.spec.frequencies)
    p.scales.push_back(detail::scale_of(f, p.spec.omega0, p.spec.sample_rate));
  p.geometry = detail::make_geometry(p.spec, p.scales);
  std::vector<int64_t> sizes = {p.geometry.fft_size};
  p.class_of.assign(p.scales.size(), 0);
  if (p.geometry.blocks == 1 && p.backend == Backend::cpu) {
    auto [lengths, cls] =
        detail::size_classes(p.spec, p.scales, p.geometry.fft_size, p.spec.max_fft_sizes);
    sizes = std::move(lengths);
    p.class_of = std::move(cls);
    p.geometry.fft_size = sizes.back();
  }
  const int64_t N = p.geometry.fft_size;
  p.half_bins = N / 2 + 1;
  p.spectrum_stride = (p.half_bins + 7) / 8 * 8;
  for (int64_t size : sizes) {
    Impl::SizeClass c;
    c.fft_size = size;
    c.half_bins = size / 2 + 1;
    c.spectrum_stride = (c.half_bins + 7) / 8 * 8;
    c.spectrum_offset = p.class_stride;
    p.class_stride += c.spectrum_stride;
    p.classes.push_back(c);
  }
  if (N > 0) {
    // One block: lags beyond n - 1 never meet the signal; many: the overlap holds the support.
    const int64_t cap = p.geometry.blocks == 1 ? p.spec.length - 1 : p.geometry.offset;
    int64_t offset = 0;
    for (std::size_t i = 0; i < p.scales.size(); ++i) {
      const double s = p.scales[i];
      const int64_t L = std::min(detail::support_of(s, p.spec.precision), cap);
      auto [band, values] = wavelet_band(s, p.spec, L, p.classes[p.class_of[i]].fft_size);
      band.offset = offset;
      offset += band.count;
      p.bands.push_back(band);
      if (p.spec.precision == Precision::float32)
        p.bank32.insert(p.bank32.end(), values.begin(), values.end());
      else
        p.bank64.insert(p.bank64.end(), values.begin(), values.end());
    }
    if (p.backend == Backend::cuda)
      p.device = cuda::make_device_state(p);
    else
      p.cpu = cpu::make_fft_state(p);
  }
}

Plan::~Plan() = default;

const Spec& Plan::spec() const {
  return impl_->spec;
}
Backend Plan::backend() const {
  return impl_->backend;
}
const std::vector<double>& Plan::scales() const {
  return impl_->scales;
}
const Geometry& Plan::geometry() const {
  return impl_->geometry;
}
int64_t Plan::bank_size() const {
  int64_t total = 0;
  for (const auto& b : impl_->bands) total += b.count;
  return total;
}
int64_t Plan::fft_size_of(int i) const {
  if (i < 0 || i >= count())
    throw InputError("cwt: scale index " + std::to_string(i) + " out of range 0.." +
                     std::to_string(count() - 1));
  return impl_->classes[impl_->class_of[static_cast<std::size_t>(i)]].fft_size;
}
std::vector<int64_t> Plan::fft_sizes() const {
  std::vector<int64_t> out;
  for (const auto& c : impl_->classes) out.push_back(c.fft_size);
  return out;
}
int64_t Plan::band_width(int i) const {
  if (i < 0 || i >= count())
    throw InputError("cwt: scale index " + std::to_string(i) + " out of range 0.." +
                     std::to_string(count() - 1));
  return impl_->bands.empty() ? 0 : impl_->bands[static_cast<std::size_t>(i)].count;
}

// ---- PlanCache ----------------------------------------------------------------------------

PlanCache::PlanCache(std::size_t capacity) : capacity_(capacity) {
  if (capacity == 0) throw InputError("cwt: a plan cache needs a capacity >= 1");
  stats_.capacity = capacity;
}

std::shared_ptr<const Plan> PlanCache::get(const Spec& spec) {
  std::lock_guard<std::mutex> lock(mutex_);
  Spec key = spec;
  if (key.backend == Backend::automatic) key.backend = resolve_backend(key.backend);
  for (auto it = plans_.begin(); it != plans_.end(); ++it) {
    if ((*it)->spec() == key) {
      auto plan = *it;
      plans_.erase(it);
      plans_.push_back(plan);
      ++stats_.hits;
      return plan;
    }
  }
  ++stats_.misses;
  auto plan = std::make_shared<const Plan>(key);
  if (plans_.size() >= capacity_) {
    plans_.erase(plans_.begin());
    ++stats_.evictions;
  }
  plans_.push_back(plan);
  stats_.size = plans_.size();
  return plan;
}

PlanCache::Stats PlanCache::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  Stats s = stats_;
  s.size = plans_.size();
  return s;
}

void PlanCache::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  plans_.clear();
  stats_.size = 0;
}

}  // namespace swingpipe::cwt
