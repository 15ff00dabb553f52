// dtw::Workspace on a CUDA build (dtw_workspace.hpp). The Impl is made on the first CUDA call that
// uses the workspace, so a Workspace costs nothing where no device is visible.
#include "cuda/dtw_workspace.hpp"

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>

#include "common/dtw_checks.hpp"
#include "swingpipe/error.hpp"

namespace swingpipe::dtw {

Workspace::Impl::Impl(const Workspace::Limits& lim) : limits(lim) {
  CUDA_CHECK(cudaGetDevice(&device));
  cudaDeviceProp prop{};
  CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  sms = prop.multiProcessorCount;
  device_name = prop.name;
}

int64_t Workspace::Impl::resident_groups(const void* func, int group, int block_threads) {
  auto it = blocks_per_sm_.find(func);
  if (it == blocks_per_sm_.end()) {
    int blocks = 0;
    CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, func, block_threads, 0));
    it = blocks_per_sm_.emplace(func, std::max(blocks, 1)).first;
  }
  return static_cast<int64_t>(it->second) * sms * (block_threads / group);
}

void Workspace::Impl::upload(void* device_dst, const void* host_src, std::size_t bytes) {
  auto* dst = static_cast<unsigned char*>(device_dst);
  const auto* src = static_cast<const unsigned char*>(host_src);
  std::size_t done = 0;
  while (done < bytes) {
    const int b = next_staging;
    next_staging ^= 1;
    staging_free[b].synchronize();  // the previous copy out of this buffer has finished
    // Small uploads get small buffers: a call that moves a few KiB does not pin megabytes.
    unsigned char* stage =
        staging[b].get<unsigned char>(std::min(limits.staging_bytes, bytes - done));
    const std::size_t piece = std::min(bytes - done, staging[b].bytes());
    std::memcpy(stage, src + done, piece);
    CUDA_CHECK(cudaMemcpyAsync(dst + done, stage, piece, cudaMemcpyHostToDevice, main.get()));
    staging_free[b].record(main.get());
    done += piece;
  }
}

void Workspace::Impl::add_chunk_timings(int slot, bool planned_chunk) {
  const ChunkEvents& e = chunk_events[slot];
  e.kernels_done.synchronize();
  float ms = 0;
  if (planned_chunk) {
    CUDA_CHECK(cudaEventElapsedTime(&ms, e.plan_start.get(), e.plan_end.get()));
    timings.planning_seconds += ms * 1e-3;
  }
  CUDA_CHECK(cudaEventElapsedTime(&ms, e.planned.get(), e.kernels_done.get()));
  timings.kernel_seconds += ms * 1e-3;
  ++timings.chunks;
}

std::size_t Workspace::Impl::device_bytes() const {
  std::size_t total = values.bytes() + offsets.bytes() + flags.bytes() + pairs.bytes() +
                      keys.bytes() + order.bytes() + control.bytes() + results.bytes() +
                      dirs.bytes() + items.bytes();
  for (const auto& b : boundary) total += b.bytes();
  return total;
}

Workspace::Workspace() : Workspace(Limits{}) {}
Workspace::Workspace(const Limits& limits) : limits_(limits) {
  detail::check_workspace_limits(limits);
}
Workspace::~Workspace() = default;
Workspace::Workspace(Workspace&&) noexcept = default;
Workspace& Workspace::operator=(Workspace&&) noexcept = default;

std::size_t Workspace::device_bytes() const {
  return impl_ ? impl_->device_bytes() : 0;
}

Workspace::Timings Workspace::timings() const {
  return impl_ ? impl_->timings : Timings{};
}

void Workspace::reset_timings() {
  if (impl_) impl_->timings = {};
}

Workspace::Impl& Workspace::impl() {
  static std::mutex creation;  // two threads' first calls on one workspace make one Impl
  const std::lock_guard<std::mutex> lock(creation);
  if (!impl_) impl_ = std::make_unique<Impl>(limits_);
  return *impl_;
}

}  // namespace swingpipe::dtw
