// The loops of cwt_simd.hpp. Included once by each of cwt_simd_generic.cpp, cwt_simd_avx2.cpp and
// cwt_simd_avx512.cpp inside an anonymous namespace, so each translation unit gets its own copy
// compiled for its instruction set (the loops are written for the auto-vectorizer; non-temporal
// stores use intrinsics). No include guard on purpose.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstring>

#include "common/cwt_math.hpp"
#include "cpu/cwt_simd.hpp"

namespace {

using swingpipe::cwt::Output;
using swingpipe::cwt::detail::Band;

template <class T>
void fill_band(const Band& b, const T* __restrict h, const std::complex<T>* X,
               std::complex<T>* spec, int64_t N) {
  const int64_t hi = b.lo + b.count - 1;
  const T* __restrict x = reinterpret_cast<const T*>(X);
  if (b.lo < 0) {
    const int64_t last = std::min<int64_t>(hi, -1);
    T* __restrict out = reinterpret_cast<T*>(spec + (N + b.lo));
    const int64_t count = last - b.lo + 1;
    // k = lo + i (negative): bin N + k holds conj(X[-k]) h[i].
    for (int64_t i = 0; i < count; ++i) {
      const int64_t src = -(b.lo + i);
      out[2 * i] = x[2 * src] * h[i];
      out[2 * i + 1] = -x[2 * src + 1] * h[i];
    }
  }
  if (hi >= 0) {
    const int64_t first = std::max<int64_t>(b.lo, 0);
    const T* __restrict hh = h + (first - b.lo);
    const T* __restrict xx = x + 2 * first;
    T* __restrict out = reinterpret_cast<T*>(spec + first);
    const int64_t count = hi - first + 1;
    for (int64_t i = 0; i < count; ++i) {
      out[2 * i] = xx[2 * i] * hh[i];
      out[2 * i + 1] = xx[2 * i + 1] * hh[i];
    }
  }
}

template <class T>
void clear_band(const Band& b, std::complex<T>* spec, int64_t N) {
  const int64_t hi = b.lo + b.count - 1;
  if (b.lo < 0) {
    const int64_t last = std::min<int64_t>(hi, -1);
    std::memset(static_cast<void*>(spec + (N + b.lo)), 0,
                static_cast<std::size_t>(last - b.lo + 1) * sizeof(std::complex<T>));
  }
  if (hi >= 0) {
    const int64_t first = std::max<int64_t>(b.lo, 0);
    std::memset(static_cast<void*>(spec + first), 0,
                static_cast<std::size_t>(hi - first + 1) * sizeof(std::complex<T>));
  }
}

// ---- non-temporal stores of float / double runs ----------------------------------------------

#if defined(__AVX512F__)
constexpr int kVecBytes = 64;
inline void stream_block(float* d, const float* s) {
  _mm512_stream_ps(d, _mm512_loadu_ps(s));
}
inline void stream_block(double* d, const double* s) {
  _mm512_stream_pd(d, _mm512_loadu_pd(s));
}
#elif defined(__AVX2__)
constexpr int kVecBytes = 32;
inline void stream_block(float* d, const float* s) {
  _mm256_stream_ps(d, _mm256_loadu_ps(s));
}
inline void stream_block(double* d, const double* s) {
  _mm256_stream_pd(d, _mm256_loadu_pd(s));
}
#else
constexpr int kVecBytes = 16;
inline void stream_block(float* d, const float* s) {
  _mm_stream_ps(d, _mm_loadu_ps(s));
}
inline void stream_block(double* d, const double* s) {
  _mm_stream_pd(d, _mm_loadu_pd(s));
}
#endif

/// dest[0..count) = src[0..count): scalar head up to vector alignment, streamed body, tail.
template <class T>
void stream_copy(const T* src, T* dest, int64_t count) {
  constexpr int64_t lanes = kVecBytes / static_cast<int64_t>(sizeof(T));
  int64_t i = 0;
  while (i < count && (reinterpret_cast<uintptr_t>(dest + i) % kVecBytes) != 0) {
    dest[i] = src[i];
    ++i;
  }
  if (reinterpret_cast<uintptr_t>(dest + i) % kVecBytes != 0) {  // T-misaligned: plain copy
    std::memcpy(dest + i, src + i, static_cast<std::size_t>(count - i) * sizeof(T));
    return;
  }
  for (; i + lanes <= count; i += lanes) stream_block(dest + i, src + i);
  for (; i < count; ++i) dest[i] = src[i];
  _mm_sfence();  // the streamed stores are visible before anyone reads the output
}

template <class T>
void crop_complex(const std::complex<T>* y, std::complex<T>* dest, int64_t count, bool stream) {
  if (stream)
    stream_copy(reinterpret_cast<const T*>(y), reinterpret_cast<T*>(dest), 2 * count);
  else
    std::memcpy(static_cast<void*>(dest), y, static_cast<std::size_t>(count) * sizeof(*y));
}

/// Power or magnitude of count values into out (plain stores; vectorized).
template <class T>
void real_values(const T* __restrict v, T* __restrict out, int64_t count, Output kind) {
  if (kind == Output::power) {
    for (int64_t t = 0; t < count; ++t) out[t] = v[2 * t] * v[2 * t] + v[2 * t + 1] * v[2 * t + 1];
  } else {
    for (int64_t t = 0; t < count; ++t)
      out[t] = std::sqrt(v[2 * t] * v[2 * t] + v[2 * t + 1] * v[2 * t + 1]);
  }
}

template <class T>
void crop_real(const std::complex<T>* y, T* dest, int64_t count, Output kind, bool stream) {
  const T* v = reinterpret_cast<const T*>(y);
  if (!stream) {
    real_values(v, dest, count, kind);
    return;
  }
  // Through a small cache-resident buffer, then streamed out.
  constexpr int64_t kChunk = 1024;
  alignas(64) T buf[kChunk];
  for (int64_t t = 0; t < count; t += kChunk) {
    const int64_t c = std::min(kChunk, count - t);
    real_values(v + 2 * t, buf, c, kind);
    stream_copy(buf, dest + t, c);
  }
}

template <class T>
void conj_product(const std::complex<T>* a, const std::complex<T>* b, std::complex<T>* dest,
                  int64_t count) {
  const T* __restrict x = reinterpret_cast<const T*>(a);
  const T* __restrict y = reinterpret_cast<const T*>(b);
  T* __restrict d = reinterpret_cast<T*>(dest);
  for (int64_t t = 0; t < count; ++t) {
    const T xr = x[2 * t], xi = x[2 * t + 1], yr = y[2 * t], yi = y[2 * t + 1];
    d[2 * t] = xr * yr + xi * yi;
    d[2 * t + 1] = xi * yr - xr * yi;
  }
}

template <class T>
swingpipe::cwt::cpu::KernelSet<T> kernel_set() {
  return {&fill_band<T>, &clear_band<T>, &crop_complex<T>, &crop_real<T>, &conj_product<T>};
}

}  // namespace
