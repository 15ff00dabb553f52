#pragma once
// Internal entry points of the CUDA CWT backend (kernels/cuda/cwt_cuda.cu), called by the plan
// (cwt_plan.cpp) and the dispatch in cwt_cpu.cpp when a plan's backend is cuda. Plain C++ types
// only. Without CUDA, kernels/cuda/stubs/cwt_stub.cpp provides versions that throw BackendError.
#include <cstddef>
#include <memory>

#include "../cpu/cwt_internal.hpp"

namespace swingpipe::cwt::cuda {

/// cuFFT plans (r2c once per block and channel, batched c2c inverse over scales), the bank and
/// band table on the device, device buffers, pinned staging and two streams. BackendError when
/// no device is usable or cuFFT cannot be loaded.
std::unique_ptr<DeviceState, DeviceStateDeleter> make_device_state(const Plan::Impl& plan);

/// The block engine on the device (same blocks, same outputs as cpu::run, within rounding).
template <class T, class V>
void run(const Plan::Impl& plan, SeriesRef<T> x, Output kind, const Target<V>& target,
         const RunOptions& run);

/// Benchmarks: the device part of transform() (upload, FFTs, products, crop; outputs stay in
/// device memory, nothing is copied back), `repeats` times; seconds per repeat, timed with CUDA
/// events. x must be the plan's length.
template <class T>
double device_seconds(const Plan& plan, SeriesRef<T> x, Output kind, int repeats);

/// Benchmarks: seconds per device-to-device cudaMemcpy of `bytes` (best of `repeats`, CUDA
/// events): the card's copy bandwidth, which the CUDA power output is measured against.
double d2d_copy_seconds(std::size_t bytes, int repeats);

}  // namespace swingpipe::cwt::cuda
