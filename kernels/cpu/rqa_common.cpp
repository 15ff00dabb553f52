// RQA pieces every backend shares (rqa.hpp): names, validation, embeddings, the measures computed
// from the line histograms, the RR denominators, and the cell distance.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "common/rqa_math.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/rqa.hpp"

namespace swingpipe::rqa {

Norm parse_norm(std::string_view text) {
  if (text == "euclidean") return Norm::euclidean;
  if (text == "maximum") return Norm::maximum;
  if (text == "manhattan") return Norm::manhattan;
  throw InputError("RQA: unknown norm '" + std::string(text) +
                   "' (expected euclidean, maximum or manhattan)");
}

std::string_view to_string(Norm norm) {
  switch (norm) {
    case Norm::euclidean:
      return "euclidean";
    case Norm::maximum:
      return "maximum";
    case Norm::manhattan:
      return "manhattan";
  }
  return "?";
}

Convention parse_convention(std::string_view text) {
  if (text == "standard") return Convention::standard;
  if (text == "pyrqa") return Convention::pyrqa;
  throw InputError("RQA: unknown convention '" + std::string(text) +
                   "' (expected standard or pyrqa)");
}

std::string_view to_string(Convention convention) {
  return convention == Convention::pyrqa ? "pyrqa" : "standard";
}

Threshold::Kind parse_threshold_kind(std::string_view text) {
  if (text == "absolute") return Threshold::Kind::absolute;
  if (text == "fraction") return Threshold::Kind::fraction;
  if (text == "rate") return Threshold::Kind::rate;
  throw InputError("RQA: unknown threshold kind '" + std::string(text) +
                   "' (expected absolute, fraction or rate)");
}

std::string_view to_string(Threshold::Kind kind) {
  switch (kind) {
    case Threshold::Kind::absolute:
      return "absolute";
    case Threshold::Kind::fraction:
      return "fraction";
    case Threshold::Kind::rate:
      return "rate";
  }
  return "?";
}

void Threshold::validate() const {
  if (kind == Kind::absolute) {
    if (!(value > 0))
      throw InputError("RQA: an absolute threshold must be > 0, got " + std::to_string(value));
    return;
  }
  if (!(value > 0 && value <= 1))
    throw InputError("RQA: a " + std::string(to_string(kind)) +
                     " threshold must be in (0, 1], got " + std::to_string(value));
}

// ---- embedding ---------------------------------------------------------------------------------

namespace {

/// Channel c of s as float64, z-scored when asked; InputError at the first non-finite value.
std::vector<double> channel_values(SeriesRef<double> s, int c, bool zscore) {
  std::vector<double> v(static_cast<std::size_t>(s.length));
  for (int64_t t = 0; t < s.length; ++t) {
    const double x = s.at(c, t);
    if (!std::isfinite(x))
      throw InputError("RQA: channel " + std::to_string(c) + " frame " + std::to_string(t) +
                       " is " + (std::isnan(x) ? "NaN" : "infinite") +
                       " (RQA needs finite values; drop or fill the gap first)");
    v[static_cast<std::size_t>(t)] = x;
  }
  if (!zscore || v.empty()) return v;
  double mean = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  const double sd = std::sqrt(ss / static_cast<double>(v.size()));
  for (double& x : v) x = sd > 0 ? (x - mean) / sd : x - mean;
  return v;
}

void check_channel(SeriesRef<double> s, int c) {
  if (c < 0 || c >= s.channels)
    throw InputError("RQA: channel index " + std::to_string(c) +
                     " is out of range (the series has " + std::to_string(s.channels) +
                     " channels)");
}

}  // namespace

template <class T>
Points<T> embed(SeriesRef<double> series, const Embedding& e) {
  Points<T> p;
  if (e.kind == Embedding::Kind::channels) {
    std::vector<int> idx = e.channels;
    if (idx.empty())
      for (int c = 0; c < series.channels; ++c) idx.push_back(c);
    if (idx.empty()) throw InputError("RQA: the series has no channels");
    for (int c : idx) check_channel(series, c);
    if (series.length < 1) throw InputError("RQA: the series has no frames");
    p.count = series.length;
    p.dims = static_cast<int>(idx.size());
    p.values.resize(static_cast<std::size_t>(p.count) * idx.size());
    for (std::size_t k = 0; k < idx.size(); ++k) {
      const auto v = channel_values(series, idx[k], e.zscore);
      for (int64_t i = 0; i < p.count; ++i)
        p.values[k * static_cast<std::size_t>(p.count) + static_cast<std::size_t>(i)] =
            static_cast<T>(v[static_cast<std::size_t>(i)]);
    }
    return p;
  }
  check_channel(series, e.channel);
  if (e.dimension < 1) throw InputError("RQA: embedding dimension must be >= 1");
  if (e.delay < 1) throw InputError("RQA: embedding delay must be >= 1");
  const int64_t span = static_cast<int64_t>(e.dimension - 1) * e.delay;
  if (series.length - span < 1)
    throw InputError("RQA: " + std::to_string(series.length) +
                     " frames are too few for a delay embedding with m = " +
                     std::to_string(e.dimension) + ", tau = " + std::to_string(e.delay) +
                     " (needs at least " + std::to_string(span + 1) + ")");
  const auto v = channel_values(series, e.channel, e.zscore);
  p.count = series.length - span;
  p.dims = e.dimension;
  p.values.resize(static_cast<std::size_t>(p.count) * static_cast<std::size_t>(p.dims));
  for (int k = 0; k < p.dims; ++k)
    for (int64_t i = 0; i < p.count; ++i)
      p.values[static_cast<std::size_t>(k * p.count + i)] =
          static_cast<T>(v[static_cast<std::size_t>(i + static_cast<int64_t>(k) * e.delay)]);
  return p;
}

template <class T>
Points<T> points_from_rows(const std::vector<T>& rows, int dims) {
  if (dims < 1) throw InputError("RQA: points need at least one coordinate");
  if (rows.size() % static_cast<std::size_t>(dims) != 0)
    throw InputError("RQA: " + std::to_string(rows.size()) + " values are not a whole number of " +
                     std::to_string(dims) + "-dimensional points");
  Points<T> p;
  p.dims = dims;
  p.count = static_cast<int64_t>(rows.size() / static_cast<std::size_t>(dims));
  p.values.resize(rows.size());
  for (int64_t i = 0; i < p.count; ++i)
    for (int d = 0; d < dims; ++d) {
      const T v = rows[static_cast<std::size_t>(i * dims + d)];
      if (!std::isfinite(static_cast<double>(v)))
        throw InputError("RQA: point " + std::to_string(i) + " coordinate " + std::to_string(d) +
                         " is not finite");
      p.values[static_cast<std::size_t>(d * p.count + i)] = v;
    }
  return p;
}

template <class T>
T distance(const Points<T>& x, int64_t i, const Points<T>& y, int64_t j, Norm norm) {
  const auto code = static_cast<detail::NormCode>(static_cast<int>(norm));
  const T v =
      detail::cell_value(code, x.values.data(), x.count, i, y.values.data(), y.count, j, x.dims);
  return norm == Norm::euclidean ? std::sqrt(v) : v;
}

// ---- measures ----------------------------------------------------------------------------------

namespace {

struct LineSums {
  int64_t lines = 0;   ///< sum_{l >= from} P(l)
  int64_t points = 0;  ///< sum_{l >= from} l P(l)
};

LineSums sums(const std::vector<int64_t>& h, int64_t from) {
  LineSums s;
  for (std::size_t l = static_cast<std::size_t>(from < 1 ? 1 : from); l < h.size(); ++l) {
    s.lines += h[l];
    s.points += static_cast<int64_t>(l) * h[l];
  }
  return s;
}

double ratio(int64_t a, int64_t b) {
  return b > 0 ? static_cast<double>(a) / static_cast<double>(b)
               : std::numeric_limits<double>::quiet_NaN();
}

int64_t longest(const std::vector<int64_t>& h) {
  for (std::size_t l = h.size(); l-- > 1;)
    if (h[l] > 0) return static_cast<int64_t>(l);
  return 0;
}

double entropy(const std::vector<int64_t>& h, int64_t from, Convention c) {
  const LineSums s = sums(h, from);
  if (s.lines == 0) return c == Convention::pyrqa ? 0.0 : std::numeric_limits<double>::quiet_NaN();
  double e = 0;
  for (std::size_t l = static_cast<std::size_t>(from < 1 ? 1 : from); l < h.size(); ++l) {
    if (h[l] == 0) continue;
    const double p = static_cast<double>(h[l]) / static_cast<double>(s.lines);
    e -= p * std::log(p);
  }
  return e;
}

}  // namespace

Measures measures_of(const Histograms& h, int64_t cells, int64_t l_min, int64_t v_min,
                     Convention convention) {
  Measures m;
  const LineSums d_all = sums(h.diagonal, 1), d_min = sums(h.diagonal, l_min);
  const LineSums v_all = sums(h.vertical, 1), v_min_s = sums(h.vertical, v_min);
  m.recurrences = v_all.points;
  m.cells = cells;
  m.rr = ratio(m.recurrences, cells);
  m.det = ratio(d_min.points, d_all.points);
  m.l = ratio(d_min.points, d_min.lines);
  m.lmax = longest(h.diagonal);
  m.entr = entropy(h.diagonal, l_min, convention);
  m.lam = ratio(v_min_s.points, v_all.points);
  m.tt = ratio(v_min_s.points, v_min_s.lines);
  m.vmax = longest(h.vertical);
  return m;
}

int64_t counted_cells(int64_t nx, int64_t ny, int64_t w, Convention convention) {
  const int64_t all = nx * ny;
  if (convention == Convention::pyrqa || w <= 0) return all;
  int64_t band = 0;
  for (int64_t d = -(w - 1); d <= w - 1; ++d) {
    // diagonal d: cells (i, i + d), 0 <= i < nx, 0 <= i + d < ny
    const int64_t first = d >= 0 ? 0 : -d;
    const int64_t last = std::min(nx, ny - d);
    if (last > first) band += last - first;
  }
  return all - band;
}

#define SP_INSTANTIATE(T)                                             \
  template Points<T> embed<T>(SeriesRef<double>, const Embedding&);   \
  template Points<T> points_from_rows<T>(const std::vector<T>&, int); \
  template T distance<T>(const Points<T>&, int64_t, const Points<T>&, int64_t, Norm);
SP_INSTANTIATE(float)
SP_INSTANTIATE(double)
#undef SP_INSTANTIATE

}  // namespace swingpipe::rqa
