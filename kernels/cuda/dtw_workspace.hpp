#pragma once
// What a dtw::Workspace holds on a CUDA build (design.md §3, rule 3): set up on the first CUDA call
// that uses it, then kept. CUDA translation units only.
#include <cuda_runtime.h>

#include <cstddef>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/cuda_check.hpp"
#include "common/dtw_plan.hpp"
#include "swingpipe/kernels/dtw.hpp"

namespace swingpipe::dtw {

struct Workspace::Impl {
  explicit Impl(const Workspace::Limits& limits);

  std::mutex mutex;  ///< one call at a time
  Workspace::Limits limits;
  int device = 0;
  int sms = 0;
  std::string device_name;

  cuda_util::Stream main;                    ///< uploads, planning, downloads, paths
  cuda_util::Stream shape[detail::kShapes];  ///< one per distance shape
  /// Timing events of a chunk, on the main stream; two sets, as the chunks alternate result slots.
  struct ChunkEvents {
    cuda_util::Event plan_start{true};    ///< before the planning kernels
    cuda_util::Event plan_end{true};      ///< after them
    cuda_util::Event planned{true};       ///< the shape streams start after it
    cuda_util::Event kernels_done{true};  ///< after every wavefront kernel of the chunk
  };
  ChunkEvents chunk_events[2];
  cuda_util::Event shape_done[detail::kShapes];
  cuda_util::Event staging_free[2];   ///< the upload out of staging[b] is done
  cuda_util::Event results_ready[2];  ///< chunk results are in results_host[b]

  cuda_util::PinnedBuffer staging[2];  ///< host -> device, limits.staging_bytes each
  int next_staging = 0;
  cuda_util::PinnedBuffer results_host[2];
  cuda_util::PinnedBuffer control_host;  ///< the chunk's segments

  cuda_util::DeviceBuffer values, offsets, flags, pairs, keys, order, control, results, dirs, items;
  cuda_util::DeviceBuffer boundary[detail::kShapes];

  /// Groups of `group` lanes of kernel `func` resident on the whole device at once (occupancy is
  /// asked once per kernel).
  int64_t resident_groups(const void* func, int group, int block_threads);

  /// Copies host memory to the device on the main stream through the two pinned staging buffers
  /// (the memcpy into one overlaps the copy out of the other).
  void upload(void* device_dst, const void* host_src, std::size_t bytes);

  std::size_t device_bytes() const;

  /// Adds the device time of the chunk that used chunk_events[slot] (it must have finished).
  void add_chunk_timings(int slot, bool planned_chunk);
  Workspace::Timings timings;

 private:
  std::unordered_map<const void*, int> blocks_per_sm_;  ///< bounded: one entry per kernel
};

}  // namespace swingpipe::dtw
