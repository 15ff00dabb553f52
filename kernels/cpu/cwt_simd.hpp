#pragma once
// The CWT's per-element loops on the CPU: the spectrum product of one scale on its band of bins
// and the crop of an inverse FFT into the output (complex copy, power or magnitude). One source
// (cwt_simd_impl.hpp) compiled three times: baseline x86-64, AVX2 (cwt_simd_avx2.cpp) and
// AVX-512 (cwt_simd_avx512.cpp); best_kernels() picks the widest the CPU runs.
#include <complex>
#include <cstdint>

#include "common/cwt_math.hpp"
#include "swingpipe/kernels/cwt.hpp"

namespace swingpipe::cwt::cpu {

template <class T>
struct KernelSet {
  /// spec[bin of k] = X[k] h[k - lo] for k = lo.. (X[-k] conjugated for k < 0; X is the r2c
  /// spectrum, N / 2 + 1 bins).
  void (*fill)(const detail::Band& band, const T* h, const std::complex<T>* X,
               std::complex<T>* spec, int64_t N);
  /// Zeroes the bins of a band.
  void (*clear)(const detail::Band& band, std::complex<T>* spec, int64_t N);
  /// dest[t] = y[t], t < count; `stream` uses non-temporal stores (output larger than cache).
  void (*crop_complex)(const std::complex<T>* y, std::complex<T>* dest, int64_t count, bool stream);
  /// dest[t] = |y[t]|^2 (power) or |y[t]| (magnitude).
  void (*crop_real)(const std::complex<T>* y, T* dest, int64_t count, Output kind, bool stream);
  /// dest[t] = a[t] conj(b[t]) (cross-wavelet products).
  void (*conj_product)(const std::complex<T>* a, const std::complex<T>* b, std::complex<T>* dest,
                       int64_t count);
};

struct Kernels {
  KernelSet<float> f32;
  KernelSet<double> f64;
  const char* name;
  template <class T>
  const KernelSet<T>& get() const {
    if constexpr (sizeof(T) == 4)
      return f32;
    else
      return f64;
  }
};

const Kernels& kernels_generic();
const Kernels& kernels_avx2();
const Kernels& kernels_avx512();
/// AVX-512 when the CPU has it (F, DQ, BW, VL), else AVX2 + FMA, else the baseline build.
const Kernels& best_kernels();

}  // namespace swingpipe::cwt::cpu
