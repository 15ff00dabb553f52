#pragma once
// The CPU emulation of the CUDA DTW backend's device work, for tests (no GPU needed): the same
// per-pair planning (dtw_plan.hpp), the same bucket order, the same host-side chunk and launch
// planning (dtw_chunks.hpp), and the kernel body itself (dtw_wavefront.hpp's run_item) run with
// all lanes of a group in lockstep (HostLanes). Groups take their items in turn and keep their
// boundary rows from one item to the next, as on the device. What it cannot show: the atomics,
// streams and copies of kernels/cuda/dtw_cuda.cu, and timing. Host compilers only.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "common/dtw_checks.hpp"
#include "common/dtw_chunks.hpp"
#include "common/dtw_directions.hpp"
#include "common/dtw_plan.hpp"
#include "common/dtw_wavefront.hpp"
#include "swingpipe/kernels/dtw.hpp"

namespace swingpipe::dtw::detail {

struct EmulationStats {
  int64_t items[kShapes] = {};      ///< distance items run per shape
  int64_t masked_steps = 0;         ///< steps through the masked body (ramps)
  int64_t unmasked_steps = 0;       ///< steps through the unmasked body
  int64_t max_items_per_group = 0;  ///< the most items one group ran in one launch
  int64_t chunks = 0;               ///< paths: direction chunks
};

/// run_item<T, G, C, CH> for the channel variant of a.channels, on one emulated group.
template <class T, int G, int C, bool kPaths>
void emulate_item(const ItemArgs<T>& a, const WorkItem& w, T* bnd_a, T* bnd_b,
                  EmulationStats* stats) {
  HostLanes<G> lanes;
  switch (channel_variant(a.channels)) {
    case 0:
      run_item<T, G, C, 1, kPaths>(a, w, lanes, bnd_a, bnd_b);
      break;
    case 1:
      run_item<T, G, C, 2, kPaths>(a, w, lanes, bnd_a, bnd_b);
      break;
    case 2:
      run_item<T, G, C, 3, kPaths>(a, w, lanes, bnd_a, bnd_b);
      break;
    default:
      run_item<T, G, C, 0, kPaths>(a, w, lanes, bnd_a, bnd_b);
      break;
  }
  stats->masked_steps += lanes.masked_steps;
  stats->unmasked_steps += lanes.unmasked_steps;
}

/// The two batches as the device sees them: a's values, then b's; offsets and non-finite flags.
template <class T>
struct EmulatedBatches {
  std::vector<T> values;
  std::vector<uint8_t> flags_a, flags_b;
  PlanArgs plan;

  EmulatedBatches(const BatchView<T>& a, const BatchView<T>& b, const Band& band) {
    const std::size_t na = a.offsets.empty() ? 0 : a.offsets.back() * a.channels;
    const std::size_t nb = b.offsets.empty() ? 0 : b.offsets.back() * b.channels;
    values.assign(a.values.begin(), a.values.begin() + static_cast<std::ptrdiff_t>(na));
    values.insert(values.end(), b.values.begin(),
                  b.values.begin() + static_cast<std::ptrdiff_t>(nb));
    flags_a = nonfinite_flags(a);
    flags_b = nonfinite_flags(b);
    plan.a = {a.offsets.data(), flags_a.data(), 0};
    plan.b = {b.offsets.data(), flags_b.data(), static_cast<int64_t>(na)};
    plan.channels = a.channels;
    plan.band_kind = static_cast<int>(band.kind);
    plan.band_value = band.value;
  }
};

/// The distances of pairs [0, total) of a source, as the CUDA backend computes them: plan each
/// pair, answer the trivial ones, bucket the rest (shape-major, costliest class first, stable), and
/// run each shape's items on `groups` emulated groups taking items in turn.
template <class T>
std::vector<T> emulate_distances(const BatchView<T>& a, const BatchView<T>& b, int source_kind,
                                 std::span<const PairIndex> list, int64_t total, const Band& band,
                                 bool squared, int groups, EmulationStats* stats) {
  EmulatedBatches<T> eb(a, b, band);
  std::vector<int64_t> flat;
  for (const PairIndex& p : list) {
    flat.push_back(p.a);
    flat.push_back(p.b);
  }
  eb.plan.source = {source_kind, flat.data(), static_cast<int64_t>(b.size()), 0};
  eb.plan.transpose = true;
  const int shapes = shapes_offered(channel_variant(a.channels));

  std::vector<T> results(static_cast<std::size_t>(total));
  std::memset(results.data(), 0xff, results.size() * sizeof(T));  // the device's poison
  std::vector<std::vector<int64_t>> bucket(kBuckets);
  for (int64_t k = 0; k < total; ++k) {
    WorkItem w;
    const int code = plan_item(eb.plan, k, &w);
    if (code != kNeedsKernel) {
      results[static_cast<std::size_t>(k)] = answer_value<T>(code);
      continue;
    }
    bucket[static_cast<std::size_t>(bucket_key(choose_shape<T>(w, shapes), cost_class(w)))]
        .push_back(k);
  }
  ItemArgs<T> args{eb.values.data(), a.channels, results.data(), nullptr, squared};
  for (int s = 0; s < shapes; ++s) {
    std::vector<int64_t> order;
    for (int c = 0; c < kClasses; ++c) {
      const auto& bk = bucket[static_cast<std::size_t>(s * kClasses + c)];
      order.insert(order.end(), bk.begin(), bk.end());
    }
    stats->items[s] += static_cast<int64_t>(order.size());
    if (order.empty()) continue;
    const ShapeDims dims = distance_shape<T>(s);
    const int64_t stride = boundary_stride_bound(eb.plan.band_kind, eb.plan.band_value,
                                                 length_range(a), length_range(b), dims.rows());
    const int64_t g = std::min<int64_t>(groups, static_cast<int64_t>(order.size()));
    std::vector<std::vector<T>> bnd(static_cast<std::size_t>(g),
                                    std::vector<T>(static_cast<std::size_t>(2 * stride + 1)));
    std::vector<int64_t> taken(static_cast<std::size_t>(g), 0);
    for (std::size_t pos = 0; pos < order.size(); ++pos) {
      const auto gi = static_cast<std::size_t>(static_cast<int64_t>(pos) % g);
      WorkItem w;
      plan_item(eb.plan, order[pos], &w);
      T* ba = bnd[gi].data();
      constexpr ShapeDims d0 = distance_shape<T>(0), d1 = distance_shape<T>(1);
      if (s == 0)
        emulate_item<T, d0.group, d0.cells, false>(args, w, ba, ba + stride, stats);
      else
        emulate_item<T, d1.group, d1.cells, false>(args, w, ba, ba + stride, stats);
      stats->max_items_per_group = std::max(stats->max_items_per_group, ++taken[gi]);
    }
  }
  return results;
}

/// The paths of `pairs`, as the CUDA backend computes them: host planning, chunks whose direction
/// words fit `direction_bytes`, the paths kernel body on one emulated group per chunk (the boundary
/// rows reused from item to item), words poisoned before and backtracked after.
template <class T>
std::vector<Path> emulate_paths(const BatchView<T>& a, const BatchView<T>& b,
                                std::span<const PairIndex> pairs, const Band& band, bool squared,
                                std::size_t direction_bytes, EmulationStats* stats) {
  EmulatedBatches<T> eb(a, b, band);
  eb.plan.transpose = false;
  std::vector<Path> out(pairs.size());
  std::vector<WorkItem> items;
  std::vector<std::size_t> item_pair;
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    const int64_t one[2] = {pairs[p].a, pairs[p].b};
    eb.plan.source = {kSourceList, one, 0, 0};
    WorkItem w;
    const int code = plan_item(eb.plan, 0, &w);
    if (code != kNeedsKernel) {
      out[p].distance = static_cast<double>(answer_value<T>(code));
      continue;
    }
    items.push_back(w);
    item_pair.push_back(p);
  }
  constexpr ShapeDims dims = paths_shape<T>();
  constexpr int word_bytes = static_cast<int>(sizeof(DirWord<dims.cells>));
  std::size_t begin = 0;
  while (begin < items.size()) {
    int64_t words = 0;
    const std::size_t end =
        paths_chunk(items, begin, dims, word_bytes, direction_bytes, INT32_MAX, &words);
    ++stats->chunks;
    std::vector<unsigned char> dirs(static_cast<std::size_t>(words) * word_bytes, 0xff);
    std::vector<T> results(end - begin);
    std::memset(results.data(), 0xff, results.size() * sizeof(T));
    int64_t stride = 0;
    for (std::size_t i = begin; i < end; ++i) {
      items[i].result = static_cast<int64_t>(i - begin);
      stride = std::max(stride, boundary_width(items[i], dims.rows()));
    }
    std::vector<T> bnd(static_cast<std::size_t>(2 * stride + 1));
    ItemArgs<T> args{eb.values.data(), a.channels, results.data(), dirs.data(), squared};
    for (std::size_t i = begin; i < end; ++i)
      emulate_item<T, dims.group, dims.cells, true>(args, items[i], bnd.data(), bnd.data() + stride,
                                                    stats);
    for (std::size_t i = begin; i < end; ++i) {
      Path& p = out[item_pair[i]];
      p.distance = static_cast<double>(results[static_cast<std::size_t>(items[i].result)]);
      p.steps = backtrack(dirs.data() + items[i].dir_off * word_bytes, word_bytes, items[i], dims);
    }
    begin = end;
  }
  return out;
}

}  // namespace swingpipe::dtw::detail
