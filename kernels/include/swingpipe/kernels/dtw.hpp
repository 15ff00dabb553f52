#pragma once
// Dynamic time warping (design.md §4, DTW). Exact, banded, batched.
//
// Local cost: squared Euclidean distance between frames (multichannel = dependent DTW).
// Distance: sqrt(accumulated cost), or the accumulated cost itself with Options::squared (the
// UCR / tsml convention). Sakoe-Chiba band |i - j| <= r, with r widened to at least |n - m| so
// unequal lengths never give inf. Paths: 0-based (i, j) from (0,0) to (n-1,m-1); ties broken
// diagonal, then up (i-1, j), then left (i, j-1).
//
// Edge cases (all backends and the reference follow them; tests/unit/dtw and tests/gpu check):
//   - an empty series gives +inf (both empty: 0);
//   - non-finite input is missing data: a series holding NaN, +inf or -inf anywhere (also outside
//     a narrow band: every frame lies in some band cell) is flagged on the host before any DP, and
//     every distance involving it is NaN; its Path has NaN distance and no steps; knn sorts it
//     last. So the result never depends on where the value sits or on how a backend's min()
//     treats NaN (inf - inf would otherwise give a NaN cost that one min keeps and another drops);
//   - finite float32 values whose squared differences exceed ~3.4e38 (e.g. 1e30) overflow to
//     +inf, so the distance is +inf rather than an error; use float64 for such data.
// Invalid input (bad band, channel counts that differ, a PairIndex out of range, an output span
// too small, malformed CSR offsets, k < 1) throws InputError naming it. Output spans: one rule for
// every mode and backend: at least the number of results; elements past it are left untouched.
//
// Every function takes the backend in Options; `cpu` is the SIMD/OpenMP backend, `cuda` the GPU
// wavefront, `automatic` picks CUDA when a device is visible and the batches fit it (every series
// within cuda_max_length(), the values within the device's free memory), else the CPU. All inputs
// are float32 or float64. The CUDA backend streams any number of pairs in bounded chunks
// (all-pairs and cross generate their pairs on the device); its buffers, streams and device
// properties live in a Workspace that callers may keep across calls.
#include <cstddef>
#include <cstdint>
#include <memory>
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

/// Reusable state of the CUDA backend (design.md §3, rule 3): the device's properties and each
/// kernel's occupancy (read once), one stream per kernel shape, pinned host staging and device
/// buffers that grow on demand up to the limits below and are kept for the next call. Nothing is
/// set up until a call runs on CUDA, so a Workspace costs nothing on a machine without a GPU. Calls
/// that share one Workspace from several threads run one after another (it holds a mutex); give
/// each thread its own for concurrency. Passing none (Options::workspace = nullptr) makes each
/// call set up and free a temporary one.
class Workspace {
 public:
  struct Limits {
    int64_t chunk_pairs = int64_t{1} << 22;                ///< pairs per chunk (>= 1)
    std::size_t boundary_bytes = std::size_t{256} << 20;   ///< per-group boundary rows
    std::size_t direction_bytes = std::size_t{512} << 20;  ///< paths: direction words per chunk
    std::size_t staging_bytes = std::size_t{8} << 20;      ///< each of the two pinned buffers
  };
  Workspace();
  /// Throws InputError for a zero limit.
  explicit Workspace(const Limits& limits);
  ~Workspace();
  Workspace(Workspace&&) noexcept;
  Workspace& operator=(Workspace&&) noexcept;
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  const Limits& limits() const { return limits_; }
  /// Device bytes the workspace holds now (0 before its first CUDA call).
  std::size_t device_bytes() const;

  /// Device time of the calls made with this workspace (CUDA events around the kernels, copies
  /// and host work excluded): the kernel-only figures of `swingpipe bench`.
  struct Timings {
    double planning_seconds = 0;  ///< per-chunk planning kernels (pair answers, buckets)
    double kernel_seconds = 0;    ///< the wavefront kernels
    int64_t chunks = 0;           ///< chunks (distances) and direction chunks (paths) run
  };
  Timings timings() const;
  void reset_timings();

  struct Impl;  ///< defined by the CUDA backend (kernels/cuda/dtw_workspace.hpp)
  Impl& impl();

 private:
  Limits limits_;
  std::unique_ptr<Impl> impl_;
};

struct Options {
  Band band{};
  bool squared = false;  ///< return the accumulated squared cost instead of its square root
  Backend backend = Backend::cpu;
  int threads = 0;                 ///< CPU threads; 0 = OpenMP default
  Simd simd = Simd::best;          ///< CPU backend only
  Workspace* workspace = nullptr;  ///< CUDA backend only; nullptr = a temporary one per call
};

/// Longest series (frames) the CUDA kernels index (32-bit rows and columns): 2^29 - 1. With
/// Backend::automatic a longer series runs on the CPU; with Backend::cuda it is an InputError.
/// (Batches whose values exceed the device's free memory likewise run on the CPU with automatic,
/// and are a BackendError naming the sizes with cuda.)
int64_t cuda_max_length();

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
