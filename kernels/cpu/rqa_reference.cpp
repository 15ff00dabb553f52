// The brute-force RQA reference (rqa.hpp): the dense recurrence matrix, thresholds resolved by
// sorting every distance, and every line counted cell by cell, written from the definitions in the
// header and sharing nothing with the tile engine but the distance itself and measures_of().
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "cpu/rqa_internal.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/rqa.hpp"

namespace swingpipe::rqa {
namespace {

void bump(std::vector<int64_t>& h, int64_t len) {
  if (len <= 0) return;
  if (static_cast<int64_t>(h.size()) <= len) h.resize(static_cast<std::size_t>(len + 1), 0);
  ++h[static_cast<std::size_t>(len)];
}

template <class T>
double dense_epsilon(const Points<T>& x, const Points<T>& y, Norm norm, const Threshold& th,
                     int64_t w, Convention conv) {
  if (th.kind == Threshold::Kind::absolute) return th.value;
  if (th.kind == Threshold::Kind::fraction) {
    T dmax = T(0);
    for (int64_t i = 0; i < x.count; ++i)
      for (int64_t j = 0; j < y.count; ++j) dmax = std::max(dmax, distance(x, i, y, j, norm));
    return th.value * static_cast<double>(dmax);
  }
  std::vector<T> ds;
  for (int64_t i = 0; i < x.count; ++i)
    for (int64_t j = 0; j < y.count; ++j)
      if (conv == Convention::pyrqa || std::abs(i - j) >= w)
        ds.push_back(distance(x, i, y, j, norm));
  if (ds.empty()) return 0;
  std::sort(ds.begin(), ds.end());
  const auto M = static_cast<int64_t>(ds.size());
  const int64_t k = detail::rate_rank(th.value, M);
  return static_cast<double>(
      std::nextafter(ds[static_cast<std::size_t>(k - 1)], std::numeric_limits<T>::infinity()));
}

/// Runs of recurrent (black) and non-recurrent (white) cells along one line; excluded cells end
/// both.
struct RunCounter {
  std::vector<int64_t>* black;
  std::vector<int64_t>* white;
  int64_t b = 0, w = 0;
  void cell(bool excluded, bool recurrent) {
    if (excluded) {
      flush();
    } else if (recurrent) {
      if (white) bump(*white, w);
      w = 0;
      ++b;
    } else {
      bump(*black, b);
      b = 0;
      ++w;
    }
  }
  void flush() {
    bump(*black, b);
    if (white) bump(*white, w);
    b = w = 0;
  }
};

template <class T>
Result dense(const Points<T>& x, const Points<T>& y, const Points<T>* x2, const Points<T>* y2,
             bool cross, const Options& opt) {
  detail::validate_options(opt);
  if (x.dims != y.dims)
    throw InputError("RQA: x has " + std::to_string(x.dims) + " dimensions, y " +
                     std::to_string(y.dims));
  const int64_t w = opt.theiler.value_or(cross ? 0 : 1);
  const Convention conv = opt.convention;
  const int64_t nx = x.count, ny = y.count;
  Result res;
  res.rows = nx;
  res.cols = ny;
  res.epsilon = dense_epsilon(x, y, opt.norm, opt.threshold, w, conv);
  if (x2)
    res.epsilon_b =
        dense_epsilon(*x2, *y2, opt.norm, opt.threshold_b.value_or(opt.threshold), w, conv);

  std::vector<uint8_t> R(static_cast<std::size_t>(nx * ny));
  for (int64_t i = 0; i < nx; ++i)
    for (int64_t j = 0; j < ny; ++j) {
      bool r = static_cast<double>(distance(x, i, y, j, opt.norm)) < res.epsilon;
      if (x2) r = r && static_cast<double>(distance(*x2, i, *y2, j, opt.norm)) < res.epsilon_b;
      R[static_cast<std::size_t>(i * ny + j)] = r ? 1 : 0;
    }
  auto at = [&](int64_t i, int64_t j) { return R[static_cast<std::size_t>(i * ny + j)] != 0; };

  Histograms& h = res.histograms;
  // Diagonal lines: every diagonal outside the Theiler window (both conventions).
  for (int64_t d = -(nx - 1); d <= ny - 1; ++d) {
    if (std::abs(d) < w) continue;
    RunCounter rc{&h.diagonal, nullptr};
    for (int64_t i = std::max<int64_t>(0, -d); i < nx && i + d < ny; ++i)
      rc.cell(false, at(i, i + d));
    rc.flush();
  }
  int64_t cells = 0;
  if (conv == Convention::standard) {
    // Columns j, rows i; the band |i - j| < w is removed.
    for (int64_t j = 0; j < ny; ++j) {
      RunCounter rc{&h.vertical, &h.white_vertical};
      for (int64_t i = 0; i < nx; ++i) {
        const bool excluded = std::abs(i - j) < w;
        cells += excluded ? 0 : 1;
        rc.cell(excluded, at(i, j));
      }
      rc.flush();
    }
  } else {
    // pyRQA's baseline: a "vertical" line has a fixed x index and runs along y, nothing removed.
    for (int64_t i = 0; i < nx; ++i) {
      RunCounter rc{&h.vertical, &h.white_vertical};
      for (int64_t j = 0; j < ny; ++j) {
        ++cells;
        rc.cell(false, at(i, j));
      }
      rc.flush();
    }
  }
  res.measures = measures_of(h, cells, opt.l_min, opt.v_min, conv);
  return res;
}

}  // namespace

template <class T>
Result reference_recurrence(const Points<T>& x, const Options& opt) {
  return dense<T>(x, x, nullptr, nullptr, false, opt);
}

template <class T>
Result reference_cross(const Points<T>& x, const Points<T>& y, const Options& opt) {
  return dense<T>(x, y, nullptr, nullptr, true, opt);
}

template <class T>
Result reference_joint(const Points<T>& a, const Points<T>& b, const Options& opt) {
  if (a.count != b.count)
    throw InputError("RQA: joint recurrence needs groups with the same number of points (" +
                     std::to_string(a.count) + " and " + std::to_string(b.count) + ")");
  return dense<T>(a, a, &b, &b, false, opt);
}

#define SP_INSTANTIATE(T)                                                                 \
  template Result reference_recurrence<T>(const Points<T>&, const Options&);              \
  template Result reference_cross<T>(const Points<T>&, const Points<T>&, const Options&); \
  template Result reference_joint<T>(const Points<T>&, const Points<T>&, const Options&);
SP_INSTANTIATE(float)
SP_INSTANTIATE(double)
#undef SP_INSTANTIATE

}  // namespace swingpipe::rqa
