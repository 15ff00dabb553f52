#pragma once
// Lag matrix and kinematic sequence (design.md §4, "Lag matrix").
//
// Lag matrix of n channels. For every pair (i, j), as the Python suite defined it:
//   1. both series are truncated to the shorter length m;
//   2. each has its mean removed;
//   3. a series whose (population) standard deviation is < 1e-9 gives lag 0;
//   4. the full cross-correlation c[k] = sum_t x_i[t + k] * x_j[t], k = -(m-1) .. m-1, is what
//      numpy.correlate(x_i, x_j, "full") returns (its index k + m - 1);
//   5. lag = the k of the maximum of c (not of |c|) over |k| <= max_lag; on exact ties the
//      smallest k (numpy.argmax order; FFT rounding can break a tie that exact arithmetic has);
//   6. L[i,j] = -lag / fs seconds: positive when j lags i (x_j(t) ~ x_i(t - L[i,j])).
// L is antisymmetric with a zero diagonal. The peak normalized correlation
// C[i,j] = c[lag] / sqrt(sum x_i^2 * sum x_j^2) (mean-removed, truncated series) is symmetric,
// in [-1, 1], with C[i,i] = 1.
//
// Missing and undefined values are NaN, never 0 (design.md §3.4):
// - a channel holding NaN or +-inf (within the samples a pair uses) gives NaN lag and correlation
//   for each of its pairs, and is listed in Matrix::nan_channels; its diagonal is L = 0, C = NaN;
// - a pair with no samples (a channel of length 0) gives NaN lag and correlation;
// - a constant pair (std < 1e-9, which includes length 1) gives lag 0 (the contract) and
//   correlation NaN (undefined), diagonal C = NaN;
// - fs == 0 (sample rate unknown) gives NaN seconds; the lags in samples stay valid.
// Invalid input throws InputError naming it: fs < 0 or NaN, malformed CSR offsets, a span of the
// wrong size, a sample-rate count that differs from the batch size.
//
// Computation: FFT cross-correlation, one forward real FFT per channel and one inverse per pair,
// zero-padded to a fast size >= m + max_lag (linear, never circular, correlation). CPU: FFTW plans
// made once per FFT size and kept in a Plan, OpenMP threads over recordings (or over the channels
// and pairs of one recording when a batch has fewer recordings than threads). CUDA: cuFFT batched
// over the channels and the pairs of many recordings at once. float32 input is transformed in
// float32 (correlations within ~1e-6), float64 in float64.
//
// Kinematic sequence: for named segments (pelvis, thorax, lead arm, club, ...; each one or more
// angular-velocity channels, proximal to distal), the time of peak angular speed (|w|, or the
// Euclidean norm of a segment's components), refined to a fraction of a sample by a parabola
// through the peak sample and its neighbours; the order of the peaks, the gaps between consecutive
// segments and whether the sequence runs proximal to distal.
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "swingpipe/kernels/backend.hpp"
#include "swingpipe/kernels/batch.hpp"

namespace swingpipe::lag {

/// The standard deviation under which a series counts as constant (lag 0).
inline constexpr double kMinStd = 1e-9;

struct Options {
  int64_t max_lag = -1;  ///< largest |lag| in samples; < 0 = every lag (m - 1)
  Backend backend = Backend::cpu;
  int threads = 0;  ///< CPU threads; 0 = OpenMP default
};

/// One set of channels' results: row-major n x n matrices.
struct Matrix {
  int channels = 0;
  std::vector<double> lag_samples;  ///< -lag: L in samples (integers, or NaN)
  std::vector<double> lag_seconds;  ///< L = -lag / fs
  std::vector<double> correlation;  ///< C, the peak normalized correlation
  std::vector<int> nan_channels;    ///< channels holding NaN or +-inf, ascending

  double seconds(int i, int j) const {
    return lag_seconds[static_cast<std::size_t>(i) * channels + j];
  }
  double samples(int i, int j) const {
    return lag_samples[static_cast<std::size_t>(i) * channels + j];
  }
  double corr(int i, int j) const {
    return correlation[static_cast<std::size_t>(i) * channels + j];
  }
};

/// The result of one pair, as numpy would state it.
struct PairLag {
  double lag = 0;          ///< argmax k of numpy.correlate(x, y, "full") - (m - 1); NaN: see above
  double seconds = 0;      ///< -lag / fs (positive when y lags x)
  double correlation = 0;  ///< c[lag] / sqrt(sum x^2 * sum y^2)
};

/// Counters of a Plan's FFT plan cache.
struct PlanStats {
  int64_t fft_plans_made = 0;  ///< CPU FFT sizes planned (and cuFFT plans made)
  int64_t fft_plan_hits = 0;   ///< lookups that found a plan already made
  int64_t recordings = 0;      ///< recordings processed
};

/// What is reused between calls: FFTW plans per FFT size (a bounded cache, least recently used
/// evicted), and on CUDA the cuFFT plans and device buffers. Build one per analysis and reuse it;
/// one Plan must not be used by two threads at once (it uses its own threads inside).
class Plan {
 public:
  explicit Plan(const Options& opt = {});
  ~Plan();
  Plan(Plan&&) noexcept;
  Plan& operator=(Plan&&) noexcept;
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;

  const Options& options() const;
  PlanStats stats() const;

  /// One matrix per series of the batch (each series' channels share its length); fs has one
  /// sample rate per series. CPU or CUDA as Options::backend says (automatic: CUDA when usable).
  template <class T>
  std::vector<Matrix> matrices(const BatchView<T>& batch, std::span<const double> fs);

  /// The matrix of one series' channels.
  template <class T>
  Matrix matrix(SeriesRef<T> series, double fs);

  /// The matrix of channels of different lengths (each pair truncated to its shorter member).
  /// Always on the CPU: the CUDA backend takes CSR batches, whose channels share a length.
  template <class T>
  Matrix matrix(std::span<const std::span<const T>> channels, double fs);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// One-shot helpers: a temporary Plan.
template <class T>
std::vector<Matrix> matrices(const BatchView<T>& batch, std::span<const double> fs,
                             const Options& opt = {});
template <class T>
Matrix matrix(SeriesRef<T> series, double fs, const Options& opt = {});
template <class T>
PairLag pair(std::span<const T> x, std::span<const T> y, double fs, const Options& opt = {});

/// Brute-force float64 reference: direct O(m * max_lag) correlation, same conventions. For tests.
PairLag reference_pair(std::span<const double> x, std::span<const double> y, double fs,
                       int64_t max_lag = -1);

/// The FFT size used for n >= 1 samples: the cheapest of 2^a, 3 * 2^a and 5 * 2^a that is >= n
/// (by size * log2(size), the odd radices weighted 1.15 and 1.25). Never more than 2n.
int64_t fft_size(int64_t n);

// ---- kinematic sequence ------------------------------------------------------------------------

struct SequenceOptions {
  bool refine = true;  ///< parabolic sub-sample refinement of each peak
};

/// One segment's peak angular speed.
struct SegmentPeak {
  int64_t sample = -1;  ///< sample of the largest speed (first on ties); -1 when none
  double frame = 0;     ///< refined fractional sample of the peak (= sample without refinement)
  double time = 0;      ///< frame / fs seconds (NaN when fs == 0)
  double speed = 0;     ///< peak speed (refined), in the channel's units (rad/s)
};

struct Sequence {
  std::vector<SegmentPeak> peaks;   ///< one per segment, in the given (proximal-to-distal) order
  std::vector<int> order;           ///< segment indices by peak time, earliest first
  std::vector<double> gaps;         ///< peaks[k+1].time - peaks[k].time (seconds), k = 0..n-2
  std::vector<double> gap_frames;   ///< the same in samples
  bool complete = false;            ///< every segment has a peak (no NaN/inf, not empty)
  bool proximal_to_distal = false;  ///< complete, and every gap > 0
  bool speeds_increase = false;     ///< complete, and every peak speed > the one before it
};

/// The kinematic sequence of segments given proximal to distal. Each segment is `components[s]`
/// consecutive channels of `series` (1 = a signed angular velocity, 3 = a vector); the speed is
/// the Euclidean norm. A segment with NaN or inf in any sample, or a series of length 0, has NaN
/// peak (sample -1) and then the sequence is not complete; `order` puts such segments last (in
/// segment order). Throws InputError when the components do not add up to series.channels, a
/// component count is < 1, or fs is < 0 or NaN.
template <class T>
Sequence kinematic_sequence(SeriesRef<T> series, std::span<const int> components, double fs,
                            const SequenceOptions& opt = {});

}  // namespace swingpipe::lag
