#pragma once
// Dynamic time warping (design.md §4, DTW). Exact, banded, batched.
//
// Local cost: squared Euclidean distance between frames (multichannel = dependent DTW).
// Distance: sqrt(accumulated cost), or the accumulated cost itself with Options::squared (the
// UCR / tsml convention). Sakoe-Chiba band |i - j| <= r, with r widened to at least |n - m| so
// unequal lengths never give inf. Paths: 0-based (i, j) from (0,0) to (n-1,m-1); ties broken
// diagonal, then up (i-1, j), then left (i, j-1).
//
// Edge cases (all backends): an empty series gives +inf (both empty: 0); NaN anywhere in a series
// gives NaN (also outside a narrow band: every frame lies in some band cell), and a Path with NaN
// distance has no steps; float32 costs above ~3.4e38 overflow to +inf (e.g. values of 1e30), so
// the distance is +inf rather than an error; use float64 for such data. Invalid input (bad band,
// channel counts that differ, a PairIndex out of range, an output span too small, malformed CSR
// offsets, k < 1) throws InputError naming it.
//
// Every function takes the backend in Options; `cpu` is the SIMD/OpenMP backend, `cuda` the GPU
// wavefront, `automatic` picks CUDA when a device is visible. All inputs are float32 or float64.
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "swingpipe/kernels/backend.hpp"
#include "swingpipe/kernels/batch.hpp"

namespace swingpipe::dtw {

/// Sakoe-Chiba band.
struct Band {
  enum class Kind { full, samples, fraction };
  Kind kind = Kind::full;
  double value = 0;

  static Band full() { return {}; }
  /// |i - j| <= r samples (r >= 0).
  static Band samples(int64_t r) { return {Kind::samples, static_cast<double>(r)}; }
  /// r = floor(f * max(n, m)), f in [0, 1].
  static Band fraction(double f) { return {Kind::fraction, f}; }

  /// The radius used for lengths n and m, widened to at least |n - m|. Throws InputError for a
  /// negative sample count, a fraction outside [0, 1] or NaN.
  int64_t radius(int64_t n, int64_t m) const;
};

/// Vector instruction set of the CPU backend. `best` is the widest the CPU supports (AVX-512:
/// 16 float32 / 8 float64 pairs per instruction, AVX2: 8 / 4, scalar: 1); the others force a level
/// (tests, benchmarks) and throw InputError when the CPU lacks it.
enum class Simd { best, scalar, avx2, avx512 };

/// Whether this CPU can run `level` (best and scalar: always).
bool cpu_supports(Simd level);
/// The level `best` resolves to on this CPU.
Simd cpu_best_simd();
std::string_view to_string(Simd level);

struct Options {
  Band band{};
  bool squared = false;  ///< return the accumulated squared cost instead of its square root
  Backend backend = Backend::cpu;
  int threads = 0;         ///< CPU threads; 0 = OpenMP default
  Simd simd = Simd::best;  ///< CPU backend only
};

/// Number of in-band cells DTW visits for lengths n, m with this band (the GCUPS numerator).
int64_t band_cells(int64_t n, int64_t m, const Band& band);

struct PairIndex {
  int64_t a = 0;  ///< index into the first batch
  int64_t b = 0;  ///< index into the second batch
};

/// Distance between two series (same channel count). An empty series gives +inf unless both are
/// empty (0). NaN anywhere in the inputs gives NaN.
template <class T>
T distance(SeriesRef<T> x, SeriesRef<T> y, const Options& opt = {});

/// out[p] = DTW(a[pairs[p].a], b[pairs[p].b]).
template <class T>
void pairs(const BatchView<T>& a, const BatchView<T>& b, std::span<const PairIndex> pairs,
           std::span<T> out, const Options& opt = {});

/// out[i] = DTW(query, refs[i]).
template <class T>
void one_vs_many(SeriesRef<T> query, const BatchView<T>& refs, std::span<T> out,
                 const Options& opt = {});

/// out[i * b.size() + j] = DTW(a[i], b[j]) (row-major |a| x |b|).
template <class T>
void cross(const BatchView<T>& a, const BatchView<T>& b, std::span<T> out, const Options& opt = {});

/// Symmetric n x n matrix, row-major, zero diagonal; only the upper triangle is computed.
template <class T>
void all_pairs(const BatchView<T>& batch, std::span<T> out, const Options& opt = {});

struct Path {
  double distance = 0;  ///< as distance() returns it (sqrt unless Options::squared)
  std::vector<std::pair<int32_t, int32_t>> steps;  ///< (i, j), from (0,0) to (n-1, m-1)
};

/// Distance and optimal warping path. O(n * band) memory.
template <class T>
Path path(SeriesRef<T> x, SeriesRef<T> y, const Options& opt = {});

/// Paths for many pairs (one per PairIndex).
template <class T>
std::vector<Path> paths(const BatchView<T>& a, const BatchView<T>& b,
                        std::span<const PairIndex> pairs, const Options& opt = {});

struct Neighbor {
  int64_t index = -1;  ///< index into the library batch
  double distance = 0;
};

struct KnnStats {
  int64_t candidates = 0;    ///< query x library pairs considered
  int64_t pruned_kim = 0;    ///< rejected by LB_Kim
  int64_t pruned_keogh = 0;  ///< rejected by LB_Keogh
  int64_t abandoned = 0;     ///< DTW computations abandoned early
  int64_t full_dtw = 0;      ///< DTW computations run to the end
};

/// The k nearest library series of each query, nearest first, ties by lower index; exactly what
/// brute force returns. k is clamped to the library size; k < 1 throws InputError. NaN distances
/// sort last. CPU: LB_Kim and LB_Keogh (query envelope, same band) prune candidates visited in
/// lower-bound order, and DTW stops early once every row minimum exceeds the current k-th best.
template <class T>
std::vector<std::vector<Neighbor>> knn(const BatchView<T>& queries, const BatchView<T>& library,
                                       int k, const Options& opt = {}, KnnStats* stats = nullptr);

/// Brute-force float64 reference: full (n+1) x (m+1) cost matrix, same band and conventions.
/// For tests; O(n*m) time and memory.
double reference_distance(SeriesRef<double> x, SeriesRef<double> y, const Band& band, bool squared);
Path reference_path(SeriesRef<double> x, SeriesRef<double> y, const Band& band, bool squared);

}  // namespace swingpipe::dtw
