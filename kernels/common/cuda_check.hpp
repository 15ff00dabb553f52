#pragma once
// Checked CUDA calls (design.md §3.4): every runtime call goes through CUDA_CHECK, which throws
// swingpipe::BackendError naming the call, file:line and cudaGetErrorString; CUDA_CHECK_LAUNCH()
// after each kernel launch checks the launch itself. RAII owners of device memory, pinned host
// memory, streams and events, so nothing leaks when a check throws. Only for CUDA translation units
// (kernels/cuda/*.cu).
#include <cuda_runtime.h>

#include <cstddef>
#include <string>
#include <utility>

#include "swingpipe/error.hpp"

namespace swingpipe::cuda_util {

[[noreturn]] inline void throw_cuda_error(cudaError_t err, const char* call, const char* file,
                                          int line) {
  throw BackendError(std::string("CUDA call failed: ") + call + " at " + file + ":" +
                     std::to_string(line) + ": " + cudaGetErrorString(err) + " (" +
                     cudaGetErrorName(err) + ")");
}

}  // namespace swingpipe::cuda_util

#define CUDA_CHECK(call)                                                                 \
  do {                                                                                   \
    const cudaError_t sp_cuda_err_ = (call);                                             \
    if (sp_cuda_err_ != cudaSuccess)                                                     \
      ::swingpipe::cuda_util::throw_cuda_error(sp_cuda_err_, #call, __FILE__, __LINE__); \
  } while (0)

/// After every <<<...>>> launch: a bad configuration shows up here, not at the next sync.
#define CUDA_CHECK_LAUNCH() CUDA_CHECK(cudaGetLastError())

namespace swingpipe::cuda_util {

/// Owns `count` elements of device memory (cudaMalloc / cudaFree).
template <class T>
class DeviceArray {
 public:
  DeviceArray() = default;
  explicit DeviceArray(std::size_t count) : count_(count) {
    if (count > 0) CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&ptr_), count * sizeof(T)));
  }
  ~DeviceArray() {
    if (ptr_) cudaFree(ptr_);  // a destructor cannot throw; a failed free is reported nowhere
  }
  DeviceArray(DeviceArray&& o) noexcept
      : ptr_(std::exchange(o.ptr_, nullptr)), count_(std::exchange(o.count_, 0)) {}
  DeviceArray& operator=(DeviceArray&& o) noexcept {
    std::swap(ptr_, o.ptr_);
    std::swap(count_, o.count_);
    return *this;
  }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;

  T* get() const { return ptr_; }
  std::size_t size() const { return count_; }
  std::size_t bytes() const { return count_ * sizeof(T); }

 private:
  T* ptr_ = nullptr;
  std::size_t count_ = 0;
};

/// Owns a non-blocking stream; synchronize() checks the stream's errors.
class Stream {
 public:
  Stream() { CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
  ~Stream() {
    if (stream_) cudaStreamDestroy(stream_);
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return stream_; }
  void synchronize() const { CUDA_CHECK(cudaStreamSynchronize(stream_)); }

 private:
  cudaStream_t stream_ = nullptr;
};

/// Owns an event: without timing (ordering between streams, the host waiting for a copy), or with
/// timing for cudaEventElapsedTime.
class Event {
 public:
  explicit Event(bool timing = false) {
    CUDA_CHECK(
        cudaEventCreateWithFlags(&event_, timing ? cudaEventDefault : cudaEventDisableTiming));
  }
  ~Event() {
    if (event_) cudaEventDestroy(event_);
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  cudaEvent_t get() const { return event_; }
  void record(cudaStream_t stream) const { CUDA_CHECK(cudaEventRecord(event_, stream)); }
  /// Returns at once for an event never recorded.
  void synchronize() const { CUDA_CHECK(cudaEventSynchronize(event_)); }

 private:
  cudaEvent_t event_ = nullptr;
};

/// Device memory that grows on demand and is kept (a workspace buffer): get() returns at least
/// `count` elements of T, reallocating (the old contents are lost) only when it holds fewer bytes.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  ~DeviceBuffer() {
    if (ptr_) cudaFree(ptr_);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  template <class T>
  T* get(std::size_t count) {
    const std::size_t need = count * sizeof(T);
    if (need > bytes_) {
      if (ptr_) CUDA_CHECK(cudaFree(ptr_));
      ptr_ = nullptr;
      bytes_ = 0;
      CUDA_CHECK(cudaMalloc(&ptr_, need));
      bytes_ = need;
    }
    return static_cast<T*>(ptr_);
  }
  std::size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
};

/// Page-locked host memory (cudaHostAlloc) that grows on demand, like DeviceBuffer.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  ~PinnedBuffer() {
    if (ptr_) cudaFreeHost(ptr_);
  }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  template <class T>
  T* get(std::size_t count) {
    const std::size_t need = count * sizeof(T);
    if (need > bytes_) {
      if (ptr_) CUDA_CHECK(cudaFreeHost(ptr_));
      ptr_ = nullptr;
      bytes_ = 0;
      CUDA_CHECK(cudaHostAlloc(&ptr_, need, cudaHostAllocDefault));
      bytes_ = need;
    }
    return static_cast<T*>(ptr_);
  }
  std::size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
};

}  // namespace swingpipe::cuda_util
