#pragma once
// The lag matrix's small FFTW plan object (kernels/cpu/lag_cpu.cpp): one real-to-complex and one
// complex-to-real plan of one size, made once and executed on any buffers of the same alignment
// (FFTW's new-array execute functions, safe from many threads at once), plus 64-byte-aligned
// buffers and a bounded least-recently-used cache of plans keyed by size. Internal to kernels/.
#include <complex>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <utility>

namespace swingpipe::lag::cpu {

/// Complex values per row of a spectrum buffer: n/2 + 1 bins rounded up to 64 bytes (8 values),
/// so every row starts on the alignment the plans were made for.
inline int64_t spectrum_stride(int64_t n) {
  return (n / 2 + 1 + 7) / 8 * 8;
}
/// Reals per row of a time-domain buffer: n rounded up to 16 (64 bytes for float).
inline int64_t real_stride(int64_t n) {
  return (n + 15) / 16 * 16;
}

/// Memory from fftw_malloc (aligned for SIMD), freed with fftw_free.
template <class T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t count) { resize(count); }
  ~AlignedBuffer();
  AlignedBuffer(AlignedBuffer&& o) noexcept
      : ptr_(std::exchange(o.ptr_, nullptr)), count_(std::exchange(o.count_, 0)) {}
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
    std::swap(ptr_, o.ptr_);
    std::swap(count_, o.count_);
    return *this;
  }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;

  /// At least `count` elements (contents are not kept when it grows).
  void resize(std::size_t count);
  T* data() const { return ptr_; }
  std::size_t size() const { return count_; }

 private:
  T* ptr_ = nullptr;
  std::size_t count_ = 0;
};

/// r2c and c2r plans of size n for T = float or double. Unnormalized: inverse(forward(x)) = n x.
template <class T>
class RealFft {
 public:
  /// Plans with FFTW_ESTIMATE, or FFTW_MEASURE when `measure` (slower to make, faster to run).
  RealFft(int64_t n, bool measure);
  ~RealFft();
  RealFft(const RealFft&) = delete;
  RealFft& operator=(const RealFft&) = delete;

  int64_t size() const { return n_; }
  int64_t bins() const { return n_ / 2 + 1; }
  /// n reals (kept) -> n/2 + 1 bins. Both 64-byte aligned.
  void forward(const T* in, std::complex<T>* out) const;
  /// n/2 + 1 bins (overwritten) -> n reals. Both 64-byte aligned.
  void inverse(std::complex<T>* in, T* out) const;

 private:
  void destroy();
  int64_t n_;
  void* r2c_ = nullptr;
  void* c2r_ = nullptr;
};

/// Plans by size, at most `capacity` kept (the least recently used is dropped; a plan still in use
/// by a caller lives until that caller lets go of it). Thread-safe.
template <class T>
class FftCache {
 public:
  explicit FftCache(std::size_t capacity = 8, bool measure = false)
      : capacity_(capacity), measure_(measure) {}
  std::shared_ptr<const RealFft<T>> get(int64_t n);
  int64_t made() const { return made_; }
  int64_t hits() const { return hits_; }

 private:
  std::size_t capacity_;
  bool measure_;
  std::mutex mutex_;
  std::list<std::shared_ptr<const RealFft<T>>> plans_;  // most recently used first
  int64_t made_ = 0;
  int64_t hits_ = 0;
};

}  // namespace swingpipe::lag::cpu
