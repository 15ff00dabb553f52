#pragma once
// Recurrence quantification analysis (design.md §4, RQA): RR, DET, L, Lmax, ENTR, LAM, TT, Vmax
// and the diagonal, vertical and white-vertical line-length histograms of a recurrence matrix
// that is never stored: O(n) memory, streamed in 64 x 64 tiles (the pyRQA method).
//
// ---- Points ----------------------------------------------------------------------------------
// A trajectory of `count` points with `dims` coordinates, dims-major (coordinate d of point i at
// values[d * count + i]). embed() makes one from a channel-major series:
//  - Embedding::of_channels(): the chosen channels are the coordinates, each z-scored
//    ((x - mean) / std, population std) when `zscore` (the Python suite's default: joint
//    positions and velocities). A channel with zero spread is centred only (all zeros).
//  - Embedding::time_delay(channel, m, tau): x_i = (s_i, s_{i+tau}, ..., s_{i+(m-1)tau}) of one
//    channel (z-scored first when `zscore`), n - (m-1)tau points (as pyRQA's TimeSeries).
// NaN or infinity anywhere in the used channels throws InputError naming the channel and frame.
//
// ---- The recurrence matrix ---------------------------------------------------------------------
// R[i][j] = d(x_i, y_j) < eps (strict), i over the rows (x), j over the columns (y; y = x for
// auto-recurrence). d is computed in the working precision T (float or double) in coordinate
// order, without fused multiply-add:
//   euclidean  sqrt(sum_k (a_k - b_k)^2)     (correctly rounded sqrt)
//   maximum    max_k |a_k - b_k|
//   manhattan  sum_k |a_k - b_k|
// The tiles compare the Euclidean sum of squares with the smallest T value t whose sqrt is >= eps
// (the same test, exactly, since sqrt is monotonic), so every backend and the dense reference
// decide every cell identically, ties included. The threshold eps (an absolute value is compared
// as a double: d < eps exactly) is one of
//   absolute(e)         eps = e > 0;
//   fraction(f)         eps = f * max_{i,j} d(x_i, y_j) over the whole matrix (float64 product),
//                       f in (0, 1] (the Python suite's default, f = 0.1);
//   rate(r)             the smallest eps with RR >= r: eps is the next T value above the k-th
//                       smallest distance of the cells RR counts, k = ceil(r * cells), found by a
//                       sampled quantile estimate and refined exactly by counting passes over the
//                       matrix (RR = r up to ties at that distance).
// Joint recurrence: JR = R_a AND R_b, each group with the same norm and its own eps (resolved on
// its own matrix; Options::threshold_b overrides the second group's threshold).
//
// ---- Conventions --------------------------------------------------------------------------------
// Lines: a diagonal line is a maximal run of recurrent cells (i, j), (i+1, j+1), ...; a vertical
// line a maximal run (i, j), (i+1, j), ... in one column j; a white vertical line a maximal run
// of non-recurrent cells in a column. P(l), V(v), W(w) count lines of each length; every measure
// is computed from them:
//   RR    = recurrences / cells                  DET = sum_{l>=l_min} l P(l) / sum_{l>=1} l P(l)
//   L     = sum_{l>=l_min} l P(l) / sum_{l>=l_min} P(l)
//   Lmax  = longest diagonal line (any length; 0 without lines)
//   ENTR  = -sum_{l>=l_min} p(l) ln p(l),  p(l) = P(l) / sum_{l>=l_min} P(l)
//   LAM, TT, Vmax as DET, L, Lmax on V with v_min.
// A ratio whose denominator is 0 is NaN.
//  Convention::standard (design.md §4; RecurrenceAnalysis.jl's rqa() apart from its d <= eps):
//   cells with |i - j| < w (the Theiler window, default 1: the main diagonal) are removed from
//   the matrix: they are neither recurrent nor white, they end every line that reaches them, and
//   RR counts only the cells outside the band (for an n x n matrix (n - w)(n - w + 1) cells).
//   ENTR of an empty histogram is NaN. White vertical lines are ended by a recurrent cell, the
//   band or the matrix edge, and all are counted (RecurrenceAnalysis.jl reports recurrence times
//   as distances between line midpoints instead; not provided here).
//  Convention::pyrqa (pyRQA 8.1, RQAComputation/JRQAComputation, their baseline variant):
//   the Theiler window removes the diagonals |i - j| < w from the diagonal lines only; RR counts
//   all n_x * n_y cells including the band and main diagonal; vertical and white vertical lines
//   run through the whole column, main diagonal included; DET's denominator is the recurrent
//   cells on diagonal lines (outside the window) while LAM's is all recurrent cells; ENTR of an
//   empty histogram is 0. Cross-recurrence: pyRQA's vertical lines run along y for a fixed x
//   (the transpose of standard's). pyRQA computes the measures in float32; here they are float64
//   (the histograms are equal exactly).
//  Both conventions differ from the Python suite, which built the dense n x n matrix (24 GiB for
//  35 000 frames), counted DET's lines on one triangle only, and changed the threshold rule in
//  its "sparse" variant.
// Cross-recurrence of x (n_x points) and y (n_y points, same dims): the n_x x n_y matrix, nothing
// symmetric; the Theiler window defaults to 0 there (RecurrenceAnalysis.jl's default), 1 else.
//
// ---- Backends ----------------------------------------------------------------------------------
// cpu: 64 x 64 tiles of bits (SIMD distances; AVX-512 / AVX2 / scalar, the same arithmetic),
// transposed and skewed in registers so that column, row and diagonal runs are bit runs; runs are
// carried across tile edges in O(n) arrays, OpenMP threads take rows of tiles and follow each
// other left to right (a tile starts once the row above has passed it), only histograms are kept.
// Auto-recurrence computes the upper triangle only.
// cuda: one thread per column and per diagonal (pyRQA's split), per-block shared-memory
// histograms reduced at the end; the same cells, the same histograms.
// Memory: O(n_x + n_y) per thread (histograms of every length, carries), never n^2.
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "swingpipe/kernels/backend.hpp"
#include "swingpipe/kernels/batch.hpp"

namespace swingpipe::rqa {

enum class Norm { euclidean, maximum, manhattan };
enum class Convention { standard, pyrqa };
/// Vector instruction set of the CPU backend (best = widest this CPU has).
enum class Simd { best, scalar, avx2, avx512 };

/// "euclidean", "maximum", "manhattan"; InputError naming the text otherwise.
Norm parse_norm(std::string_view text);
std::string_view to_string(Norm norm);
/// "standard", "pyrqa"; InputError otherwise.
Convention parse_convention(std::string_view text);
std::string_view to_string(Convention convention);
bool cpu_supports(Simd level);
std::string_view to_string(Simd level);

struct Threshold {
  enum class Kind { absolute, fraction, rate };
  Kind kind = Kind::fraction;
  double value = 0.1;

  static Threshold absolute(double eps) { return {Kind::absolute, eps}; }
  static Threshold fraction(double f) { return {Kind::fraction, f}; }
  static Threshold rate(double rr) { return {Kind::rate, rr}; }
  /// InputError unless absolute > 0 (finite or +inf), fraction and rate in (0, 1].
  void validate() const;
};
/// "absolute", "fraction", "rate"; InputError otherwise.
Threshold::Kind parse_threshold_kind(std::string_view text);
std::string_view to_string(Threshold::Kind kind);

struct Embedding {
  enum class Kind { channels, delay };
  Kind kind = Kind::channels;
  std::vector<int> channels;  ///< channels kind: which channels (empty = all)
  int channel = 0;            ///< delay kind: the channel embedded
  int dimension = 1;          ///< m >= 1
  int delay = 1;              ///< tau >= 1
  bool zscore = true;

  static Embedding of_channels(std::vector<int> channels = {}, bool zscore = true) {
    return {Kind::channels, std::move(channels), 0, 1, 1, zscore};
  }
  static Embedding time_delay(int channel, int m, int tau, bool zscore = true) {
    return {Kind::delay, {}, channel, m, tau, zscore};
  }
};

/// An owned trajectory: `dims` coordinates of `count` points, dims-major.
template <class T>
struct Points {
  std::vector<T> values;
  int64_t count = 0;
  int dims = 0;
  T at(int d, int64_t i) const { return values[static_cast<std::size_t>(d * count + i)]; }
};

/// The trajectory of a channel-major series. InputError for a bad channel index, m or tau < 1,
/// too few frames (< (m-1)tau + 1), or a non-finite value (naming channel and frame).
template <class T>
Points<T> embed(SeriesRef<double> series, const Embedding& embedding);
/// Points given directly, one row per point (row-major count x dims), for tests and peers.
template <class T>
Points<T> points_from_rows(const std::vector<T>& rows, int dims);

struct Options {
  Norm norm = Norm::euclidean;
  Threshold threshold{};
  std::optional<Threshold> threshold_b;  ///< joint: second group's threshold (default: threshold)
  std::optional<int64_t> theiler;        ///< w >= 0; default 1 (0 for cross-recurrence)
  int64_t l_min = 2;                     ///< >= 1
  int64_t v_min = 2;                     ///< >= 1
  Convention convention = Convention::standard;
  Backend backend = Backend::cpu;
  int threads = 0;         ///< CPU threads; 0 = OpenMP default
  Simd simd = Simd::best;  ///< CPU backend only
  /// Called now and then from the calling thread with the fraction of the matrix done.
  std::function<void(double)> progress;
};

/// The line-length histograms: h[l] = number of lines of length l (h[0] = 0); size = the longest
/// line + 1 (empty when there are none).
struct Histograms {
  std::vector<int64_t> diagonal;
  std::vector<int64_t> vertical;
  std::vector<int64_t> white_vertical;
};

struct Measures {
  int64_t recurrences = 0;  ///< RR's numerator
  int64_t cells = 0;        ///< RR's denominator
  double rr = 0, det = 0, l = 0, entr = 0, lam = 0, tt = 0;
  int64_t lmax = 0, vmax = 0;
};

struct Result {
  Measures measures;
  Histograms histograms;
  double epsilon = 0;    ///< the threshold used (of the first group)
  double epsilon_b = 0;  ///< joint: the second group's threshold
  int64_t rows = 0;      ///< points of x
  int64_t cols = 0;      ///< points of y (= rows for auto and joint recurrence)
  Backend backend = Backend::cpu;
};

/// The measures from histograms (what every backend ends with), for a matrix with `cells` cells
/// counted by RR. `recurrences` = sum_v v V(v).
Measures measures_of(const Histograms& h, int64_t cells, int64_t l_min, int64_t v_min,
                     Convention convention);
/// Cells RR counts in an n_x x n_y matrix with Theiler window w under a convention.
int64_t counted_cells(int64_t nx, int64_t ny, int64_t w, Convention convention);

/// Auto-recurrence of x.
template <class T>
Result recurrence(const Points<T>& x, const Options& opt = {});
/// Cross-recurrence of x (rows) and y (columns), same dims.
template <class T>
Result cross_recurrence(const Points<T>& x, const Points<T>& y, const Options& opt = {});
/// Joint recurrence of two groups with the same number of points.
template <class T>
Result joint_recurrence(const Points<T>& a, const Points<T>& b, const Options& opt = {});

/// The threshold eps the options give for auto (y == nullptr) or cross recurrence of x and y.
template <class T>
double resolve_epsilon(const Points<T>& x, const Points<T>* y, const Threshold& threshold,
                       const Options& opt);

struct Windowed {
  double epsilon = 0;  ///< resolved once on the whole trajectory
  int64_t window = 0, step = 0;
  std::vector<int64_t> starts;    ///< first point of each window
  std::vector<Measures> windows;  ///< one per start
};
/// RQA of the sub-trajectories [s, s + window) for s = 0, step, 2 step, ... (s + window <= count),
/// each an auto-recurrence matrix with the threshold resolved on the whole trajectory (so time
/// courses compare). InputError for window < 2 or > count, step < 1.
template <class T>
Windowed windowed(const Points<T>& x, int64_t window, int64_t step, const Options& opt = {});

/// Brute-force reference: the dense matrix (n_x * n_y bytes), thresholds resolved by sorting every
/// distance, lines counted cell by cell. For tests; O(n^2) time and memory.
template <class T>
Result reference_recurrence(const Points<T>& x, const Options& opt = {});
template <class T>
Result reference_cross(const Points<T>& x, const Points<T>& y, const Options& opt = {});
template <class T>
Result reference_joint(const Points<T>& a, const Points<T>& b, const Options& opt = {});

/// d(x_i, y_j) as the matrix uses it (precision T), for tests.
template <class T>
T distance(const Points<T>& x, int64_t i, const Points<T>& y, int64_t j, Norm norm);

}  // namespace swingpipe::rqa
