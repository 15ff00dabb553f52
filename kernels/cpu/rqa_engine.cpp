// The CPU RQA tile engine (rqa_internal.hpp: cpu_lines, cpu_passes).
//
// A tile is 64 rows x 64 columns of recurrence bits, R[t] bit u = cell (i0 + t, j0 + u), computed
// by the SIMD template (rqa_tiles.hpp). Three views of it give every line direction as runs of
// bits inside 64-bit words (common/rqa_math.hpp's emit_runs):
//   columns    C = transpose(R): C[u] bit t = (i0 + t, j0 + u)            -> vertical + white
//   rows       R itself (auto-recurrence: row i of the upper triangle is column i of the lower)
//   diagonals  D = transpose(rotr(R[t], t)): D[p] bit t = (i0 + t, j0 + (p + t) mod 64); bits
//              t < 64 - p lie on diagonal j - i = j0 - i0 + p, bits t >= 64 - p on j0 - i0 + p
//              - 64.
// A run that reaches a tile edge is carried in an O(n) array (per column, row and diagonal) into
// the next tile of that line. Threads take rows of tiles in order and walk them left to right;
// tile (I, J) starts once row I - 1 has finished tile J, the last tile that hands it a carry, so
// every line's tiles are processed in order without locks. Histograms are per thread.
//
// Auto-recurrence (symmetric) computes the upper triangle j >= i only. When vertical lines cross
// the main diagonal (w_vert == 0) a column's run that reaches the diagonal cell is handed to the
// row of that cell (the lower half of the same column) inside the diagonal tile.
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/rqa_math.hpp"
#include "cpu/rqa_internal.hpp"
#include "cpu/rqa_tiles.hpp"
#include "swingpipe/error.hpp"

namespace swingpipe::rqa {

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

namespace cpu {
namespace {

enum class Level { scalar, avx2, avx512 };

Level resolve_level(Simd simd) {
  if (simd == Simd::best)
    simd = cpu_supports(Simd::avx512) ? Simd::avx512
           : cpu_supports(Simd::avx2) ? Simd::avx2
                                      : Simd::scalar;
  if (!cpu_supports(simd))
    throw InputError("RQA: SIMD level '" + std::string(to_string(simd)) +
                     "' is not supported by this CPU");
  return simd == Simd::avx512 ? Level::avx512 : simd == Simd::avx2 ? Level::avx2 : Level::scalar;
}

template <class T>
void tile_views(Level l, const TileJob<T>& jb, int64_t i0, int64_t j0, int rows, int cols,
                bool lower_clear, TileViews& v) {
  if (l == Level::avx512)
    tile_views_avx512(jb, i0, j0, rows, cols, lower_clear, v);
  else if (l == Level::avx2)
    tile_views_avx2(jb, i0, j0, rows, cols, lower_clear, v);
  else
    tile_views_scalar(jb, i0, j0, rows, cols, lower_clear, v);
}

template <class T>
T tile_max(Level l, const TileJob<T>& jb, int64_t i0, int64_t j0, int rows, int cols) {
  if (l == Level::avx512) return tile_max_avx512(jb, i0, j0, rows, cols);
  if (l == Level::avx2) return tile_max_avx2(jb, i0, j0, rows, cols);
  return tile_max_scalar(jb, i0, j0, rows, cols);
}

template <class T>
void tile_count(Level l, const TileJob<T>& jb, int64_t i0, int64_t j0, int rows,
                const uint64_t* mask, CountJob<T>& cj) {
  if (l == Level::avx512)
    tile_count_avx512(jb, i0, j0, rows, mask, cj);
  else if (l == Level::avx2)
    tile_count_avx2(jb, i0, j0, rows, mask, cj);
  else
    tile_count_scalar(jb, i0, j0, rows, mask, cj);
}

template <class T>
TileJob<T> tile_job(const detail::WalkProblem<T>& w) {
  TileJob<T> jb;
  jb.x = w.x.base;
  jb.xs = w.x.stride;
  jb.y = w.y.base;
  jb.ys = w.y.stride;
  jb.dims = w.x.dims;
  jb.norm = static_cast<int>(w.norm);
  jb.limit = w.limit;
  jb.joint = w.joint;
  if (w.joint) {
    jb.x2 = w.x2.base;
    jb.x2s = w.x2.stride;
    jb.y2 = w.y2.base;
    jb.y2s = w.y2.stride;
    jb.dims2 = w.x2.dims;
    jb.limit2 = w.limit2;
  }
  return jb;
}

int useful_threads(int requested, int64_t tiles) {
  const int want = requested > 0 ? requested : omp_get_max_threads();
  // One thread per ~1000 tiles (4M cells, about a millisecond): fewer wakes help small matrices.
  const int64_t useful = std::max<int64_t>(1, tiles >> 10);
  return static_cast<int>(std::min<int64_t>(want, useful));
}

struct Hist {
  std::vector<int64_t> diag, vert, white;
  explicit Hist(std::size_t n) : diag(n, 0), vert(n, 0), white(n, 0) {}
};

template <class T>
class TileEngine {
 public:
  TileEngine(const detail::LineProblem<T>& p, Level level)
      : w_(p.walk),
        job_(tile_job(p.walk)),
        level_(level),
        nx_(p.walk.x.count),
        ny_(p.walk.y.count),
        sym_(p.symmetric),
        through_(p.symmetric && p.walk.w_vert == 0),
        vc_(static_cast<std::size_t>(ny_), 0),
        vwc_(static_cast<std::size_t>(ny_), 0),
        hc_(sym_ ? static_cast<std::size_t>(nx_) : 0, 0),
        hwc_(sym_ ? static_cast<std::size_t>(nx_) : 0, 0),
        dc_(static_cast<std::size_t>(nx_ + ny_), 0) {}

  Histograms run(int threads, const std::function<void(double)>& progress) {
    const int64_t nbx = (nx_ + 63) / 64, nby = (ny_ + 63) / 64;
    const int64_t tiles = sym_ ? nbx * (nbx + 1) / 2 : nbx * nby;
    const int th = useful_threads(threads, tiles);
    const std::size_t hn = static_cast<std::size_t>(std::max(nx_, ny_) + 1);
    std::vector<Hist> hists;
    hists.reserve(static_cast<std::size_t>(th));
    for (int t = 0; t < th; ++t) hists.emplace_back(hn);
    // Rows of tiles go to threads in order; tile (I, J) waits until row I - 1 has finished tile
    // J (the last of its carries into (I, J)), so each line's carry is handed on in order.
    std::vector<std::atomic<int64_t>> done(static_cast<std::size_t>(nbx));
    for (int64_t I = 0; I < nbx; ++I) done[static_cast<std::size_t>(I)].store(sym_ ? I : 0);
    std::atomic<int64_t> next_row{0}, finished{0};
    std::atomic<bool> stop{false};
    std::exception_ptr failed;
#pragma omp parallel num_threads(th)
    {
      const bool reporter = omp_get_thread_num() == 0 && static_cast<bool>(progress);
      Hist& h = hists[static_cast<std::size_t>(omp_get_thread_num())];
      double reported = 0;
      for (int64_t I = next_row++; I < nbx && !stop.load(std::memory_order_relaxed);
           I = next_row++) {
        for (int64_t J = sym_ ? I : 0; J < nby; ++J) {
          if (I > 0) wait_for(done[static_cast<std::size_t>(I - 1)], J, stop);
          if (stop.load(std::memory_order_relaxed)) break;
          tile(I, J, h);
          done[static_cast<std::size_t>(I)].store(J + 1, std::memory_order_release);
          const int64_t all = ++finished;
          const double f = static_cast<double>(all) / static_cast<double>(tiles);
          if (reporter && (f - reported >= 0.005 || all == tiles)) {
            reported = f;
            try {
              progress(f);
            } catch (...) {
              failed = std::current_exception();
              stop = true;
            }
          }
        }
      }
    }
    if (failed) std::rethrow_exception(failed);
    if (progress && finished.load() == tiles) progress(1.0);
    flush(hists[0]);
    return merge(hists);
  }

 private:
  /// Spins (yielding) until row_done > J: the row above has finished tile J.
  static void wait_for(const std::atomic<int64_t>& row_done, int64_t J,
                       const std::atomic<bool>& stop) {
    for (int spins = 0; row_done.load(std::memory_order_acquire) <= J; ++spins) {
      if (stop.load(std::memory_order_relaxed)) return;
      if (spins > 64) std::this_thread::yield();
    }
  }

  void tile(int64_t I, int64_t J, Hist& h) {
    const int64_t i0 = I * 64, j0 = J * 64;
    const int rows = static_cast<int>(std::min<int64_t>(64, nx_ - i0));
    const int cols = static_cast<int>(std::min<int64_t>(64, ny_ - j0));
    const bool diag_tile = sym_ && I == J;
    TileViews views;
    tile_views(level_, job_, i0, j0, rows, cols, diag_tile, views);
    const uint64_t* R = views.R;
    const uint64_t* C = views.C;
    const uint64_t* D = views.D;
    auto vert = [&h](uint32_t len) { ++h.vert[len]; };
    auto white = [&h](uint32_t len) { ++h.white[len]; };
    auto diag = [&h](uint32_t len) { ++h.diag[len]; };

    // Columns: vertical and white lines (the upper part of each column when symmetric).
    uint32_t tb[64], tw[64];
    for (int u = 0; u < cols; ++u) {
      const int64_t j = j0 + u;
      uint64_t vm;
      bool keep;
      if (!sym_) {
        vm = detail::column_valid(nx_, w_.w_vert, i0, j);
        keep = (detail::column_valid(nx_, w_.w_vert, i0 + 64, j) & 1) != 0;
      } else if (through_) {
        vm = detail::bit_range(0, j + 1 - i0);  // rows <= j
        keep = true;
      } else {
        const int64_t last = j - w_.w_vert;  // last row of the upper part
        vm = detail::bit_range(0, last + 1 - i0);
        keep = i0 + 64 <= last;
      }
      if (!vm) continue;
      const uint64_t b = C[u] & vm, wb = ~C[u] & vm;
      if (through_ && diag_tile) {  // the column's upper part ends at its diagonal cell (row u)
        tb[u] = detail::emit_runs(b, u, vc_[j], true, vert);
        tw[u] = detail::emit_runs(wb, u, vwc_[j], true, white);
        vc_[j] = vwc_[j] = 0;
      } else {
        vc_[j] = detail::emit_runs(b, 63, vc_[j], keep, vert);
        vwc_[j] = detail::emit_runs(wb, 63, vwc_[j], keep, white);
      }
    }

    // Rows (symmetric): row i of the upper triangle is the lower part of column i.
    if (sym_) {
      const bool keep = j0 + 64 < ny_;
      for (int t = 0; t < rows; ++t) {
        const int64_t i = i0 + t;
        const uint64_t rm = detail::bit_range(i + w_.w_vert - j0, ny_ - j0);
        if (!rm) continue;
        const uint64_t b = R[t] & rm, wb = ~R[t] & rm;
        if (through_ && diag_tile) {  // starts at the diagonal cell, joined to the column's run
          const uint32_t cb = tb[t] > 0 ? tb[t] - 1 : 0, cw = tw[t] > 0 ? tw[t] - 1 : 0;
          hc_[i] = detail::emit_runs(b >> t, 63 - t, cb, keep, vert);
          hwc_[i] = detail::emit_runs(wb >> t, 63 - t, cw, keep, white);
        } else {
          hc_[i] = detail::emit_runs(b, 63, hc_[i], keep, vert);
          hwc_[i] = detail::emit_runs(wb, 63, hwc_[i], keep, white);
        }
      }
    }

    // Diagonals.
    const int64_t base = j0 - i0;
    for (int p = 0; p < 64; ++p) {
      const int64_t d_low = base + p;
      if (diagonal_ok(d_low)) {
        const bool keep = i0 + 64 - p < nx_ && j0 + 64 < ny_;
        uint32_t& c = dc_[static_cast<std::size_t>(d_low + nx_ - 1)];
        c = detail::emit_runs(D[p] & detail::low_bits(64 - p), 63 - p, c, keep, diag);
      }
      if (p == 0) continue;
      const int64_t d_high = base + p - 64;
      if (diagonal_ok(d_high)) {
        const bool keep = i0 + 64 < nx_ && j0 + p < ny_;
        uint32_t& c = dc_[static_cast<std::size_t>(d_high + nx_ - 1)];
        c = detail::emit_runs(D[p] >> (64 - p), p - 1, c, keep, diag);
      }
    }
  }

  bool diagonal_ok(int64_t d) const {
    if (d <= -nx_ || d >= ny_) return false;
    if (sym_) return d >= std::max<int64_t>(w_.w_diag, 1);
    return (d < 0 ? -d : d) >= w_.w_diag;
  }

  void flush(Hist& h) {
    for (uint32_t c : vc_) ++h.vert[c];
    for (uint32_t c : vwc_) ++h.white[c];
    for (uint32_t c : hc_) ++h.vert[c];
    for (uint32_t c : hwc_) ++h.white[c];
    for (uint32_t c : dc_) ++h.diag[c];
  }

  Histograms merge(const std::vector<Hist>& hists) const {
    const std::size_t n = hists[0].vert.size();
    std::vector<int64_t> d(n, 0), v(n, 0), wh(n, 0);
    for (const Hist& h : hists)
      for (std::size_t l = 1; l < n; ++l) {
        d[l] += h.diag[l];
        v[l] += h.vert[l];
        wh[l] += h.white[l];
      }
    detail::LineProblem<T> p{w_, sym_};
    const detail::DiagonalPlan plan = detail::diagonal_plan(p);
    for (auto& x : d) x *= plan.weight;
    if (plan.main_line > 0) d[static_cast<std::size_t>(plan.main_line)] += 1;
    d[0] = v[0] = wh[0] = 0;
    auto trim = [](std::vector<int64_t>& x) {
      while (!x.empty() && x.back() == 0) x.pop_back();
    };
    trim(d);
    trim(v);
    trim(wh);
    return {std::move(d), std::move(v), std::move(wh)};
  }

  detail::WalkProblem<T> w_;
  TileJob<T> job_;
  Level level_;
  int64_t nx_, ny_;
  bool sym_, through_;
  std::vector<uint32_t> vc_, vwc_, hc_, hwc_, dc_;
};

/// The largest value over every cell of an nx x ny matrix, tile by tile (all cells: the max is
/// symmetric anyway; `sym` computes the upper triangle only).
template <class T>
T max_by_tiles(Level level, const TileJob<T>& job, int64_t nx, int64_t ny, bool sym, int th) {
  const int64_t nbx = (nx + 63) / 64, nby = (ny + 63) / 64;
  T best = T(0);
#pragma omp parallel for schedule(dynamic, 1) num_threads(th) reduction(max : best)
  for (int64_t I = 0; I < nbx; ++I)
    for (int64_t J = sym ? I : 0; J < nby; ++J) {
      const int64_t i0 = I * 64, j0 = J * 64;
      const T m = tile_max(level, job, i0, j0, static_cast<int>(std::min<int64_t>(64, nx - i0)),
                           static_cast<int>(std::min<int64_t>(64, ny - j0)));
      best = best < m ? m : best;
    }
  return best;
}

/// The largest value of a region, exactly, mostly without visiting every cell: a pair (a, b)
/// found by two farthest-point scans gives a lower bound L; a point whose distance to the farthest
/// corner of the other cloud's bounding box (an upper bound on all its distances, in float64) is
/// below L (less a margin for rounding) cannot be an end of the largest pair. The remaining points
/// (about a tenth of a Lorenz trajectory) are gathered and compared all against all.
template <class T>
T pruned_max(const detail::Region<T>& r, Level level, int th) {
  const int64_t nx = r.x.count, ny = r.y.count;
  const int dims = r.x.dims;
  detail::WalkProblem<T> w;
  w.x = r.x;
  w.y = r.y;
  w.norm = r.norm;
  const TileJob<T> full = tile_job(w);
  if (nx * ny <= (int64_t{1} << 20)) return max_by_tiles(level, full, nx, ny, r.symmetric, th);
  const bool euclid = r.norm == detail::NormCode::euclidean;
  auto distance = [&](int64_t i, int64_t j) {
    const double v = static_cast<double>(
        detail::cell_value(r.norm, r.x.base, r.x.stride, i, r.y.base, r.y.stride, j, dims));
    return euclid ? std::sqrt(v) : v;
  };
  auto box = [&](const detail::Cloud<T>& c, std::vector<double>& lo, std::vector<double>& hi) {
    lo.assign(static_cast<std::size_t>(dims), std::numeric_limits<double>::infinity());
    hi.assign(static_cast<std::size_t>(dims), -std::numeric_limits<double>::infinity());
    for (int d = 0; d < dims; ++d)
      for (int64_t i = 0; i < c.count; ++i) {
        const double v = static_cast<double>(c.base[d * c.stride + i]);
        lo[static_cast<std::size_t>(d)] = std::min(lo[static_cast<std::size_t>(d)], v);
        hi[static_cast<std::size_t>(d)] = std::max(hi[static_cast<std::size_t>(d)], v);
      }
  };
  std::vector<double> xlo, xhi, ylo, yhi;
  box(r.x, xlo, xhi);
  box(r.y, ylo, yhi);
  // Lower bound: x_0 -> farthest y_b -> farthest x_a.
  int64_t b = 0, a = 0;
  double best = -1;
  for (int64_t j = 0; j < ny; ++j)
    if (const double d = distance(0, j); d > best) best = d, b = j;
  best = -1;
  for (int64_t i = 0; i < nx; ++i)
    if (const double d = distance(i, b); d > best) best = d, a = i;
  const double margin = sizeof(T) == 4 ? 1e-4 : 1e-12;
  const double L = best * (1 - margin);
  auto candidates = [&](const detail::Cloud<T>& c, const std::vector<double>& lo,
                        const std::vector<double>& hi) {
    std::vector<int64_t> out;
    for (int64_t i = 0; i < c.count; ++i) {
      double acc = 0;
      for (int d = 0; d < dims; ++d) {
        const double v = static_cast<double>(c.base[d * c.stride + i]);
        const double f = std::max(std::abs(v - lo[static_cast<std::size_t>(d)]),
                                  std::abs(hi[static_cast<std::size_t>(d)] - v));
        acc = euclid ? acc + f * f
                     : (r.norm == detail::NormCode::maximum ? std::max(acc, f) : acc + f);
      }
      if ((euclid ? std::sqrt(acc) : acc) * (1 + 1e-12) >= L) out.push_back(i);
    }
    return out;
  };
  const std::vector<int64_t> cx = candidates(r.x, ylo, yhi);
  const std::vector<int64_t> cy = r.symmetric ? cx : candidates(r.y, xlo, xhi);
  const auto nc = static_cast<double>(cx.size()) * static_cast<double>(cy.size());
  if (nc * 4 > static_cast<double>(nx) * static_cast<double>(ny) * (r.symmetric ? 0.5 : 1.0))
    return max_by_tiles(level, full, nx, ny, r.symmetric, th);
  // Gather the candidates into padded dims-major copies and compare them all against all.
  auto gather = [&](const detail::Cloud<T>& c, const std::vector<int64_t>& idx,
                    std::vector<T>& buf) {
    const int64_t stride = (static_cast<int64_t>(idx.size()) + 63) / 64 * 64 + 64;
    buf.assign(static_cast<std::size_t>(stride * dims), T(0));
    for (int d = 0; d < dims; ++d)
      for (std::size_t k = 0; k < idx.size(); ++k)
        buf[static_cast<std::size_t>(d * stride) + k] = c.base[d * c.stride + idx[k]];
    return stride;
  };
  std::vector<T> bx, by;
  detail::WalkProblem<T> pw;
  pw.x = {bx.data(), 0, static_cast<int64_t>(cx.size()), dims};
  pw.x.stride = gather(r.x, cx, bx);
  pw.x.base = bx.data();
  pw.y.stride = gather(r.y, cy, by);
  pw.y.base = by.data();
  pw.y.count = static_cast<int64_t>(cy.size());
  pw.y.dims = dims;
  pw.norm = r.norm;
  const T inside = max_by_tiles(level, tile_job(pw), pw.x.count, pw.y.count, false, th);
  const T pair = detail::cell_value(r.norm, r.x.base, r.x.stride, a, r.y.base, r.y.stride, b, dims);
  return inside < pair ? pair : inside;
}

}  // namespace
}  // namespace cpu

namespace detail {

void validate_options(const Options& opt) {
  opt.threshold.validate();
  if (opt.threshold_b) opt.threshold_b->validate();
  if (opt.theiler && *opt.theiler < 0)
    throw InputError("RQA: the Theiler window must be >= 0, got " + std::to_string(*opt.theiler));
  if (opt.l_min < 1) throw InputError("RQA: l_min must be >= 1, got " + std::to_string(opt.l_min));
  if (opt.v_min < 1) throw InputError("RQA: v_min must be >= 1, got " + std::to_string(opt.v_min));
}

template <class T>
Histograms cpu_lines(const LineProblem<T>& p, Simd simd, int threads,
                     const std::function<void(double)>& progress) {
  cpu::TileEngine<T> engine(p, cpu::resolve_level(simd));
  return engine.run(threads, progress);
}

template <class T>
RegionPasses<T> cpu_passes(const Region<T>& region, Simd simd, int threads) {
  RegionPasses<T> passes;
  const cpu::Level level = cpu::resolve_level(simd);
  WalkProblem<T> w;
  w.x = region.x;
  w.y = region.y;
  w.norm = region.norm;
  const cpu::TileJob<T> job = cpu::tile_job(w);
  const int64_t nx = region.x.count, ny = region.y.count;
  const int64_t nbx = (nx + 63) / 64, nby = (ny + 63) / 64;
  const int th = cpu::useful_threads(threads, region.symmetric ? nbx * (nbx + 1) / 2 : nbx * nby);
  const bool sym = region.symmetric;
  passes.max_value = [=]() { return cpu::pruned_max(region, level, th); };
  const Region<T> r = region;
  // One sweep over the region's off-diagonal cells: per-thread CountJobs, set up by `init`.
  auto sweep = [=](const std::function<void(cpu::CountJob<T>&, int thread)>& init,
                   std::vector<cpu::CountJob<T>>& jobs) {
    jobs.assign(static_cast<std::size_t>(th), cpu::CountJob<T>{});
#pragma omp parallel num_threads(th)
    {
      const int tid = omp_get_thread_num();
      cpu::CountJob<T>& cj = jobs[static_cast<std::size_t>(tid)];
      init(cj, tid);
      cj.weight = sym ? 2 : 1;
      uint64_t mask[64];
#pragma omp for schedule(dynamic, 1)
      for (int64_t I = 0; I < nbx; ++I)
        for (int64_t J = sym ? I : 0; J < nby; ++J) {
          const int64_t i0 = I * 64, j0 = J * 64;
          const int rows = static_cast<int>(std::min<int64_t>(64, nx - i0));
          const int64_t gap = r.all ? 1 : std::max<int64_t>(1, r.w);  // least |j - i| counted
          const bool inside =
              rows == 64 && j0 + 64 <= ny &&
              (sym ? j0 - (i0 + 63) >= gap
                   : (r.all || r.w == 0 || j0 - (i0 + 63) >= r.w || i0 - (j0 + 63) >= r.w));
          for (int t = 0; t < 64; ++t) {
            const int64_t i = i0 + t;
            if (inside) {
              mask[t] = ~uint64_t{0};
            } else if (t >= rows) {
              mask[t] = 0;
            } else if (sym) {  // strictly upper cells, outside the band unless all
              mask[t] = bit_range(i + gap - j0, ny - j0);
            } else {
              mask[t] = bit_range(-j0, ny - j0);
              if (!r.all && r.w > 0) mask[t] &= ~bit_range(i - r.w + 1 - j0, i + r.w - j0);
            }
          }
          cpu::tile_count(level, job, i0, j0, rows, mask, cj);
        }
    }
  };
  passes.count = [=](T lo, T hi, int shift, int bins, int64_t& below, std::vector<int64_t>& hist) {
    std::vector<std::vector<int64_t>> hs(static_cast<std::size_t>(th));
    std::vector<cpu::CountJob<T>> jobs;
    sweep(
        [&](cpu::CountJob<T>& cj, int tid) {
          auto& h = hs[static_cast<std::size_t>(tid)];
          h.assign(static_cast<std::size_t>(bins), 0);
          cj.lo = lo;
          cj.hi = hi;
          cj.shift = shift;
          cj.hist = h.data();
        },
        jobs);
    hist.assign(static_cast<std::size_t>(bins), 0);
    below = 0;
    for (int t = 0; t < th; ++t) {
      below += jobs[static_cast<std::size_t>(t)].below;
      const auto& h = hs[static_cast<std::size_t>(t)];
      for (std::size_t b = 0; b < h.size(); ++b) hist[b] += h[b];
    }
  };
  passes.collect = [=](T lo, T hi) {
    // The caller knows how many values fall in [lo, hi] (a bin of the last count): size for it.
    std::vector<std::vector<T>> outs(static_cast<std::size_t>(th));
    std::vector<cpu::CountJob<T>> jobs;
    int64_t capacity = 1 << 12;
    for (;;) {
      sweep(
          [&](cpu::CountJob<T>& cj, int tid) {
            auto& o = outs[static_cast<std::size_t>(tid)];
            o.resize(static_cast<std::size_t>(capacity));
            cj.lo = lo;
            cj.hi = hi;
            cj.out = o.data();
            cj.out_capacity = capacity;
          },
          jobs);
      int64_t most = 0;
      for (const auto& cj : jobs) most = std::max(most, cj.out_size);
      if (most <= capacity) break;
      capacity = most;  // a thread found more than it could store: once more with room for all
    }
    std::vector<T> all;
    for (int t = 0; t < th; ++t) {
      const auto& o = outs[static_cast<std::size_t>(t)];
      all.insert(all.end(), o.begin(), o.begin() + jobs[static_cast<std::size_t>(t)].out_size);
    }
    return all;
  };
  return passes;
}

// ---- exact thresholds ----------------------------------------------------------------------

namespace {

template <class T>
struct Bits;
template <>
struct Bits<float> {
  using U = uint32_t;
};
template <>
struct Bits<double> {
  using U = uint64_t;
};

template <class T>
typename Bits<T>::U to_bits(T v) {
  typename Bits<T>::U u;
  std::memcpy(&u, &v, sizeof u);
  return u;
}
template <class T>
T from_bits(typename Bits<T>::U u) {
  T v;
  std::memcpy(&v, &u, sizeof v);
  return v;
}

/// Bit pattern of the k-th smallest value (1-based, weighted as the passes count) of a region.
template <class T>
typename Bits<T>::U kth_bits(const Region<T>& region, int64_t k, const RegionPasses<T>& passes) {
  using U = typename Bits<T>::U;
  const U top = to_bits(std::numeric_limits<T>::infinity());
  U lo = 0, hi = top;
  bool sure = true;
  // Estimate: the same rank in a fixed-seed sample of the region's cells, widened by 6 sigma.
  constexpr int64_t kSample = 1 << 16;
  if (region.cells > 8 * kSample) {
    std::mt19937_64 rng(0x5eed5eedULL);
    std::uniform_int_distribution<int64_t> di(0, region.x.count - 1), dj(0, region.y.count - 1);
    std::vector<T> sample;
    sample.reserve(kSample);
    for (int64_t tries = 0; static_cast<int64_t>(sample.size()) < kSample && tries < 64 * kSample;
         ++tries) {
      const int64_t i = di(rng), j = dj(rng);
      if (!region.all && std::abs(i - j) < region.w) continue;
      sample.push_back(cell_value(region.norm, region.x.base, region.x.stride, i, region.y.base,
                                  region.y.stride, j, region.x.dims));
    }
    if (sample.size() >= 1024) {
      std::sort(sample.begin(), sample.end());
      const auto S = static_cast<double>(sample.size());
      const double p = static_cast<double>(k) / static_cast<double>(region.cells);
      const double r = p * S, h = 6 * std::sqrt(S * p * (1 - p)) + 4;
      const auto lo_i = static_cast<int64_t>(std::floor(r - h)) - 1;
      const auto hi_i = static_cast<int64_t>(std::ceil(r + h)) - 1;
      lo = lo_i < 0 ? U{0} : to_bits(sample[static_cast<std::size_t>(lo_i)]);
      hi = hi_i >= static_cast<int64_t>(sample.size())
               ? top
               : to_bits(sample[static_cast<std::size_t>(hi_i)]);
      sure = false;
    }
  }
  std::vector<int64_t> hist;
  constexpr int64_t kCollect = int64_t{1} << 22;
  for (;;) {
    if (sure && lo == hi) return lo;
    int shift = 0;
    while (((hi - lo) >> shift) >= static_cast<U>(passes.bins)) ++shift;
    const int bins = static_cast<int>((hi - lo) >> shift) + 1;
    int64_t below = 0;
    passes.count(from_bits<T>(lo), from_bits<T>(hi), shift, bins, below, hist);
    // The main diagonal's zeros (symmetric regions that count it) are not in the passes.
    if (region.zeros > 0) {
      if (lo > 0)
        below += region.zeros;
      else
        hist[0] += region.zeros;
    }
    int64_t inside = 0;
    for (int b = 0; b < bins; ++b) inside += hist[static_cast<std::size_t>(b)];
    if (k <= below) {  // below the estimate (never after the first pass)
      hi = lo - 1;
      lo = 0;
      sure = true;
      continue;
    }
    if (k > below + inside) {
      lo = hi + 1;
      hi = top;
      sure = true;
      continue;
    }
    int64_t acc = below;
    int b = 0;
    while (acc + hist[static_cast<std::size_t>(b)] < k) acc += hist[static_cast<std::size_t>(b++)];
    lo = lo + (static_cast<U>(b) << shift);
    const U width = (U{1} << shift) - 1;
    hi = std::min<U>(hi, lo + width);
    sure = true;
    // Few values left in the bin: fetch them and pick the k-th directly (one pass, not several).
    if (lo < hi && hist[static_cast<std::size_t>(b)] <= kCollect) {
      std::vector<T> vals = passes.collect(from_bits<T>(lo), from_bits<T>(hi));
      if (lo == 0) vals.insert(vals.end(), static_cast<std::size_t>(region.zeros), T(0));
      const auto at = static_cast<std::size_t>(k - acc - 1);
      if (at < vals.size()) {
        std::nth_element(vals.begin(), vals.begin() + static_cast<std::ptrdiff_t>(at), vals.end());
        return to_bits(vals[at]);
      }
    }
  }
}

}  // namespace

template <class T>
double resolve_on(const Region<T>& region, const Threshold& th, const RegionPasses<T>& passes) {
  const bool euclid = region.norm == NormCode::euclidean;
  switch (th.kind) {
    case Threshold::Kind::absolute:
      return th.value;
    case Threshold::Kind::fraction: {
      if (region.x.count == 0 || region.y.count == 0) return 0;
      const T m = passes.max_value();
      const T dmax = euclid ? std::sqrt(m) : m;
      return th.value * static_cast<double>(dmax);
    }
    case Threshold::Kind::rate: {
      if (region.cells == 0) return 0;
      const int64_t k = rate_rank(th.value, region.cells);
      const T q = from_bits<T>(kth_bits(region, k, passes));
      const T d = euclid ? std::sqrt(q) : q;
      return static_cast<double>(std::nextafter(d, std::numeric_limits<T>::infinity()));
    }
  }
  return 0;
}

#define SP_INSTANTIATE(T)                                               \
  template Histograms cpu_lines<T>(const LineProblem<T>&, Simd, int,    \
                                   const std::function<void(double)>&); \
  template RegionPasses<T> cpu_passes<T>(const Region<T>&, Simd, int);  \
  template double resolve_on<T>(const Region<T>&, const Threshold&, const RegionPasses<T>&);
SP_INSTANTIATE(float)
SP_INSTANTIATE(double)
#undef SP_INSTANTIATE

}  // namespace detail
}  // namespace swingpipe::rqa
