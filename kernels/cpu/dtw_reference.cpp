// DTW band arithmetic (Band::radius, band_cells) and the brute-force float64 reference
// (reference_distance, reference_path): a full (n+1) x (m+1) accumulated-cost matrix with an
// infinite border, no SIMD, no tricks; a series with a non-finite value gives NaN (dtw.hpp). Every
// other DTW implementation is tested against these.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "common/dtw_checks.hpp"
#include "common/dtw_math.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/dtw.hpp"

namespace swingpipe::dtw {

static_assert(static_cast<int>(Band::Kind::full) == detail::kBandFull &&
              static_cast<int>(Band::Kind::samples) == detail::kBandSamples &&
              static_cast<int>(Band::Kind::fraction) == detail::kBandFraction);

int64_t Band::radius(int64_t n, int64_t m) const {
  if (n < 0 || m < 0)
    throw InputError("DTW band: negative series length (" + std::to_string(n) + ", " +
                     std::to_string(m) + ")");
  switch (kind) {
    case Kind::full:
      break;
    case Kind::samples:
      if (!(value >= 0) || !std::isfinite(value))
        throw InputError("DTW band: radius must be a sample count >= 0, got " +
                         std::to_string(value));
      break;
    case Kind::fraction:
      if (!(value >= 0 && value <= 1))
        throw InputError("DTW band: fraction must be in [0, 1], got " + std::to_string(value));
      break;
    default:
      throw InputError("DTW band: unknown band kind");
  }
  return detail::band_radius(static_cast<int>(kind), value, n, m);
}

int64_t band_cells(int64_t n, int64_t m, const Band& band) {
  const int64_t r = band.radius(n, m);
  if (n == 0 || m == 0) return 0;
  int64_t cells = 0;
  for (int64_t i = 0; i < n; ++i) cells += detail::band_hi(i, r, m) - detail::band_lo(i, r) + 1;
  return cells;
}

namespace {

void check_channels(const SeriesRef<double>& x, const SeriesRef<double>& y) {
  if (x.channels != y.channels)
    throw InputError("DTW: series have different channel counts (" + std::to_string(x.channels) +
                     " and " + std::to_string(y.channels) + ")");
  if (x.channels < 1) throw InputError("DTW: channel count must be >= 1");
  if (x.length < 0 || y.length < 0) throw InputError("DTW: negative series length");
}

/// dtw.hpp's non-finite contract: NaN, +inf or -inf anywhere in a series makes it missing data.
bool has_nonfinite(const SeriesRef<double>& s) {
  return detail::has_nonfinite(s.data, s.length * s.channels);
}

// Full accumulated-cost matrix, (n+1) x (m+1), D[0][0] = 0, border +inf, cells outside the band
// +inf.
std::vector<double> full_matrix(const SeriesRef<double>& x, const SeriesRef<double>& y, int64_t r) {
  const int64_t n = x.length, m = y.length, w = m + 1;
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> D(static_cast<std::size_t>((n + 1) * w), inf);
  D[0] = 0;
  for (int64_t i = 1; i <= n; ++i) {
    for (int64_t j = 1; j <= m; ++j) {
      if (std::llabs((i - 1) - (j - 1)) > r) continue;
      double cost = 0;
      for (int c = 0; c < x.channels; ++c) {
        const double d = x.at(c, i - 1) - y.at(c, j - 1);
        cost += d * d;
      }
      const double best =
          std::min({D[(i - 1) * w + (j - 1)], D[(i - 1) * w + j], D[i * w + (j - 1)]});
      D[i * w + j] = cost + best;
    }
  }
  return D;
}

}  // namespace

double reference_distance(SeriesRef<double> x, SeriesRef<double> y, const Band& band,
                          bool squared) {
  check_channels(x, y);
  const int64_t r = band.radius(x.length, y.length);
  if (x.length == 0 || y.length == 0)
    return (x.length == 0 && y.length == 0) ? 0.0 : std::numeric_limits<double>::infinity();
  if (has_nonfinite(x) || has_nonfinite(y)) return std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> D = full_matrix(x, y, r);
  const double acc = D.back();
  return squared ? acc : std::sqrt(acc);
}

Path reference_path(SeriesRef<double> x, SeriesRef<double> y, const Band& band, bool squared) {
  check_channels(x, y);
  const int64_t r = band.radius(x.length, y.length);
  Path p;
  if (x.length == 0 || y.length == 0) {
    p.distance = (x.length == 0 && y.length == 0) ? 0.0 : std::numeric_limits<double>::infinity();
    return p;
  }
  if (has_nonfinite(x) || has_nonfinite(y)) {
    p.distance = std::numeric_limits<double>::quiet_NaN();
    return p;
  }
  const int64_t n = x.length, m = y.length, w = m + 1;
  const std::vector<double> D = full_matrix(x, y, r);
  p.distance = squared ? D.back() : std::sqrt(D.back());
  int64_t i = n, j = m;
  p.steps.emplace_back(static_cast<int32_t>(i - 1), static_cast<int32_t>(j - 1));
  while (i > 1 || j > 1) {
    uint8_t dir = 0;
    if (i == 1) {
      dir = detail::kDirLeft;  // first row: only left is possible (also when all costs are inf)
    } else if (j == 1) {
      dir = detail::kDirUp;
    } else {
      detail::min3_dir(D[(i - 1) * w + (j - 1)], D[(i - 1) * w + j], D[i * w + (j - 1)], &dir);
    }
    if (dir == detail::kDirDiag) {
      --i;
      --j;
    } else if (dir == detail::kDirUp) {
      --i;
    } else {
      --j;
    }
    p.steps.emplace_back(static_cast<int32_t>(i - 1), static_cast<int32_t>(j - 1));
  }
  std::reverse(p.steps.begin(), p.steps.end());
  return p;
}

}  // namespace swingpipe::dtw
