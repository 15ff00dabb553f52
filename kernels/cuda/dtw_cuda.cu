// Host side of the CUDA DTW backend (dtw_cuda.hpp): turns pairs / cross / all-pairs / paths into
// length-sorted work lists, picks a tile shape per pair, uploads the batches once, launches the
// wavefront kernel (dtw_kernel.cuh) and gathers the results; paths are backtracked on the host
// from the 2-bit direction codes the kernel stores.
//
// Pairs that need no DTW (an empty series, NaN in an input) are answered here and never launched.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "common/cuda_check.hpp"
#include "common/dtw_math.hpp"
#include "cuda/dtw_cuda.hpp"
#include "cuda/dtw_table.cuh"
#include "swingpipe/error.hpp"

namespace swingpipe::dtw::cuda {
namespace {

using cuda_util::DeviceArray;
using cuda_util::Stream;
using detail::KernelArgs;
using detail::KernelEntry;
using detail::WorkItem;

/// Device memory given to the per-group boundary rows of one launch (more groups than fit wait
/// for the next item instead).
constexpr std::size_t kBoundaryBudget = std::size_t{256} << 20;
/// Direction words of the paths computed in one launch.
constexpr std::size_t kDirBudget = std::size_t{512} << 20;
/// Longest series the kernel indexes with 32-bit rows and columns.
constexpr int64_t kMaxLength = std::numeric_limits<int32_t>::max() / 4;

template <class T>
bool has_nan(SeriesRef<T> s) {
  const int64_t count = s.length * s.channels;
  for (int64_t k = 0; k < count; ++k)
    if (std::isnan(s.data[k])) return true;
  return false;
}

template <class T>
std::vector<char> nan_flags(const BatchView<T>& batch) {
  std::vector<char> flags(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) flags[i] = has_nan(batch.series(i)) ? 1 : 0;
  return flags;
}

template <class T>
void check_batch(const BatchView<T>& batch, const char* name) {
  if (batch.channels < 1)
    throw InputError(std::string("DTW on CUDA: batch ") + name + " has channel count " +
                     std::to_string(batch.channels) + " (must be >= 1)");
  if (batch.size() == 0) return;
  if (batch.offsets[0] != 0)
    throw InputError(std::string("DTW on CUDA: batch ") + name + " offsets must start at 0");
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const int64_t len = batch.length(i);
    if (len < 0 || len > kMaxLength)
      throw InputError(std::string("DTW on CUDA: series ") + std::to_string(i) + " of batch " +
                       name + " has length " + std::to_string(len) + " (must be 0.." +
                       std::to_string(kMaxLength) + ")");
  }
  const auto needed = static_cast<std::size_t>(batch.offsets.back() * batch.channels);
  if (batch.values.size() < needed)
    throw InputError(std::string("DTW on CUDA: batch ") + name + " holds " +
                     std::to_string(batch.values.size()) + " values, its offsets need " +
                     std::to_string(needed));
}

template <class T>
void check_inputs(const BatchView<T>& a, const BatchView<T>& b) {
  check_batch(a, "a");
  check_batch(b, "b");
  if (a.channels != b.channels)
    throw InputError("DTW on CUDA: batches have different channel counts (" +
                     std::to_string(a.channels) + " and " + std::to_string(b.channels) + ")");
}

/// What a pair that needs no DTW gives: NaN with NaN inputs, +inf with one empty series, 0 with
/// two. Returns false when the pair needs the kernel.
template <class T>
bool trivial_answer(int64_t n, int64_t m, bool nan, T* value) {
  if (n == 0 || m == 0) {
    *value = (n == 0 && m == 0) ? T(0) : std::numeric_limits<T>::infinity();
    return true;
  }
  if (nan) {
    *value = std::numeric_limits<T>::quiet_NaN();
    return true;
  }
  return false;
}

/// Columns a tile of rows [i0, i0 + rows) visits, and the steps it takes with group width g.
struct TileSpan {
  int64_t jlo, jhi, steps;
};
TileSpan tile_span(int64_t i0, int64_t rows, int64_t m, int64_t r, int64_t g) {
  const int64_t jlo = std::max<int64_t>(0, i0 - r);
  const int64_t jhi = std::min<int64_t>(m - 1, i0 + rows - 1 + r);
  return {jlo, jhi, jhi - jlo + g};
}

/// Lane-steps a shape spends on an n x m pair with radius r, weighted by the work of a step.
template <class T>
double shape_cost(const KernelEntry<T>& e, int64_t n, int64_t m, int64_t r) {
  const int64_t rows = e.rows();
  const int64_t tiles = (n + rows - 1) / rows;
  const int64_t width = std::min<int64_t>(m, rows + 2 * r);
  return static_cast<double>(tiles) * static_cast<double>(width + e.group) * e.group *
         (e.cells + 4.0);
}

/// Elements of a group's boundary buffer an item needs (0 when it fits in one tile).
int64_t boundary_width(const WorkItem& w, int rows) {
  if (w.n <= rows) return 0;
  return std::min<int64_t>(2 * static_cast<int64_t>(w.r) + 1, w.m);
}

/// Direction words an item stores: per tile, steps x group.
int64_t dir_words(const WorkItem& w, int group, int cells) {
  const int64_t rows = static_cast<int64_t>(group) * cells;
  int64_t words = 0;
  for (int64_t i0 = 0; i0 < w.n; i0 += rows)
    words += tile_span(i0, rows, w.m, w.r, group).steps * group;
  return words;
}

/// The device, its multiprocessor count and the occupancy of each kernel.
struct DeviceShape {
  int sms = 0;
  explicit DeviceShape() {
    int dev = 0;
    CUDA_CHECK(cudaGetDevice(&dev));
    CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  }
  template <class T>
  int resident_groups(const KernelEntry<T>& e) const {
    int blocks = 0;
    CUDA_CHECK(
        cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, e.func, detail::kBlockThreads, 0));
    return std::max(blocks, 1) * sms * (detail::kBlockThreads / e.group);
  }
};

/// The values of batch a, then those of batch b (once when they are the same batch), on the
/// device.
template <class T>
struct DeviceValues {
  DeviceArray<T> values;
  int64_t b_base = 0;

  DeviceValues(const BatchView<T>& a, const BatchView<T>& b, bool same, const Stream& stream)
      : values(a.values.size() + (same ? 0 : b.values.size())),
        b_base(same ? 0 : static_cast<int64_t>(a.values.size())) {
    if (!a.values.empty())
      CUDA_CHECK(cudaMemcpyAsync(values.get(), a.values.data(), a.values.size() * sizeof(T),
                                 cudaMemcpyHostToDevice, stream.get()));
    if (!same && !b.values.empty())
      CUDA_CHECK(cudaMemcpyAsync(values.get() + b_base, b.values.data(),
                                 b.values.size() * sizeof(T), cudaMemcpyHostToDevice,
                                 stream.get()));
  }
};

/// Launches `entry` over items[0, count) (already on the device), with its boundary rows.
template <class T>
void launch_items(const KernelEntry<T>& entry, KernelArgs<T> args, const WorkItem* d_items,
                  int count, int64_t boundary_stride, const DeviceShape& dev,
                  DeviceArray<T>& boundary, DeviceArray<int>& counter, const Stream& stream) {
  if (count == 0) return;
  const int per_block = detail::kBlockThreads / entry.group;
  int64_t groups = std::min<int64_t>(count, dev.resident_groups(entry));
  if (boundary_stride > 0) {
    const auto fit = static_cast<int64_t>(kBoundaryBudget / (2 * boundary_stride * sizeof(T)));
    groups = std::min(groups, std::max<int64_t>(fit, per_block));
  }
  const int grid = static_cast<int>((groups + per_block - 1) / per_block);
  const auto boundary_elems =
      static_cast<std::size_t>(static_cast<int64_t>(grid) * per_block * 2 * boundary_stride);
  if (boundary.size() < boundary_elems) boundary = DeviceArray<T>(boundary_elems);
  if (counter.size() == 0) counter = DeviceArray<int>(1);
  CUDA_CHECK(cudaMemsetAsync(counter.get(), 0, sizeof(int), stream.get()));
  args.items = d_items;
  args.n_items = count;
  args.counter = counter.get();
  args.boundary = boundary.get();
  args.boundary_stride = boundary_stride;
  entry.launch(grid, stream.get(), args);
  CUDA_CHECK_LAUNCH();
}

/// A pair to compute: indices into batch a and batch b.
struct Request {
  int64_t a = 0, b = 0;
};

/// DTW distance of every request (one value each, in request order).
template <class T>
std::vector<T> distances(const BatchView<T>& a, const BatchView<T>& b, bool same,
                         std::span<const Request> requests, const Options& opt) {
  const std::vector<char> nan_a = nan_flags(a);
  const std::vector<char> nan_b = same ? nan_a : nan_flags(b);
  const auto& table = detail::kernel_table<T>();
  const int variant = detail::channel_variant(a.channels);
  if (requests.size() > static_cast<std::size_t>(std::numeric_limits<int32_t>::max()))
    throw InputError("DTW on CUDA: more than 2^31 pairs in one call");

  std::vector<T> results(requests.size());
  std::vector<WorkItem> by_shape[detail::kShapes];
  std::vector<double> cost_of(requests.size());
  for (std::size_t q = 0; q < requests.size(); ++q) {
    const Request rq = requests[q];
    const int64_t n = a.length(static_cast<std::size_t>(rq.a));
    const int64_t m = b.length(static_cast<std::size_t>(rq.b));
    const int64_t r = opt.band.radius(n, m);  // validates the band, also for trivial pairs
    if (trivial_answer(n, m, nan_a[rq.a] || nan_b[rq.b], &results[q])) continue;
    WorkItem w;
    w.x_off = a.offsets[rq.a] * a.channels;
    w.y_off = (same ? 0 : static_cast<int64_t>(a.values.size())) + b.offsets[rq.b] * b.channels;
    w.n = static_cast<int32_t>(n);
    w.m = static_cast<int32_t>(m);
    w.r = static_cast<int32_t>(std::min<int64_t>(r, std::max(n, m)));
    w.result = static_cast<int32_t>(q);
    if (w.n > w.m) {  // rows = the shorter series: fewer tiles (DTW is symmetric)
      std::swap(w.x_off, w.y_off);
      std::swap(w.n, w.m);
    }
    int best = 0;
    double best_cost = 0;
    for (int s = 0; s < detail::kShapes; ++s) {
      const double c = shape_cost(table.distance[s][variant], w.n, w.m, w.r);
      if (s == 0 || c < best_cost) {
        best = s;
        best_cost = c;
      }
    }
    cost_of[q] = static_cast<double>(w.n) * std::min<int64_t>(w.m, 2 * int64_t{w.r} + 1);
    by_shape[best].push_back(w);
  }

  std::size_t total = 0;
  for (auto& items : by_shape) {
    // Longest first: the atomic work counter then hands out the big pairs before the small ones.
    std::stable_sort(items.begin(), items.end(), [&](const WorkItem& x, const WorkItem& y) {
      return cost_of[x.result] > cost_of[y.result];
    });
    total += items.size();
  }
  if (total == 0) return results;

  const DeviceShape dev;
  const Stream stream;
  const DeviceValues<T> values(a, b, same, stream);
  std::vector<WorkItem> all;
  all.reserve(total);
  for (const auto& items : by_shape) all.insert(all.end(), items.begin(), items.end());
  DeviceArray<WorkItem> d_items(all.size());
  CUDA_CHECK(cudaMemcpyAsync(d_items.get(), all.data(), all.size() * sizeof(WorkItem),
                             cudaMemcpyHostToDevice, stream.get()));
  DeviceArray<T> d_results(requests.size());
  DeviceArray<T> boundary;
  DeviceArray<int> counter;

  KernelArgs<T> args;
  args.values = values.values.get();
  args.channels = a.channels;
  args.results = d_results.get();
  args.squared = opt.squared;
  std::size_t first = 0;
  for (int s = 0; s < detail::kShapes; ++s) {
    const KernelEntry<T>& entry = table.distance[s][variant];
    int64_t stride = 0;
    for (const WorkItem& w : by_shape[s])
      stride = std::max(stride, boundary_width(w, entry.rows()));
    launch_items(entry, args, d_items.get() + first, static_cast<int>(by_shape[s].size()), stride,
                 dev, boundary, counter, stream);
    first += by_shape[s].size();
  }
  std::vector<T> computed(requests.size());
  CUDA_CHECK(cudaMemcpyAsync(computed.data(), d_results.get(), computed.size() * sizeof(T),
                             cudaMemcpyDeviceToHost, stream.get()));
  stream.synchronize();
  for (const WorkItem& w : all) results[w.result] = computed[w.result];
  return results;
}

/// The direction code of cell (i, j), given the words of its tile (the layout dtw_kernel.cuh
/// writes: per tile, [step][lane], step = j + lane - jlo).
uint8_t direction_at(const unsigned char* tile_words, int word_bytes, const WorkItem& w, int group,
                     int cells, int64_t i, int64_t j) {
  const int64_t rows = static_cast<int64_t>(group) * cells;
  const int64_t lane = (i % rows) / cells;
  const int64_t k = i % cells;
  const TileSpan span = tile_span(i / rows * rows, rows, w.m, w.r, group);
  const int64_t index = (j + lane - span.jlo) * group + lane;
  uint32_t word = 0;  // little-endian: the low bytes of a wider word
  std::memcpy(&word, tile_words + index * word_bytes, static_cast<std::size_t>(word_bytes));
  return static_cast<uint8_t>((word >> (2 * k)) & 3u);
}

/// Backtracks the optimal path of an item from its direction words (ties as dtw_math.hpp).
std::vector<std::pair<int32_t, int32_t>> backtrack(const unsigned char* words, int word_bytes,
                                                   const WorkItem& w, int group, int cells) {
  const int64_t rows = static_cast<int64_t>(group) * cells;
  std::vector<int64_t> tile_first;  // first word of each tile
  int64_t acc = 0;
  for (int64_t i0 = 0; i0 < w.n; i0 += rows) {
    tile_first.push_back(acc);
    acc += tile_span(i0, rows, w.m, w.r, group).steps * group;
  }
  std::vector<std::pair<int32_t, int32_t>> steps;
  steps.reserve(static_cast<std::size_t>(w.n + w.m));
  int64_t i = w.n - 1, j = w.m - 1;
  steps.emplace_back(static_cast<int32_t>(i), static_cast<int32_t>(j));
  while (i > 0 || j > 0) {
    uint8_t dir = 0;
    if (i == 0) {
      dir = dtw::detail::kDirLeft;
    } else if (j == 0) {
      dir = dtw::detail::kDirUp;
    } else {
      const int64_t t = i / rows;
      dir = direction_at(words + tile_first[t] * word_bytes, word_bytes, w, group, cells, i, j);
    }
    if (dir == dtw::detail::kDirDiag) {
      --i;
      --j;
    } else if (dir == dtw::detail::kDirUp) {
      --i;
    } else {
      --j;
    }
    steps.emplace_back(static_cast<int32_t>(i), static_cast<int32_t>(j));
  }
  std::reverse(steps.begin(), steps.end());
  return steps;
}

template <class T>
void check_pairs(const BatchView<T>& a, const BatchView<T>& b, std::span<const PairIndex> pairs) {
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    const PairIndex q = pairs[p];
    if (q.a < 0 || static_cast<std::size_t>(q.a) >= a.size() || q.b < 0 ||
        static_cast<std::size_t>(q.b) >= b.size())
      throw InputError("DTW on CUDA: pair " + std::to_string(p) + " = (" + std::to_string(q.a) +
                       ", " + std::to_string(q.b) + ") is outside the batches (sizes " +
                       std::to_string(a.size()) + ", " + std::to_string(b.size()) + ")");
  }
}

}  // namespace

template <class T>
void pairs(const BatchView<T>& a, const BatchView<T>& b, std::span<const PairIndex> pairs,
           std::span<T> out, const Options& opt) {
  check_inputs(a, b);
  check_pairs(a, b, pairs);
  if (out.size() != pairs.size())
    throw InputError("DTW on CUDA: output has " + std::to_string(out.size()) + " elements for " +
                     std::to_string(pairs.size()) + " pairs");
  std::vector<Request> requests(pairs.size());
  for (std::size_t p = 0; p < pairs.size(); ++p) requests[p] = {pairs[p].a, pairs[p].b};
  const bool same = a.values.data() == b.values.data() && a.offsets.data() == b.offsets.data();
  const std::vector<T> d = distances(a, b, same, std::span<const Request>(requests), opt);
  std::copy(d.begin(), d.end(), out.begin());
}

template <class T>
void cross(const BatchView<T>& a, const BatchView<T>& b, std::span<T> out, const Options& opt,
           bool symmetric) {
  check_inputs(a, b);
  const std::size_t na = a.size(), nb = b.size();
  if (out.size() != na * nb)
    throw InputError("DTW on CUDA: output has " + std::to_string(out.size()) +
                     " elements, the cross matrix " + std::to_string(na) + " x " +
                     std::to_string(nb));
  if (symmetric && na != nb)
    throw InputError("DTW on CUDA: a symmetric cross needs one batch (sizes " + std::to_string(na) +
                     " and " + std::to_string(nb) + ")");
  std::vector<Request> requests;
  requests.reserve(symmetric ? na * (na - (na > 0 ? 1 : 0)) / 2 : na * nb);
  for (std::size_t i = 0; i < na; ++i)
    for (std::size_t j = symmetric ? i + 1 : 0; j < nb; ++j)
      requests.push_back({static_cast<int64_t>(i), static_cast<int64_t>(j)});
  const bool same =
      symmetric || (a.values.data() == b.values.data() && a.offsets.data() == b.offsets.data());
  const std::vector<T> d = distances(a, b, same, std::span<const Request>(requests), opt);
  for (std::size_t q = 0; q < requests.size(); ++q) {
    const auto i = static_cast<std::size_t>(requests[q].a);
    const auto j = static_cast<std::size_t>(requests[q].b);
    out[i * nb + j] = d[q];
    if (symmetric) out[j * nb + i] = d[q];
  }
  if (symmetric)
    for (std::size_t i = 0; i < na; ++i) out[i * nb + i] = T(0);
}

template <class T>
std::vector<Path> paths(const BatchView<T>& a, const BatchView<T>& b,
                        std::span<const PairIndex> pairs, const Options& opt) {
  check_inputs(a, b);
  check_pairs(a, b, pairs);
  const bool same = a.values.data() == b.values.data() && a.offsets.data() == b.offsets.data();
  const std::vector<char> nan_a = nan_flags(a);
  const std::vector<char> nan_b = same ? nan_a : nan_flags(b);
  const KernelEntry<T>& entry =
      detail::kernel_table<T>().paths[detail::channel_variant(a.channels)];

  std::vector<Path> out(pairs.size());
  std::vector<WorkItem> items;
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    const int64_t n = a.length(static_cast<std::size_t>(pairs[p].a));
    const int64_t m = b.length(static_cast<std::size_t>(pairs[p].b));
    const int64_t r = opt.band.radius(n, m);
    T value{};
    if (trivial_answer(n, m, nan_a[pairs[p].a] || nan_b[pairs[p].b], &value)) {
      out[p].distance = static_cast<double>(value);
      continue;
    }
    WorkItem w;
    w.x_off = a.offsets[pairs[p].a] * a.channels;
    w.y_off =
        (same ? 0 : static_cast<int64_t>(a.values.size())) + b.offsets[pairs[p].b] * b.channels;
    w.n = static_cast<int32_t>(n);
    w.m = static_cast<int32_t>(m);
    w.r = static_cast<int32_t>(std::min<int64_t>(r, std::max(n, m)));
    w.result = static_cast<int32_t>(p);
    items.push_back(w);
  }
  if (items.empty()) return out;

  const DeviceShape dev;
  const Stream stream;
  const DeviceValues<T> values(a, b, same, stream);
  DeviceArray<T> d_results(pairs.size());
  DeviceArray<T> boundary;
  DeviceArray<int> counter;
  KernelArgs<T> args;
  args.values = values.values.get();
  args.channels = a.channels;
  args.results = d_results.get();
  args.squared = opt.squared;

  // Chunks of items whose direction words fit the budget (a single larger item runs alone).
  std::size_t begin = 0;
  while (begin < items.size()) {
    std::size_t end = begin;
    int64_t words = 0;
    int64_t stride = 0;
    while (end < items.size()) {
      const int64_t wwords = dir_words(items[end], entry.group, entry.cells);
      if (end > begin && static_cast<std::size_t>((words + wwords) * entry.word_bytes) > kDirBudget)
        break;
      items[end].dir_off = words;
      words += wwords;
      stride = std::max(stride, boundary_width(items[end], entry.rows()));
      ++end;
    }
    const std::span<const WorkItem> chunk(items.data() + begin, end - begin);
    DeviceArray<WorkItem> d_items(chunk.size());
    CUDA_CHECK(cudaMemcpyAsync(d_items.get(), chunk.data(), chunk.size_bytes(),
                               cudaMemcpyHostToDevice, stream.get()));
    DeviceArray<unsigned char> d_dirs(static_cast<std::size_t>(words * entry.word_bytes));
    args.dirs = d_dirs.get();
    launch_items(entry, args, d_items.get(), static_cast<int>(chunk.size()), stride, dev, boundary,
                 counter, stream);
    std::vector<unsigned char> dirs(d_dirs.size());
    std::vector<T> computed(pairs.size());
    CUDA_CHECK(cudaMemcpyAsync(dirs.data(), d_dirs.get(), dirs.size(), cudaMemcpyDeviceToHost,
                               stream.get()));
    CUDA_CHECK(cudaMemcpyAsync(computed.data(), d_results.get(), computed.size() * sizeof(T),
                               cudaMemcpyDeviceToHost, stream.get()));
    stream.synchronize();
    for (const WorkItem& w : chunk) {
      out[w.result].distance = static_cast<double>(computed[w.result]);
      out[w.result].steps = backtrack(dirs.data() + w.dir_off * entry.word_bytes, entry.word_bytes,
                                      w, entry.group, entry.cells);
    }
    begin = end;
  }
  return out;
}

#define SP_INSTANTIATE(T)                                                                        \
  template void pairs<T>(const BatchView<T>&, const BatchView<T>&, std::span<const PairIndex>,   \
                         std::span<T>, const Options&);                                          \
  template void cross<T>(const BatchView<T>&, const BatchView<T>&, std::span<T>, const Options&, \
                         bool);                                                                  \
  template std::vector<Path> paths<T>(const BatchView<T>&, const BatchView<T>&,                  \
                                      std::span<const PairIndex>, const Options&);
SP_INSTANTIATE(float)
SP_INSTANTIATE(double)
#undef SP_INSTANTIATE

}  // namespace swingpipe::dtw::cuda
