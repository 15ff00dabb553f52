// The CPU DTW backend and the public DTW API (dtw.hpp): validation, backend dispatch, pair
// grouping into SIMD lanes (dtw_lanes.hpp), OpenMP over groups, paths with band-compressed
// direction codes, and exact knn with LB_Kim / LB_Keogh pruning and early abandoning.
#define SP_DTW_KERNEL_IMPL
#include "cpu/dtw_lanes.hpp"
#undef SP_DTW_KERNEL_IMPL

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "common/dtw_checks.hpp"
#include "common/dtw_math.hpp"
#include "cuda/dtw_cuda.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/dtw.hpp"

namespace swingpipe::dtw {

namespace cpu {
void run_group_scalar(Group<float>& g, void* workspace) {
  run_group_impl<float, 1>(g, workspace);
}
void run_group_scalar(Group<double>& g, void* workspace) {
  run_group_impl<double, 1>(g, workspace);
}
}  // namespace cpu

int64_t cuda_max_length() {
  return detail::kCudaMaxLength;
}

// ---- SIMD level ---------------------------------------------------------------------------------

bool cpu_supports(Simd level) {
  switch (level) {
    case Simd::best:
    case Simd::scalar:
      return true;
    case Simd::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Simd::avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }
  return false;
}

Simd cpu_best_simd() {
  static const Simd best = cpu_supports(Simd::avx512) ? Simd::avx512
                           : cpu_supports(Simd::avx2) ? Simd::avx2
                                                      : Simd::scalar;
  return best;
}

std::string_view to_string(Simd level) {
  switch (level) {
    case Simd::best:
      return "best";
    case Simd::scalar:
      return "scalar";
    case Simd::avx2:
      return "avx2";
    case Simd::avx512:
      return "avx512";
  }
  return "?";
}

namespace {

using cpu::Group;
using cpu::Level;

Level resolve_level(Simd simd) {
  if (simd == Simd::best) simd = cpu_best_simd();
  if (!cpu_supports(simd))
    throw InputError("DTW: SIMD level '" + std::string(to_string(simd)) +
                     "' is not supported by this CPU");
  return simd == Simd::avx512 ? Level::avx512 : simd == Simd::avx2 ? Level::avx2 : Level::scalar;
}

template <class T>
void run_group(Level level, Group<T>& g, void* ws) {
  switch (level) {
    case Level::avx512:
      cpu::run_group_avx512(g, ws);
      return;
    case Level::avx2:
      cpu::run_group_avx2(g, ws);
      return;
    case Level::scalar:
      cpu::run_group_scalar(g, ws);
      return;
  }
}

// ---- validation (kernels/common/dtw_checks.hpp: the same rules as the CUDA entry points) ----

using detail::check_band;
using detail::check_batch;
using detail::check_batches;
using detail::check_out;
using detail::check_pairs;
using detail::check_same_channels;
using detail::nonfinite_flags;
using Flags = std::vector<uint8_t>;

/// The backend a call runs on: resolve_backend(), except that `automatic` keeps batches the CUDA
/// backend cannot take (cuda::fits: a series longer than cuda_max_length(), values beyond the
/// device's free memory) on the CPU.
template <class T>
Backend pick_backend(const Options& opt, const BatchView<T>& a, const BatchView<T>& b) {
  const Backend backend = resolve_backend(opt.backend);
  if (backend == Backend::cuda && opt.backend == Backend::automatic && !cuda::fits(a, b))
    return Backend::cpu;
  return backend;
}

template <class T>
T finish(T acc, bool squared) {
  return squared ? acc : std::sqrt(acc);
}

/// Result for pairs the kernel does not run: empty series and non-finite input. Returns true when
/// handled.
template <class T>
bool trivial(int64_t n, int64_t m, bool nan, T* out) {
  if (n == 0 || m == 0) {
    *out = (n == 0 && m == 0) ? T(0) : std::numeric_limits<T>::infinity();
    return true;
  }
  if (nan) {
    *out = std::numeric_limits<T>::quiet_NaN();
    return true;
  }
  return false;
}

struct Scratch {  // per-thread bytes for the SIMD groups (not dtw::Workspace)
  std::unique_ptr<unsigned char[]> bytes;
  std::size_t size = 0;
  void* get(std::size_t need) {
    if (need > size) {
      bytes.reset(new unsigned char[need]);
      size = need;
    }
    return bytes.get();
  }
};

int thread_count(const Options& opt) {
  return opt.threads > 0 ? opt.threads : omp_get_max_threads();
}

// ---- CPU pairs ------------------------------------------------------------------------------

struct Job {
  int64_t n, m, r;
  std::size_t p;
};

/// out[p] = DTW(a[pairs[p].a], b[pairs[p].b]); indices already validated.
template <class T>
void cpu_pairs(const BatchView<T>& a, const BatchView<T>& b, std::span<const PairIndex> pairs,
               T* out, const Options& opt, const Flags& nan_a, const Flags& nan_b) {
  const Level level = resolve_level(opt.simd);
  const int W = cpu::lanes<T>(level);
  std::vector<Job> jobs;
  jobs.reserve(pairs.size());
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    const int64_t n = a.length(static_cast<std::size_t>(pairs[p].a));
    const int64_t m = b.length(static_cast<std::size_t>(pairs[p].b));
    const bool nan =
        nan_a[static_cast<std::size_t>(pairs[p].a)] || nan_b[static_cast<std::size_t>(pairs[p].b)];
    if (trivial(n, m, nan, &out[p])) continue;
    jobs.push_back({n, m, opt.band.radius(n, m), p});
  }
  // Similar shapes share a group: equal (n, m, r) groups run unmasked with no wasted cells.
  const bool sorted = std::is_sorted(jobs.begin(), jobs.end(), [](const Job& x, const Job& y) {
    return x.n != y.n ? x.n < y.n : x.m != y.m ? x.m < y.m : x.r < y.r;
  });
  if (!sorted)
    std::stable_sort(jobs.begin(), jobs.end(), [](const Job& x, const Job& y) {
      return x.n != y.n ? x.n < y.n : x.m != y.m ? x.m < y.m : x.r < y.r;
    });
  const auto groups = static_cast<int64_t>((jobs.size() + W - 1) / W);
  // One thread per ~4M in-band cells (about a millisecond of work): waking threads for less costs
  // more than it saves, and much more on a loaded machine.
  int64_t cells = 0;
  for (const Job& jb : jobs) cells += jb.n * std::min(jb.m, 2 * jb.r + 1);
  const int64_t useful = std::max<int64_t>(1, std::min(groups, cells >> 22));
  const int threads = static_cast<int>(std::min<int64_t>(thread_count(opt), useful));
#pragma omp parallel num_threads(threads)
  {
    Scratch ws;
#pragma omp for schedule(dynamic, 1)
    for (int64_t gi = 0; gi < groups; ++gi) {
      Group<T> g;
      g.channels = a.channels;
      const std::size_t first = static_cast<std::size_t>(gi) * W;
      const std::size_t last = std::min(jobs.size(), first + W);
      int64_t N = 0, M = 0;
      for (std::size_t q = first; q < last; ++q) {
        const int l = static_cast<int>(q - first);
        const Job& jb = jobs[q];
        g.x[l] = a.series(static_cast<std::size_t>(pairs[jb.p].a)).data;
        g.y[l] = b.series(static_cast<std::size_t>(pairs[jb.p].b)).data;
        g.n[l] = jb.n;
        g.m[l] = jb.m;
        g.r[l] = jb.r;
        N = std::max(N, jb.n);
        M = std::max(M, jb.m);
      }
      g.count = static_cast<int>(last - first);
      void* w = ws.get(cpu::group_workspace_bytes(W * sizeof(T), a.channels, N, M));
      run_group(level, g, w);
      for (std::size_t q = first; q < last; ++q)
        out[jobs[q].p] = finish(g.acc[q - first], opt.squared);
    }
  }
}

template <class T>
BatchView<T> single(const SeriesRef<T>& s, int64_t* offsets) {
  offsets[0] = 0;
  offsets[1] = s.length;
  const std::size_t count = static_cast<std::size_t>(s.length) *
                            static_cast<std::size_t>(s.channels > 0 ? s.channels : 0);
  return {std::span<const T>(s.data, s.data ? count : 0), std::span<const int64_t>(offsets, 2),
          s.channels};
}

/// Rows [r0, r1) of the cross matrix (all j, or j > i when symmetric), computed on the CPU.
template <class T>
void cpu_cross(const BatchView<T>& a, const BatchView<T>& b, std::span<T> out, const Options& opt,
               bool symmetric) {
  const auto na = static_cast<int64_t>(a.size()), nb = static_cast<int64_t>(b.size());
  const Flags nan_a = nonfinite_flags(a);
  const Flags nan_b = symmetric ? nan_a : nonfinite_flags(b);
  constexpr int64_t kChunk = 1 << 20;  // pairs per chunk: bounds the temporary pair list
  std::vector<PairIndex> list;
  std::vector<T> vals;
  int64_t i = 0;
  while (i < na) {
    list.clear();
    const int64_t i0 = i;
    while (i < na && static_cast<int64_t>(list.size()) < kChunk) {
      for (int64_t j = symmetric ? i + 1 : 0; j < nb; ++j) list.push_back({i, j});
      ++i;
    }
    vals.resize(list.size());
    cpu_pairs(a, b, std::span<const PairIndex>(list), vals.data(), opt, nan_a, nan_b);
    for (std::size_t p = 0; p < list.size(); ++p) {
      out[static_cast<std::size_t>(list[p].a * nb + list[p].b)] = vals[p];
      if (symmetric) out[static_cast<std::size_t>(list[p].b * nb + list[p].a)] = vals[p];
    }
    if (symmetric)
      for (int64_t d = i0; d < i; ++d) out[static_cast<std::size_t>(d * nb + d)] = T(0);
  }
}

}  // namespace

// ---- public API -----------------------------------------------------------------------------

template <class T>
void pairs(const BatchView<T>& a, const BatchView<T>& b, std::span<const PairIndex> pairs,
           std::span<T> out, const Options& opt) {
  check_batches(a, b, opt.band);
  check_out(out.size(), pairs.size(), "pairs");
  check_pairs(a, b, pairs);
  if (pick_backend(opt, a, b) == Backend::cuda) {
    cuda::pairs(a, b, pairs, out, opt);
    return;
  }
  cpu_pairs(a, b, pairs, out.data(), opt, nonfinite_flags(a), nonfinite_flags(b));
}

/// The checks a single (x, y) pair needs before it is run as a batch of one.
template <class T>
void check_single_pair(SeriesRef<T> x, SeriesRef<T> y) {
  if (x.channels != y.channels)
    throw InputError("DTW: series have different channel counts (" + std::to_string(x.channels) +
                     " and " + std::to_string(y.channels) + ")");
  if (x.length < 0 || y.length < 0) throw InputError("DTW: negative series length");
}

template <class T>
T distance(SeriesRef<T> x, SeriesRef<T> y, const Options& opt) {
  check_single_pair(x, y);
  int64_t ox[2], oy[2];
  const BatchView<T> a = single(x, ox), b = single(y, oy);
  const PairIndex p{0, 0};
  T out{};
  dtw::pairs(a, b, std::span<const PairIndex>(&p, 1), std::span<T>(&out, 1), opt);
  return out;
}

template <class T>
void one_vs_many(SeriesRef<T> query, const BatchView<T>& refs, std::span<T> out,
                 const Options& opt) {
  if (query.length < 0) throw InputError("DTW: negative query length");
  int64_t oq[2];
  const BatchView<T> q = single(query, oq);
  std::vector<PairIndex> list(refs.size());
  for (std::size_t i = 0; i < list.size(); ++i) list[i] = {0, static_cast<int64_t>(i)};
  check_out(out.size(), refs.size(), "one_vs_many");
  dtw::pairs(q, refs, std::span<const PairIndex>(list), out, opt);
}

template <class T>
void cross(const BatchView<T>& a, const BatchView<T>& b, std::span<T> out, const Options& opt) {
  check_batches(a, b, opt.band);
  check_out(out.size(), detail::checked_product(a.size(), b.size(), "cross"), "cross");
  if (pick_backend(opt, a, b) == Backend::cuda) {
    cuda::cross(a, b, out, opt, false);
    return;
  }
  cpu_cross(a, b, out, opt, false);
}

template <class T>
void all_pairs(const BatchView<T>& batch, std::span<T> out, const Options& opt) {
  check_batch(batch, "batch");
  check_band(opt.band);
  check_out(out.size(), detail::checked_product(batch.size(), batch.size(), "all_pairs"),
            "all_pairs");
  if (pick_backend(opt, batch, batch) == Backend::cuda) {
    cuda::cross(batch, batch, out, opt, true);
    return;
  }
  cpu_cross(batch, batch, out, opt, true);
}

// ---- paths ----------------------------------------------------------------------------------

namespace {

/// Scalar DP with band-compressed direction codes, then backtracking. x, y non-empty, no NaN.
template <class T>
Path cpu_path(const SeriesRef<T>& x, const SeriesRef<T>& y, int64_t r, bool squared) {
  const int64_t n = x.length, m = y.length;
  const T inf = std::numeric_limits<T>::infinity();
  std::vector<int64_t> row_off(static_cast<std::size_t>(n + 1), 0);
  for (int64_t i = 0; i < n; ++i)
    row_off[i + 1] = row_off[i] + detail::band_hi(i, r, m) - detail::band_lo(i, r) + 1;
  std::vector<uint8_t> dirs(static_cast<std::size_t>(row_off[n]));
  std::vector<T> prev(static_cast<std::size_t>(m + 1), inf),
      cur(static_cast<std::size_t>(m + 1), inf);
  prev[0] = T(0);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t lo = detail::band_lo(i, r), hi = detail::band_hi(i, r, m);
    cur[lo] = inf;
    uint8_t* d = dirs.data() + row_off[i];
    for (int64_t j = lo; j <= hi; ++j) {
      const T c = detail::frame_cost(x.data, n, i, y.data, m, j, x.channels);
      uint8_t dir;
      const T best = detail::min3_dir(prev[j], prev[j + 1], cur[j], &dir);
      cur[j + 1] = c + best;
      d[j - lo] = dir;
    }
    std::swap(prev, cur);
  }
  const T acc = prev[m];
  Path p;
  p.distance = static_cast<double>(finish(acc, squared));
  int64_t i = n - 1, j = m - 1;
  p.steps.reserve(static_cast<std::size_t>(n + m));
  p.steps.emplace_back(static_cast<int32_t>(i), static_cast<int32_t>(j));
  while (i > 0 || j > 0) {
    uint8_t dir;
    if (i == 0)
      dir = detail::kDirLeft;
    else if (j == 0)
      dir = detail::kDirUp;
    else
      dir = dirs[row_off[i] + (j - detail::band_lo(i, r))];
    if (dir == detail::kDirDiag) {
      --i;
      --j;
    } else if (dir == detail::kDirUp) {
      --i;
    } else {
      --j;
    }
    p.steps.emplace_back(static_cast<int32_t>(i), static_cast<int32_t>(j));
  }
  std::reverse(p.steps.begin(), p.steps.end());
  return p;
}

}  // namespace

template <class T>
std::vector<Path> paths(const BatchView<T>& a, const BatchView<T>& b,
                        std::span<const PairIndex> pairs, const Options& opt) {
  check_batches(a, b, opt.band);
  check_pairs(a, b, pairs);
  if (pick_backend(opt, a, b) == Backend::cuda) return cuda::paths(a, b, pairs, opt);
  const Flags nan_a = nonfinite_flags(a), nan_b = nonfinite_flags(b);
  std::vector<Path> out(pairs.size());
  const auto count = static_cast<int64_t>(pairs.size());
  const int threads =
      static_cast<int>(std::min<int64_t>(thread_count(opt), std::max<int64_t>(count, 1)));
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (int64_t p = 0; p < count; ++p) {
    const auto ia = static_cast<std::size_t>(pairs[p].a), ib = static_cast<std::size_t>(pairs[p].b);
    const SeriesRef<T> x = a.series(ia), y = b.series(ib);
    T t{};
    if (trivial(x.length, y.length, nan_a[ia] || nan_b[ib], &t)) {
      out[p].distance = static_cast<double>(t);
      continue;
    }
    out[p] = cpu_path(x, y, opt.band.radius(x.length, y.length), opt.squared);
  }
  return out;
}

template <class T>
Path path(SeriesRef<T> x, SeriesRef<T> y, const Options& opt) {
  check_single_pair(x, y);
  int64_t ox[2], oy[2];
  const BatchView<T> a = single(x, ox), b = single(y, oy);
  const PairIndex p{0, 0};
  return std::move(paths(a, b, std::span<const PairIndex>(&p, 1), opt)[0]);
}

// ---- knn ------------------------------------------------------------------------------------

namespace {

struct Best {
  double value;  // as returned (sqrt unless squared)
  double acc;    // accumulated squared cost
  int64_t index;
};
bool before(double va, int64_t ia, double vb, int64_t ib) {
  // NaN sorts last, ties by lower index
  const bool na = std::isnan(va), nb = std::isnan(vb);
  if (na != nb) return nb;
  if (!na && va != vb) return va < vb;
  return ia < ib;
}

struct TopK {
  std::size_t k;
  std::vector<Best> items;  // sorted
  void offer(const Best& b) {
    if (items.size() == k && !before(b.value, b.index, items.back().value, items.back().index))
      return;
    auto it = std::upper_bound(items.begin(), items.end(), b, [](const Best& x, const Best& y) {
      return before(x.value, x.index, y.value, y.index);
    });
    items.insert(it, b);
    if (items.size() > k) items.pop_back();
  }
  bool full() const { return items.size() == k; }
};

/// Upper/lower envelope of the query over positions j in [0, len): min/max of q[i] for
/// i in [j - r, j + r] ∩ [0, n), per channel.
template <class T>
void envelope(const SeriesRef<T>& q, int64_t r, int64_t len, std::vector<double>& lower,
              std::vector<double>& upper) {
  const int64_t n = q.length;
  lower.assign(static_cast<std::size_t>(len * q.channels), 0);
  upper.assign(static_cast<std::size_t>(len * q.channels), 0);
  for (int c = 0; c < q.channels; ++c)
    for (int64_t j = 0; j < len; ++j) {
      const int64_t lo = std::max<int64_t>(0, j - r), hi = std::min(n - 1, j + r);
      double mn = std::numeric_limits<double>::infinity(), mx = -mn;
      for (int64_t i = lo; i <= hi; ++i) {
        const double v = q.at(c, i);
        mn = std::min(mn, v);
        mx = std::max(mx, v);
      }
      lower[static_cast<std::size_t>(c * len + j)] = mn;
      upper[static_cast<std::size_t>(c * len + j)] = mx;
    }
}

}  // namespace

template <class T>
std::vector<std::vector<Neighbor>> knn(const BatchView<T>& queries, const BatchView<T>& library,
                                       int k, const Options& opt, KnnStats* stats) {
  check_batch(queries, "queries");
  check_batch(library, "library");
  check_same_channels(queries, library);
  check_band(opt.band);
  const Backend backend = pick_backend(opt, queries, library);
  if (k < 1) throw InputError("DTW knn: k must be >= 1, got " + std::to_string(k));
  const std::size_t nq = queries.size(), nl = library.size();
  const std::size_t kk = std::min<std::size_t>(static_cast<std::size_t>(k), nl);
  std::vector<std::vector<Neighbor>> result(nq);
  KnnStats total;
  total.candidates = static_cast<int64_t>(nq * nl);
  if (nl == 0 || nq == 0) {
    if (stats) *stats = total;
    return result;
  }
  auto to_neighbors = [](const TopK& top) {
    std::vector<Neighbor> v;
    for (const Best& b : top.items) v.push_back({b.index, b.value});
    return v;
  };
  if (backend == Backend::cuda) {
    std::vector<T> d(detail::checked_product(nq, nl, "knn"));
    cuda::cross(queries, library, std::span<T>(d), opt, false);
    for (std::size_t q = 0; q < nq; ++q) {
      TopK top{kk, {}};
      for (std::size_t j = 0; j < nl; ++j)
        top.offer({static_cast<double>(d[q * nl + j]), 0.0, static_cast<int64_t>(j)});
      result[q] = to_neighbors(top);
    }
    total.full_dtw = total.candidates;
    if (stats) *stats = total;
    return result;
  }
  const Level level = resolve_level(opt.simd);
  const int W = cpu::lanes<T>(level);
  const Flags nan_q = nonfinite_flags(queries), nan_l = nonfinite_flags(library);
  const double eps = std::numeric_limits<T>::epsilon();
  const int C = queries.channels;
  const auto nq64 = static_cast<int64_t>(nq);
  const int threads = static_cast<int>(std::min<int64_t>(thread_count(opt), nq64));
  int64_t pruned_kim = 0, pruned_keogh = 0, abandoned = 0, full = 0;
#pragma omp parallel num_threads(threads) reduction(+ : pruned_kim, pruned_keogh, abandoned, full)
  {
    Scratch ws;
    std::vector<double> lower, upper;
    struct Cand {
      double lb;
      double kim;
      int64_t index;
      int64_t r;
    };
    std::vector<Cand> cands;
#pragma omp for schedule(dynamic, 1)
    for (int64_t qi = 0; qi < nq64; ++qi) {
      const SeriesRef<T> q = queries.series(static_cast<std::size_t>(qi));
      const int64_t n = q.length;
      TopK top{kk, {}};
      cands.clear();
      int64_t env_r = -1, env_len = -1;
      for (std::size_t j = 0; j < nl; ++j) {
        const SeriesRef<T> y = library.series(j);
        T t{};
        if (trivial(n, y.length, nan_q[static_cast<std::size_t>(qi)] || nan_l[j], &t)) {
          ++full;
          top.offer({static_cast<double>(t), static_cast<double>(t), static_cast<int64_t>(j)});
          continue;
        }
        const int64_t m = y.length, r = opt.band.radius(n, m);
        // LB_Kim: the path visits (0, 0) and (n-1, m-1).
        double kim = 0;
        for (int c = 0; c < C; ++c) {
          const double d0 = static_cast<double>(q.at(c, 0)) - y.at(c, 0);
          kim += d0 * d0;
          if (n > 1 || m > 1) {
            const double d1 = static_cast<double>(q.at(c, n - 1)) - y.at(c, m - 1);
            kim += d1 * d1;
          }
        }
        // LB_Keogh: every column j of y meets some row i with |i - j| <= r.
        const int64_t len = std::max(env_len, m);
        if (r != env_r || len != env_len) {
          envelope(q, r, len, lower, upper);
          env_r = r;
          env_len = len;
        }
        double keogh = 0;
        for (int c = 0; c < C; ++c)
          for (int64_t jj = 0; jj < m; ++jj) {
            const double v = y.at(c, jj);
            const double lo = lower[static_cast<std::size_t>(c * env_len + jj)];
            const double hi = upper[static_cast<std::size_t>(c * env_len + jj)];
            const double e = v > hi ? v - hi : v < lo ? lo - v : 0.0;
            keogh += e * e;
          }
        // Lower bounds are exact in float64; the DTW runs in T, whose rounding may put it a
        // little below the true value: shrink the bounds by a safe relative margin.
        const double margin = 1.0 - 4.0 * eps * static_cast<double>(n + m + C);
        cands.push_back({std::max(kim, keogh) * margin, kim * margin, static_cast<int64_t>(j), r});
      }
      std::sort(cands.begin(), cands.end(), [](const Cand& x, const Cand& y) {
        return x.lb != y.lb ? x.lb < y.lb : x.index < y.index;
      });
      // threshold on the accumulated cost beyond which a candidate cannot enter the top k (also
      // not on a tie after the square root): kth acc * (1 + 8 eps).
      auto threshold = [&]() -> double {
        if (!top.full()) return std::numeric_limits<double>::infinity();
        const Best& kth = top.items.back();
        if (std::isnan(kth.value)) return std::numeric_limits<double>::infinity();
        return kth.acc * (1.0 + 8.0 * eps);
      };
      std::size_t c0 = 0;
      while (c0 < cands.size()) {
        const double thr = threshold();
        if (cands[c0].lb > thr) {  // sorted: every remaining one is pruned
          for (std::size_t c = c0; c < cands.size(); ++c) {
            if (cands[c].kim > thr)
              ++pruned_kim;
            else
              ++pruned_keogh;
          }
          break;
        }
        Group<T> g;
        g.channels = C;
        int64_t M = 0;
        std::size_t c = c0;
        while (c < cands.size() && g.count < W && cands[c].lb <= thr) {
          const SeriesRef<T> y = library.series(static_cast<std::size_t>(cands[c].index));
          const int l = g.count++;
          g.x[l] = q.data;
          g.y[l] = y.data;
          g.n[l] = n;
          g.m[l] = y.length;
          g.r[l] = cands[c].r;
          M = std::max(M, y.length);
          ++c;
        }
        if (std::isfinite(thr)) {
          g.use_threshold = true;
          T t = static_cast<T>(thr);
          if (static_cast<double>(t) < thr)
            t = std::nextafter(t, std::numeric_limits<T>::infinity());
          g.threshold = t;
        }
        void* w = ws.get(cpu::group_workspace_bytes(W * sizeof(T), C, n, M));
        run_group(level, g, w);
        if (g.abandoned) {
          abandoned += g.count;
        } else {
          for (int l = 0; l < g.count; ++l) {
            ++full;
            top.offer({static_cast<double>(finish(g.acc[l], opt.squared)),
                       static_cast<double>(g.acc[l]), cands[c0 + l].index});
          }
        }
        c0 = c;
      }
      result[static_cast<std::size_t>(qi)] = to_neighbors(top);
    }
  }
  total.pruned_kim = pruned_kim;
  total.pruned_keogh = pruned_keogh;
  total.abandoned = abandoned;
  total.full_dtw = full;
  if (stats) *stats = total;
  return result;
}

#define SP_INSTANTIATE(T)                                                                         \
  template T distance<T>(SeriesRef<T>, SeriesRef<T>, const Options&);                             \
  template void pairs<T>(const BatchView<T>&, const BatchView<T>&, std::span<const PairIndex>,    \
                         std::span<T>, const Options&);                                           \
  template void one_vs_many<T>(SeriesRef<T>, const BatchView<T>&, std::span<T>, const Options&);  \
  template void cross<T>(const BatchView<T>&, const BatchView<T>&, std::span<T>, const Options&); \
  template void all_pairs<T>(const BatchView<T>&, std::span<T>, const Options&);                  \
  template Path path<T>(SeriesRef<T>, SeriesRef<T>, const Options&);                              \
  template std::vector<Path> paths<T>(const BatchView<T>&, const BatchView<T>&,                   \
                                      std::span<const PairIndex>, const Options&);                \
  template std::vector<std::vector<Neighbor>> knn<T>(const BatchView<T>&, const BatchView<T>&,    \
                                                     int, const Options&, KnnStats*);
SP_INSTANTIATE(float)
SP_INSTANTIATE(double)
#undef SP_INSTANTIATE

}  // namespace swingpipe::dtw
