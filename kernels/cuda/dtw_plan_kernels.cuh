#pragma once
// The planning kernels of a distance chunk (see dtw_kernel.cuh), launched by dtw_cuda.cu only:
// dtw_plan_kernel (one thread per pair: its answer when it needs no DTW, else its bucket key, and
// a histogram of the keys), dtw_bucket_kernel (bucket starts and one segment per shape),
// dtw_scatter_kernel (each pair's position in bucket order). The per-pair logic is
// kernels/common/dtw_plan.hpp, which CPU tests check.
#include <cuda_runtime.h>

#include <cstdint>

#include "common/dtw_plan.hpp"

namespace swingpipe::dtw::cuda::detail {

using namespace ::swingpipe::dtw::detail;  // NOLINT: the shared kernel logic

/// Adds 1 to counter[key] for every active lane with that key, with one atomic per distinct key
/// of the warp; returns this lane's position (the old value plus its rank among its peers).
__device__ __forceinline__ unsigned long long add_by_key(unsigned long long* counter, int key) {
  const unsigned active = __activemask();
  const unsigned peers = __match_any_sync(active, key);
  const int lane = static_cast<int>(threadIdx.x) & 31;
  const int leader = __ffs(peers) - 1;
  unsigned long long base = 0;
  if (lane == leader)
    base = atomicAdd(counter + key, static_cast<unsigned long long>(__popc(peers)));
  base = __shfl_sync(peers, base, leader);
  return base + static_cast<unsigned long long>(__popc(peers & ((1u << lane) - 1u)));
}

/// Pass 1 of a distance chunk: answers the pairs that need no DTW, gives the others a bucket key
/// (keys[k]) and counts each bucket (hist). shape_count: shapes the host offers (1 for the
/// any-channel kernels, which exist in the small shape only).
template <class T>
__global__ void dtw_plan_kernel(PlanArgs plan, int64_t count, int shape_count, uint8_t* keys,
                                unsigned long long* hist, T* results) {
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < count;
       k += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    WorkItem w;
    const int code = plan_item(plan, k, &w);
    if (code != kNeedsKernel) {
      results[k] = answer_value<T>(code);
      keys[k] = kNoBucket;
      continue;
    }
    const int key = bucket_key(choose_shape<T>(w, shape_count), cost_class(w));
    keys[k] = static_cast<uint8_t>(key);
    add_by_key(hist, key);
  }
}

/// Pass 2 (one thread): cursor[key] = first position of each bucket; segments[2s], [2s + 1] =
/// first position and count of shape s.
__global__ void dtw_bucket_kernel(const unsigned long long* hist, unsigned long long* cursor,
                                  unsigned long long* segments) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  unsigned long long pos = 0;
  for (int s = 0; s < kShapes; ++s) {
    segments[2 * s] = pos;
    for (int c = 0; c < kClasses; ++c) {
      const int key = s * kClasses + c;
      cursor[key] = pos;
      pos += hist[key];
    }
    segments[2 * s + 1] = pos - segments[2 * s];
  }
}

/// Pass 3: order[position] = chunk pair, bucket by bucket (order within a bucket is arbitrary).
__global__ void dtw_scatter_kernel(const uint8_t* keys, int64_t count, unsigned long long* cursor,
                                   uint32_t* order) {
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < count;
       k += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int key = keys[k];
    if (key == kNoBucket) continue;
    order[add_by_key(cursor, key)] = static_cast<uint32_t>(k);
  }
}

}  // namespace swingpipe::dtw::cuda::detail
