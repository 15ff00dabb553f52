// Host side of the CUDA DTW backend (dtw_cuda.hpp).
//
// Distances (pairs, one-vs-many, cross, all-pairs) run in chunks of at most Limits::chunk_pairs
// pairs, so any number of pairs fits in bounded memory: per chunk the device plans its own pairs
// (for cross and all-pairs it derives pair k from the chunk's first index; only explicit lists are
// uploaded), sorts them into buckets by shape and cost, and runs one wavefront kernel per shape on
// its own stream. While one chunk runs, the host copies the previous chunk's results out of pinned
// memory. Every result buffer is filled with a poison before the kernels run, and the host refuses
// a result still holding it (BackendError), so a pair the kernels skipped cannot pass unnoticed.
//
// Paths: the host plans the items (their direction words need offsets), cuts them into chunks
// whose direction words fit Limits::direction_bytes, and backtracks from the words
// (kernels/common/dtw_directions.hpp). Direction buffers are poisoned too: a path through a word
// the kernel never wrote is a BackendError.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <limits>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "common/cuda_check.hpp"
#include "common/dtw_checks.hpp"
#include "common/dtw_chunks.hpp"
#include "common/dtw_directions.hpp"
#include "common/dtw_plan.hpp"
#include "cuda/dtw_cuda.hpp"
#include "cuda/dtw_plan_kernels.cuh"
#include "cuda/dtw_table.cuh"
#include "cuda/dtw_workspace.hpp"
#include "swingpipe/error.hpp"

namespace swingpipe::dtw::cuda {
namespace {

using detail::KernelArgs;
using detail::KernelEntry;
using detail::PlanArgs;
using detail::WorkItem;

static_assert(sizeof(PairIndex) == 2 * sizeof(int64_t), "pair lists are uploaded as int64 pairs");

/// Layout of the control words (unsigned long long) of a distance chunk on the device.
constexpr int kHist = 0;
constexpr int kCursor = kHist + detail::kBuckets;
constexpr int kSegments = kCursor + detail::kBuckets;
constexpr int kCounters = kSegments + 2 * detail::kShapes;
constexpr int kControlWords = kCounters + detail::kShapes;

template <class T>
void check_lengths(const BatchView<T>& b, const char* what) {
  for (std::size_t s = 0; s < b.size(); ++s)
    if (b.length(s) > detail::kCudaMaxLength)
      throw InputError("DTW on CUDA: series " + std::to_string(s) + " of the " + what +
                       " has length " + std::to_string(b.length(s)) +
                       " (the CUDA kernels index at most 2^29 - 1 frames; Backend::automatic "
                       "runs such input on the CPU)");
}

template <class T>
void check_inputs(const BatchView<T>& a, const BatchView<T>& b, const Band& band) {
  detail::check_batches(a, b, band);
  check_lengths(a, "first batch");
  check_lengths(b, "second batch");
}

template <class T>
bool same_batch(const BatchView<T>& a, const BatchView<T>& b) {
  return a.values.data() == b.values.data() && a.offsets.data() == b.offsets.data() &&
         a.values.size() == b.values.size() && a.offsets.size() == b.offsets.size();
}

/// Values the offsets of a batch use.
template <class T>
std::size_t used_values(const BatchView<T>& b) {
  return b.offsets.empty()
             ? 0
             : static_cast<std::size_t>(b.offsets.back()) * static_cast<std::size_t>(b.channels);
}

/// Waits for the workspace's streams when a call leaves by an exception, so no kernel or copy
/// still uses its buffers (or the caller's pinned staging) afterwards.
struct DrainOnError {
  Workspace::Impl& ws;
  int exceptions = std::uncaught_exceptions();
  ~DrainOnError() {
    if (std::uncaught_exceptions() > exceptions) {
      cudaStreamSynchronize(ws.main.get());
      for (const auto& s : ws.shape) cudaStreamSynchronize(s.get());
      cudaGetLastError();
    }
  }
};

/// Uploads the values of a (and of b unless it is the same batch); returns the device values.
template <class T>
const T* upload_values(Workspace::Impl& ws, const BatchView<T>& a, const BatchView<T>& b,
                       bool same) {
  const std::size_t na = used_values(a), nb = same ? 0 : used_values(b);
  const std::size_t bytes = (na + nb) * sizeof(T);
  std::size_t free_bytes = 0, total_bytes = 0;
  CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  if (bytes > ws.values.bytes() && bytes - ws.values.bytes() > free_bytes)
    throw BackendError("DTW on CUDA: the batches' values need " + std::to_string(bytes >> 20) +
                       " MiB of device memory, " + std::to_string(free_bytes >> 20) +
                       " MiB are free on " + ws.device_name);
  T* values = ws.values.get<T>(std::max<std::size_t>(na + nb, 1));
  ws.upload(values, a.values.data(), na * sizeof(T));
  if (!same) ws.upload(values + na, b.values.data(), nb * sizeof(T));
  return values;
}

/// Plan arguments over device copies of both batches' offsets and non-finite flags.
template <class T>
PlanArgs upload_tables(Workspace::Impl& ws, const BatchView<T>& a, const BatchView<T>& b, bool same,
                       const Options& opt) {
  const std::vector<uint8_t> fa = detail::nonfinite_flags(a);
  const std::vector<uint8_t> fb = same ? std::vector<uint8_t>{} : detail::nonfinite_flags(b);
  const std::size_t oa = a.offsets.size(), ob = same ? 0 : b.offsets.size();
  int64_t* offsets = ws.offsets.get<int64_t>(std::max<std::size_t>(oa + ob, 1));
  uint8_t* flags = ws.flags.get<uint8_t>(std::max<std::size_t>(fa.size() + fb.size(), 1));
  ws.upload(offsets, a.offsets.data(), oa * sizeof(int64_t));
  ws.upload(flags, fa.data(), fa.size());
  if (!same) {
    ws.upload(offsets + oa, b.offsets.data(), ob * sizeof(int64_t));
    ws.upload(flags + fa.size(), fb.data(), fb.size());
  }
  PlanArgs p;
  p.a = {offsets, flags, 0};
  p.b = same ? p.a
             : detail::SeriesTable{offsets + oa, flags + fa.size(),
                                   static_cast<int64_t>(used_values(a))};
  p.channels = a.channels;
  p.band_kind = static_cast<int>(opt.band.kind);
  p.band_value = opt.band.value;
  p.transpose = true;
  return p;
}

/// The pairs of one distance call: an explicit list, the cross matrix, or the upper triangle.
struct DistanceSource {
  int kind = detail::kSourceList;
  std::span<const PairIndex> list;
  int64_t cols = 0;
  int64_t total = 0;
};

/// Runs the distances of `src` chunk by chunk; sink(first, count, results) receives each chunk's
/// results (pinned host memory, valid until sink returns).
template <class T, class Sink>
void run_distances(Workspace& workspace, const BatchView<T>& a, const BatchView<T>& b, bool same,
                   const DistanceSource& src, const Options& opt, Sink&& sink) {
  if (src.total == 0) return;
  Workspace::Impl& ws = workspace.impl();
  const std::lock_guard<std::mutex> lock(ws.mutex);
  CUDA_CHECK(cudaSetDevice(ws.device));
  const DrainOnError drain{ws};
  const auto& table = detail::kernel_table<T>();
  const int variant = detail::channel_variant(a.channels);
  const int shapes = detail::shapes_offered(variant);
  const int64_t chunk = std::min(ws.limits.chunk_pairs, src.total);
  cudaStream_t main = ws.main.get();

  const T* values = upload_values(ws, a, b, same);
  PlanArgs plan = upload_tables(ws, a, b, same, opt);
  plan.source.kind = src.kind;
  plan.source.cols = src.cols;
  int64_t stride[detail::kShapes] = {};
  for (int s = 0; s < shapes; ++s)
    stride[s] =
        detail::boundary_stride_bound(plan.band_kind, plan.band_value, detail::length_range(a),
                                      detail::length_range(b), detail::distance_shape<T>(s).rows());

  uint8_t* keys = ws.keys.get<uint8_t>(static_cast<std::size_t>(chunk));
  uint32_t* order = ws.order.get<uint32_t>(static_cast<std::size_t>(chunk));
  T* results = ws.results.get<T>(static_cast<std::size_t>(chunk));
  int64_t* list = src.kind == detail::kSourceList
                      ? ws.pairs.get<int64_t>(2 * static_cast<std::size_t>(chunk))
                      : nullptr;
  auto* control = ws.control.get<unsigned long long>(kControlWords);
  auto* segments = ws.control_host.get<unsigned long long>(2 * detail::kShapes);
  T* results_host[2] = {ws.results_host[0].get<T>(static_cast<std::size_t>(chunk)),
                        ws.results_host[1].get<T>(static_cast<std::size_t>(chunk))};
  const int plan_grid = static_cast<int>(std::min<int64_t>(
      (chunk + detail::kPlanThreads - 1) / detail::kPlanThreads, int64_t{ws.sms} * 32));

  struct Pending {
    int64_t first = -1, count = 0;
    int slot = 0;
  } pending;
  auto finish = [&](const Pending& p) {
    ws.results_ready[p.slot].synchronize();
    ws.add_chunk_timings(p.slot, true);
    const int64_t bad = detail::first_unwritten(results_host[p.slot], p.count);
    if (bad >= 0)
      throw BackendError("DTW on CUDA: the kernels never wrote the result of pair " +
                         std::to_string(p.first + bad) + " (an internal error; please report it)");
    sink(p.first, p.count, static_cast<const T*>(results_host[p.slot]));
  };

  int slot = 0;
  for (int64_t first = 0; first < src.total; first += chunk) {
    const int64_t count = std::min(chunk, src.total - first);
    if (list) {
      ws.upload(list, src.list.data() + first, static_cast<std::size_t>(count) * sizeof(PairIndex));
      plan.source.list = list;
    } else {
      plan.source.first = first;
    }
    // Planning: answers, bucket keys, bucket order, and each shape's segment of it.
    const auto& events = ws.chunk_events[slot];
    CUDA_CHECK(cudaMemsetAsync(results, 0xff, static_cast<std::size_t>(count) * sizeof(T), main));
    CUDA_CHECK(cudaMemsetAsync(control, 0, kControlWords * sizeof(unsigned long long), main));
    events.plan_start.record(main);
    detail::dtw_plan_kernel<T><<<plan_grid, detail::kPlanThreads, 0, main>>>(
        plan, count, shapes, keys, control + kHist, results);
    CUDA_CHECK_LAUNCH();
    detail::dtw_bucket_kernel<<<1, 1, 0, main>>>(control + kHist, control + kCursor,
                                                 control + kSegments);
    CUDA_CHECK_LAUNCH();
    detail::dtw_scatter_kernel<<<plan_grid, detail::kPlanThreads, 0, main>>>(
        keys, count, control + kCursor, order);
    CUDA_CHECK_LAUNCH();
    events.plan_end.record(main);
    CUDA_CHECK(cudaMemcpyAsync(segments, control + kSegments,
                               2 * detail::kShapes * sizeof(unsigned long long),
                               cudaMemcpyDeviceToHost, main));
    ws.main.synchronize();  // the grids are sized by the segments
    events.planned.record(main);

    for (int s = 0; s < shapes; ++s) {
      const auto positions = static_cast<int64_t>(segments[2 * s + 1]);
      if (positions == 0) continue;
      const KernelEntry<T>& entry = table.distance[s][variant];
      const int per_block = detail::kBlockThreads / entry.dims.group;
      const int64_t groups = detail::launch_groups(
          ws.resident_groups(entry.func, entry.dims.group, detail::kBlockThreads), per_block,
          stride[s], sizeof(T), ws.limits.boundary_bytes / static_cast<std::size_t>(shapes),
          positions);
      const int64_t grid = (groups + per_block - 1) / per_block;
      KernelArgs<T> args;
      args.item = {values, a.channels, results, nullptr, opt.squared};
      args.plan = plan;
      args.order = order;
      args.first = static_cast<int64_t>(segments[2 * s]);
      args.count = positions;
      args.counter = control + kCounters + s;
      args.boundary_stride = stride[s];
      args.boundary =
          stride[s] > 0
              ? ws.boundary[s].get<T>(static_cast<std::size_t>(grid * per_block * 2 * stride[s]))
              : nullptr;
      cudaStream_t st = ws.shape[s].get();
      CUDA_CHECK(cudaStreamWaitEvent(st, events.planned.get(), 0));
      CUDA_CHECK(cudaMemsetAsync(args.counter, 0, sizeof(unsigned long long), st));
      entry.launch(static_cast<int>(grid), st, args);
      CUDA_CHECK_LAUNCH();
      ws.shape_done[s].record(st);
      CUDA_CHECK(cudaStreamWaitEvent(main, ws.shape_done[s].get(), 0));
    }
    events.kernels_done.record(main);
    CUDA_CHECK(cudaMemcpyAsync(results_host[slot], results,
                               static_cast<std::size_t>(count) * sizeof(T), cudaMemcpyDeviceToHost,
                               main));
    ws.results_ready[slot].record(main);
    if (pending.first >= 0) finish(pending);  // overlaps this chunk's kernels
    pending = {first, count, slot};
    slot ^= 1;
  }
  finish(pending);
}

}  // namespace

template <class T>
bool fits(const BatchView<T>& a, const BatchView<T>& b) {
  if (a.max_length() > detail::kCudaMaxLength || b.max_length() > detail::kCudaMaxLength)
    return false;
  std::size_t free_bytes = 0, total_bytes = 0;
  if (cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  const std::size_t values = used_values(a) + (same_batch(a, b) ? 0 : used_values(b));
  constexpr std::size_t kChunkRoom = std::size_t{512} << 20;  // chunk buffers, boundary rows
  return values <= (free_bytes > kChunkRoom ? free_bytes - kChunkRoom : 0) / sizeof(T);
}

template <class T>
void pairs(const BatchView<T>& a, const BatchView<T>& b, std::span<const PairIndex> pairs,
           std::span<T> out, const Options& opt) {
  check_inputs(a, b, opt.band);
  detail::check_out(out.size(), pairs.size(), "pairs");
  detail::check_pairs(a, b, pairs);
  Workspace local;
  Workspace& ws = opt.workspace ? *opt.workspace : local;
  DistanceSource src;
  src.kind = detail::kSourceList;
  src.list = pairs;
  src.total = static_cast<int64_t>(pairs.size());
  run_distances(ws, a, b, same_batch(a, b), src, opt,
                [&](int64_t first, int64_t count, const T* res) {
                  std::memcpy(out.data() + first, res, static_cast<std::size_t>(count) * sizeof(T));
                });
}

template <class T>
void cross(const BatchView<T>& a, const BatchView<T>& b, std::span<T> out, const Options& opt,
           bool symmetric) {
  check_inputs(a, b, opt.band);
  const std::size_t na = a.size(), nb = b.size();
  const std::size_t cells = detail::checked_product(na, nb, "cross");
  detail::check_out(out.size(), cells, symmetric ? "all_pairs" : "cross");
  if (symmetric && !same_batch(a, b))
    throw InputError("DTW on CUDA: a symmetric cross needs one batch (sizes " + std::to_string(na) +
                     " and " + std::to_string(nb) + ")");
  if (cells > static_cast<std::size_t>(std::numeric_limits<int64_t>::max()))
    throw InputError("DTW on CUDA: " + std::to_string(na) + " x " + std::to_string(nb) +
                     " pairs are more than 2^63");
  Workspace local;
  Workspace& ws = opt.workspace ? *opt.workspace : local;
  DistanceSource src;
  src.cols = static_cast<int64_t>(nb);
  if (symmetric) {
    src.kind = detail::kSourceTriangle;
    src.total = detail::triangle_pairs(static_cast<int64_t>(na));
    const auto n = static_cast<int64_t>(na);
    run_distances(ws, a, b, true, src, opt, [&](int64_t first, int64_t count, const T* res) {
      detail::for_each_triangle_run(
          first, count, n, [&](int64_t i, int64_t j, int64_t k, int64_t len) {
            std::memcpy(out.data() + i * n + j, res + k, static_cast<std::size_t>(len) * sizeof(T));
          });
    });
    detail::mirror_upper(out.data(), n);
    return;
  }
  src.kind = detail::kSourceCross;
  src.total = static_cast<int64_t>(cells);
  run_distances(ws, a, b, same_batch(a, b), src, opt,
                [&](int64_t first, int64_t count, const T* res) {
                  std::memcpy(out.data() + first, res, static_cast<std::size_t>(count) * sizeof(T));
                });
}

template <class T>
std::vector<Path> paths(const BatchView<T>& a, const BatchView<T>& b,
                        std::span<const PairIndex> pairs, const Options& opt) {
  check_inputs(a, b, opt.band);
  detail::check_pairs(a, b, pairs);
  const bool same = same_batch(a, b);
  std::vector<Path> out(pairs.size());

  // Plan on the host: the items' direction words need offsets.
  const std::vector<uint8_t> fa = detail::nonfinite_flags(a);
  const std::vector<uint8_t> fb = same ? fa : detail::nonfinite_flags(b);
  PlanArgs plan;
  plan.a = {a.offsets.data(), fa.data(), 0};
  plan.b = {b.offsets.data(), fb.data(), same ? 0 : static_cast<int64_t>(used_values(a))};
  plan.channels = a.channels;
  plan.band_kind = static_cast<int>(opt.band.kind);
  plan.band_value = opt.band.value;
  plan.transpose = false;  // paths keep the caller's orientation
  std::vector<WorkItem> items;
  std::vector<std::size_t> item_pair;
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    const int64_t one[2] = {pairs[p].a, pairs[p].b};
    plan.source = {detail::kSourceList, one, 0, 0};
    WorkItem w;
    const int code = detail::plan_item(plan, 0, &w);
    if (code != detail::kNeedsKernel) {
      out[p].distance = static_cast<double>(detail::answer_value<T>(code));
      continue;
    }
    items.push_back(w);
    item_pair.push_back(p);
  }
  if (items.empty()) return out;

  Workspace local;
  Workspace& workspace = opt.workspace ? *opt.workspace : local;
  Workspace::Impl& ws = workspace.impl();
  const std::lock_guard<std::mutex> lock(ws.mutex);
  CUDA_CHECK(cudaSetDevice(ws.device));
  const DrainOnError drain{ws};
  cudaStream_t main = ws.main.get();
  const KernelEntry<T>& entry =
      detail::kernel_table<T>().paths[detail::channel_variant(a.channels)];
  const int per_block = detail::kBlockThreads / entry.dims.group;
  const T* values = upload_values(ws, a, b, same);
  auto* control = ws.control.get<unsigned long long>(kControlWords);

  std::size_t begin = 0;
  while (begin < items.size()) {
    int64_t words = 0;
    const std::size_t end =
        detail::paths_chunk(items, begin, entry.dims, entry.word_bytes, ws.limits.direction_bytes,
                            ws.limits.chunk_pairs, &words);
    const auto count = static_cast<int64_t>(end - begin);
    int64_t stride = 0;
    for (std::size_t i = begin; i < end; ++i) {
      items[i].result = static_cast<int64_t>(i - begin);
      stride = std::max(stride, detail::boundary_width(items[i], entry.dims.rows()));
    }
    const std::size_t dir_bytes = static_cast<std::size_t>(words) * entry.word_bytes;
    auto* d_items = ws.items.get<WorkItem>(static_cast<std::size_t>(count));
    auto* d_dirs = ws.dirs.get<unsigned char>(std::max<std::size_t>(dir_bytes, 1));
    T* d_results = ws.results.get<T>(static_cast<std::size_t>(count));
    T* results = ws.results_host[0].get<T>(static_cast<std::size_t>(count));
    ws.upload(d_items, items.data() + begin, static_cast<std::size_t>(count) * sizeof(WorkItem));
    CUDA_CHECK(cudaMemsetAsync(d_dirs, 0xff, dir_bytes, main));
    CUDA_CHECK(cudaMemsetAsync(d_results, 0xff, static_cast<std::size_t>(count) * sizeof(T), main));
    CUDA_CHECK(cudaMemsetAsync(control + kCounters, 0, sizeof(unsigned long long), main));
    const int64_t groups = detail::launch_groups(
        ws.resident_groups(entry.func, entry.dims.group, detail::kBlockThreads), per_block, stride,
        sizeof(T), ws.limits.boundary_bytes, count);
    const int64_t grid = (groups + per_block - 1) / per_block;
    KernelArgs<T> args;
    args.item = {values, a.channels, d_results, d_dirs, opt.squared};
    args.items = d_items;
    args.count = count;
    args.counter = control + kCounters;
    args.boundary_stride = stride;
    args.boundary =
        stride > 0 ? ws.boundary[0].get<T>(static_cast<std::size_t>(grid * per_block * 2 * stride))
                   : nullptr;
    const auto& events = ws.chunk_events[0];
    events.planned.record(main);
    entry.launch(static_cast<int>(grid), main, args);
    CUDA_CHECK_LAUNCH();
    events.kernels_done.record(main);
    std::vector<unsigned char> dirs(dir_bytes);
    CUDA_CHECK(cudaMemcpyAsync(dirs.data(), d_dirs, dir_bytes, cudaMemcpyDeviceToHost, main));
    CUDA_CHECK(cudaMemcpyAsync(results, d_results, static_cast<std::size_t>(count) * sizeof(T),
                               cudaMemcpyDeviceToHost, main));
    ws.main.synchronize();
    ws.add_chunk_timings(0, false);
    for (std::size_t i = begin; i < end; ++i) {
      const WorkItem& w = items[i];
      const T value = results[w.result];
      if (detail::is_poison(value))
        throw BackendError("DTW on CUDA: the paths kernel never wrote the distance of pair " +
                           std::to_string(item_pair[i]) + " (an internal error; please report it)");
      Path& p = out[item_pair[i]];
      p.distance = static_cast<double>(value);
      p.steps = detail::backtrack(dirs.data() + w.dir_off * entry.word_bytes, entry.word_bytes, w,
                                  entry.dims);
    }
    begin = end;
  }
  return out;
}

#define SP_INSTANTIATE(T)                                                                        \
  template bool fits<T>(const BatchView<T>&, const BatchView<T>&);                               \
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
