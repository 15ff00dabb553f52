#pragma once
// Continuous wavelet transform with the complex Morlet wavelet (design.md §4, CWT), the
// cross-wavelet transform and wavelet coherence.
//
// Definition (design.md §6): for a channel x[0..n) sampled at fs Hz and a frequency f,
//   s = w0 fs / (2 pi f)                                  (scale, in samples)
//   W[b] = s^-1/2 sum_{m=0}^{n-1} x[m] conj(psi((m - b) / s)),   psi(t) = pi^-1/4 e^{i w0 t}
//   e^{-t^2/2}
// for b = 0..n-1: output the length of the input, L2 normalization as scipy.signal.morlet2, and
// zero outside the signal (linear, not circular, correlation). A cosine A cos(w m) has, away from
// the edges, |W| = (A/2) pi^-1/4 sqrt(2 pi s) e^{-(s w - w0)^2 / 2} plus a term of order
// e^{-(s w + w0)^2 / 2}.
//
// How it is computed: in overlap-save blocks (lengths 2^k or 3 2^k chosen by a cost model: a
// thread's buffers stay in cache and the blocks split the signal evenly), each block's FFT once
// per channel (r2c), and per scale the product with the wavelet's spectrum on the bins where it
// is not negligible (>= 1e-18 of its peak in float64, 1e-9 in float32; computed in closed form:
// the Gaussian with its aliases), an inverse c2c FFT and the crop of the valid part, fused with
// power or magnitude. Every block reads the signal samples within +-9.11 s (float64; 6.44 s in
// float32) of its outputs, where e^{-9.11^2/2} < 1e-18: the result equals the direct sum to
// rounding (~1e-13 of the row's largest value in float64, ~1e-6 in float32). A short signal is
// one block of at least n + min(9.11 s, n - 1) points, and a wavelet wider than the signal has
// the spectrum of its truncation at n - 1 lags (exact: longer lags never meet the signal).
//
// Values do not depend on the thread count, the memory budget or on streaming: the blocks are
// the same in every call of a plan, so transform() and transform_tiles() give identical bits.
//
// Edge cases: a channel with NaN or inf anywhere gives NaN in all of its outputs (every output
// of the definition sums over the whole channel); n = 0 gives no output; n = 1 works. Invalid
// input (frequency <= 0 or not finite, w0 <= 0, fs <= 0, a span of the wrong size, a type that is
// not the plan's precision, a series longer than the plan's length) throws InputError naming it.
//
// Layout: out[(c * F + i) * n + t] for channel c, frequency i (in the plan's order), time t.
//
// A plan built for length L serves every signal of length n <= L with the values of the
// definition for n (the signal is zero beyond n either way): plan_length() rounds lengths up to
// a coarse ladder so that recordings of similar lengths share one cached plan.
#include <complex>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "swingpipe/kernels/backend.hpp"
#include "swingpipe/kernels/batch.hpp"

namespace swingpipe::cwt {

enum class Output { complex, power, magnitude };
enum class Precision { float32, float64 };

/// "complex", "power" (|W|^2) or "magnitude" (|W|); InputError naming the text otherwise.
Output parse_output(std::string_view text);
std::string_view to_string(Output output);
/// "float32" or "float64"; InputError otherwise.
Precision parse_precision(std::string_view text);
std::string_view to_string(Precision precision);
template <class T>
constexpr Precision precision_of() {
  return sizeof(T) == 4 ? Precision::float32 : Precision::float64;
}

/// count frequencies from fmin to fmax (Hz), geometric, ascending: f_i = fmin
/// (fmax/fmin)^(i/(count-1)). InputError for fmin <= 0, fmax < fmin, count < 1, NaN or inf.
std::vector<double> geometric_frequencies(double fmin, double fmax, int count);

/// s = w0 fs / (2 pi f), in samples.
double scale_of(double frequency, double omega0, double sample_rate);

/// The smallest length >= n of the form m 2^k with m in 8..15 (at most 12.5% longer than n):
/// the Spec::length to cache plans by.
int64_t plan_length(int64_t n);

/// How FFTW plans a plan's transforms: measure times candidate algorithms when the plan is
/// built (up to seconds for large blocks, ~25% faster transforms; instant for sizes in imported
/// wisdom); estimate plans instantly.
enum class Planning { measure, estimate };

/// What a plan is built for (the key of PlanCache). Every call on one plan gives identical bits;
/// two plans of one spec agree to rounding (FFTW_MEASURE may pick different algorithms).
struct Spec {
  int64_t length = 0;               ///< samples per channel, >= 0
  std::vector<double> frequencies;  ///< Hz, > 0 and finite, any order; at least one
  double omega0 = 6.0;              ///< Morlet w0 > 0 (the wavelet is admissible for w0 >~ 5)
  double sample_rate = 1.0;         ///< Hz, > 0
  Precision precision = Precision::float64;
  Backend backend = Backend::cpu;  ///< cpu or cuda; automatic is resolved when the plan is built
  /// FFT length of a block; 0 chooses the cheapest layout (one block for a short signal, else
  /// blocks of a 2^a 3^b 5^c length that keeps a thread's buffers in cache and splits the signal
  /// evenly). A value here forces that length (tests of the streaming path).
  int64_t block_size = 0;
  Planning planning = Planning::measure;
  /// CPU plans of one block: the scales are grouped by the FFT length their support needs (a
  /// high frequency's short wavelet fits a shorter transform than the lowest frequency's), at
  /// most this many lengths (0 = automatic, up to 4; 1 = every scale at the length of the
  /// widest). Blocked (streaming) and CUDA plans use one length. Never changes the values beyond
  /// rounding.
  int max_fft_sizes = 0;

  bool operator==(const Spec&) const = default;
};

/// Loads FFTW wisdom (both precisions) saved by export_fftw_wisdom, so that measured planning of
/// the sizes it holds is instant. false when the file does not exist; InputError when it is not
/// such a file.
bool import_fftw_wisdom(const std::filesystem::path& path);
/// Saves the process's FFTW wisdom (atomically: temp file, rename). StorageError on failure.
void export_fftw_wisdom(const std::filesystem::path& path);

/// How a call runs; never changes the values.
struct RunOptions {
  int threads = 0;  ///< CPU threads; 0 = OpenMP default
  /// Bytes of block spectra and output tiles held at once by transform_tiles() (at least one
  /// block is always held). transform() writes straight into its output and uses it for the
  /// spectra only.
  std::size_t memory_budget = std::size_t{256} << 20;
};

/// The block layout of a plan: block j reads samples [j * step - offset, j * step - offset +
/// fft_size) (zero outside the signal) and gives outputs [j * step, min(n, (j + 1) * step)).
struct Geometry {
  int64_t fft_size = 0;
  int64_t step = 0;    ///< valid outputs per block
  int64_t offset = 0;  ///< samples read before the block's first output
  int64_t blocks = 0;
};

/// A built transform: FFT plans, the wavelet bank (each scale's spectrum on its band of bins,
/// normalized), per-thread buffers, and on CUDA the cuFFT plans, device buffers and streams.
/// Immutable after construction; one plan may serve concurrent calls.
class Plan {
 public:
  /// Validates spec and builds everything (FFTW_MEASURE planning happens here). Backend
  /// automatic becomes cuda when a device is visible, else cpu; cuda without a device throws
  /// BackendError.
  explicit Plan(Spec spec);
  ~Plan();
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;

  const Spec& spec() const;
  Backend backend() const;  ///< resolved: cpu or cuda
  int64_t length() const { return spec().length; }
  int count() const { return static_cast<int>(spec().frequencies.size()); }
  const std::vector<double>& frequencies() const { return spec().frequencies; }
  const std::vector<double>& scales() const;  ///< samples, one per frequency
  /// The block layout; fft_size is the longest FFT length (see fft_sizes()).
  const Geometry& geometry() const;
  /// Wavelet-spectrum values stored in the bank (sum of the band widths).
  int64_t bank_size() const;
  /// Bins of the band of scale i (where its spectrum is stored and multiplied).
  int64_t band_width(int i) const;
  /// FFT length scale i is transformed with (geometry().fft_size, or a shorter one for a CPU plan
  /// of one block whose scales are grouped by length; see Spec::max_fft_sizes).
  int64_t fft_size_of(int i) const;
  /// The distinct FFT lengths of the plan, ascending (one unless scales are grouped).
  std::vector<int64_t> fft_sizes() const;

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

/// A bounded LRU cache of plans keyed by Spec, with hit and miss counts. Thread-safe; plans are
/// shared (a plan evicted while in use lives until its last user lets go).
class PlanCache {
 public:
  explicit PlanCache(std::size_t capacity = 8);
  /// The cached plan for spec, or a new one (built under the cache's lock).
  std::shared_ptr<const Plan> get(const Spec& spec);

  struct Stats {
    int64_t hits = 0;
    int64_t misses = 0;
    int64_t evictions = 0;
    std::size_t size = 0;
    std::size_t capacity = 0;
  };
  Stats stats() const;
  void clear();

 private:
  mutable std::mutex mutex_;
  std::size_t capacity_;
  std::vector<std::shared_ptr<const Plan>> plans_;  ///< most recently used last
  Stats stats_;
};

/// W of every channel of x (x.length = n <= plan.length(), any channel count):
/// out[(c * F + i) * n + t]. T must be the plan's precision.
template <class T>
void transform(const Plan& plan, SeriesRef<T> x, std::span<std::complex<T>> out,
               const RunOptions& run = {});

/// |W|^2 (Output::power) or |W| (Output::magnitude), same layout.
template <class T>
void transform(const Plan& plan, SeriesRef<T> x, Output kind, std::span<T> out,
               const RunOptions& run = {});

/// Receives the output in tiles of consecutive times: [t0, t0 + count) of every channel and
/// frequency, tile[(c * F + i) * count + t]. Called on the calling thread, t0 increasing.
template <class V>
using TileSink = std::function<void(int64_t t0, int64_t count, std::span<const V> tile)>;

/// transform() for outputs too large to hold: tiles of geometry().step times (the last shorter)
/// within run.memory_budget, with the same values.
template <class T>
void transform_tiles(const Plan& plan, SeriesRef<T> x, const TileSink<std::complex<T>>& sink,
                     const RunOptions& run = {});
template <class T>
void transform_tiles(const Plan& plan, SeriesRef<T> x, Output kind, const TileSink<T>& sink,
                     const RunOptions& run = {});

/// Cross-wavelet transform W_xy = W_x conj(W_y) of two channels of the same length n <=
/// plan.length(), each transform computed once: out[i * n + t].
template <class T>
void cross(const Plan& plan, std::span<const T> x, std::span<const T> y,
           std::span<std::complex<T>> out, const RunOptions& run = {});
/// |W_xy| (Torrence & Compo's cross-wavelet power; Output::power) only.
template <class T>
void cross(const Plan& plan, std::span<const T> x, std::span<const T> y, Output kind,
           std::span<T> out, const RunOptions& run = {});
/// The same in tiles (each tile: [i * count + t]), for long inputs.
template <class T>
void cross_tiles(const Plan& plan, std::span<const T> x, std::span<const T> y,
                 const TileSink<std::complex<T>>& sink, const RunOptions& run = {});

/// Pairwise products of transforms already computed: w holds channels x F x n (transform()'s
/// layout); out[(p * F + i) * n + t] = w[a_p] conj(w[b_p]) for pairs (a_p, b_p).
template <class T>
void cross_products(std::span<const std::complex<T>> w, int channels, int frequencies, int64_t n,
                    std::span<const std::pair<int, int>> pairs, std::span<std::complex<T>> out);

/// Wavelet coherence (Torrence & Webster 1999; Grinsted et al. 2004):
///   R^2 = |S(W_xy / s)|^2 / (S(|W_x|^2 / s) S(|W_y|^2 / s)),   phase = arg S(W_xy / s)
/// S smooths in time (convolution with the unit-sum Gaussian e^{-t^2 / (2 (time_width s)^2)},
/// zero outside the signal like the transform) and then across scales (unit-sum boxcar over the
/// scales within scale_width / 2 octaves of each scale). R^2 is in [0, 1] (NaN where both powers
/// vanish, e.g. an all-zero channel).
struct CoherenceOptions {
  double time_width = 1.0;   ///< Gaussian sigma in units of the scale s (> 0)
  double scale_width = 0.6;  ///< boxcar width in octaves (log2 units, >= 0; 0.6 for Morlet)
};

/// From the transforms wx, wy (F x n each, n <= plan.length(), transform()'s layout for one
/// channel): R^2 and phase (radians; either span may be empty to skip it), F x n.
template <class T>
void coherence(const Plan& plan, std::span<const std::complex<T>> wx,
               std::span<const std::complex<T>> wy, std::span<T> r2, std::span<T> phase,
               const CoherenceOptions& opt = {}, const RunOptions& run = {});

/// Direct summation of the definition in float64 (design.md §6), O(n^2 F): the oracle of the
/// tests. out[i * n + t].
void reference_transform(std::span<const double> x, std::span<const double> frequencies,
                         double omega0, double sample_rate, std::span<std::complex<double>> out);

}  // namespace swingpipe::cwt
