#pragma once
// The DTW kernels (design.md §4, DTW), shared by the float and double instantiation files.
//
// A distance chunk runs as: the planning kernels of dtw_plan_kernels.cuh (which pair, its answer
// when it needs no DTW, else its bucket = shape and cost class; then each pair's position in bucket
// order and one [first, count) segment per shape), then one dtw_distance_kernel per shape, each on
// its own stream. No pair list is built on the
// host for cross and all-pairs: the kernels derive pair k from the chunk's PairSource. Paths run
// dtw_paths_kernel over WorkItems the host plans (their direction words need host offsets).
//
// The wavefront itself is kernels/common/dtw_wavefront.hpp (run_item), executed here with one
// lane per thread (DeviceLanes); CPU tests run the same code with all lanes in lockstep.
//
// Work is handed out by 64-bit atomic counters (no wrap for any chunk size), one item per group
// at a time, in bucket order: the costliest pairs first, so the last pairs handed out are small.
#include <cuda_runtime.h>

#include <cstdint>

#include "common/dtw_plan.hpp"
#include "common/dtw_wavefront.hpp"

namespace swingpipe::dtw::cuda::detail {

using namespace ::swingpipe::dtw::detail;  // NOLINT: the shared kernel logic

inline constexpr int kBlockThreads = 128;
inline constexpr int kPlanThreads = 256;

/// The device executor of run_item: this thread is one lane of a group of G.
template <int G>
struct DeviceLanes {
  static constexpr int kCount = 1;
  unsigned mask;
  int lane_id;
  __device__ __forceinline__ int lane(int) const { return lane_id; }
  template <class T>
  __device__ __forceinline__ void shfl_up(const T (&v)[1], T (&out)[1]) const {
    out[0] = __shfl_up_sync(mask, v[0], 1, G);
  }
  __device__ __forceinline__ void sync() const { __syncwarp(mask); }
  __device__ __forceinline__ void on_step(bool) const {}
};

/// Arguments of the wavefront kernels.
template <class T>
struct KernelArgs {
  ItemArgs<T> item;
  PlanArgs plan;                          ///< distances: pairs come from plan.source
  const uint32_t* order = nullptr;        ///< distances: chunk pair of each position (bucket order)
  const WorkItem* items = nullptr;        ///< paths: planned on the host
  int64_t first = 0;                      ///< distances: this shape's first position in `order`
  int64_t count = 0;                      ///< positions (distances) or items (paths) to run
  unsigned long long* counter = nullptr;  ///< next position to take; zeroed before the launch
  T* boundary = nullptr;  ///< per group: 2 * boundary_stride elements (row above a tile)
  int64_t boundary_stride = 0;
};

/// The group of this thread, its lane and the shuffle mask of its group.
template <int G>
__device__ __forceinline__ DeviceLanes<G> this_lane(int64_t* group) {
  const int lane = static_cast<int>(threadIdx.x) & (G - 1);
  const int warp_lane = static_cast<int>(threadIdx.x) & 31;
  const unsigned mask =
      G == 32 ? 0xffffffffu : (((1u << G) - 1u) << static_cast<unsigned>(warp_lane & ~(G - 1)));
  *group = (static_cast<int64_t>(blockIdx.x) * kBlockThreads + threadIdx.x) / G;
  return DeviceLanes<G>{mask, lane};
}

/// The next position for a group (lane 0 takes it, all lanes get it).
template <int G>
__device__ __forceinline__ unsigned long long next_position(const DeviceLanes<G>& lanes,
                                                            unsigned long long* counter) {
  unsigned long long pos = 0;
  if (lanes.lane_id == 0) pos = atomicAdd(counter, 1ull);
  return __shfl_sync(lanes.mask, pos, 0, G);
}

template <class T, int G, int C, int CH>
__global__ void __launch_bounds__(kBlockThreads) dtw_distance_kernel(const KernelArgs<T> a) {
  static_assert(G == 32 || G == 16 || G == 8 || G == 4, "group width must divide a warp");
  int64_t group = 0;
  DeviceLanes<G> lanes = this_lane<G>(&group);
  T* bnd_a = a.boundary + group * 2 * a.boundary_stride;
  T* bnd_b = bnd_a + a.boundary_stride;
  for (;;) {
    const unsigned long long pos = next_position(lanes, a.counter);
    if (pos >= static_cast<unsigned long long>(a.count)) return;
    const int64_t k = a.order[a.first + static_cast<int64_t>(pos)];
    WorkItem w;
    if (plan_item(a.plan, k, &w) != kNeedsKernel) continue;  // bucketed pairs always need it
    run_item<T, G, C, CH, false>(a.item, w, lanes, bnd_a, bnd_b);
  }
}

template <class T, int G, int C, int CH>
__global__ void __launch_bounds__(kBlockThreads) dtw_paths_kernel(const KernelArgs<T> a) {
  static_assert(G == 32 || G == 16 || G == 8 || G == 4, "group width must divide a warp");
  static_assert(2 * C <= 32, "direction word holds at most 16 cells");
  int64_t group = 0;
  DeviceLanes<G> lanes = this_lane<G>(&group);
  T* bnd_a = a.boundary + group * 2 * a.boundary_stride;
  T* bnd_b = bnd_a + a.boundary_stride;
  for (;;) {
    const unsigned long long pos = next_position(lanes, a.counter);
    if (pos >= static_cast<unsigned long long>(a.count)) return;
    run_item<T, G, C, CH, true>(a.item, a.items[pos], lanes, bnd_a, bnd_b);
  }
}

}  // namespace swingpipe::dtw::cuda::detail
