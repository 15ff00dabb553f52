#pragma once
// Internals of the CWT plan (cwt.hpp) shared by the CPU backend (cwt_plan.cpp, cwt_cpu.cpp) and
// the CUDA backend (kernels/cuda/cwt_cuda.cu). Plain C++ only: FFTW and CUDA state are opaque.
#include <complex>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "../common/cwt_math.hpp"
#include "swingpipe/kernels/cwt.hpp"

namespace swingpipe::cwt {

namespace cpu {
struct FftState;  // FFTW plans and per-thread buffers (cwt_cpu.cpp)
void destroy(FftState* state);
struct FftStateDeleter {
  void operator()(FftState* s) const { destroy(s); }
};
/// Builds the FFTW plans of a plan's geometry (FFTW_MEASURE, under a process-wide lock).
std::unique_ptr<FftState, FftStateDeleter> make_fft_state(const Plan::Impl& plan);
}  // namespace cpu

namespace cuda {
struct DeviceState;  // cuFFT plans, device bank and buffers, streams (kernels/cuda/cwt_cuda.cu)
void destroy(DeviceState* state);
struct DeviceStateDeleter {
  void operator()(DeviceState* s) const { destroy(s); }
};
}  // namespace cuda

struct Plan::Impl {
  Spec spec;
  Backend backend = Backend::cpu;  ///< resolved
  std::vector<double> scales;
  Geometry geometry;
  /// Per scale: the bins where its spectrum is stored (offset into bank32 / bank64).
  std::vector<detail::Band> bands;
  /// H[k] / N for the bins of each band, in the plan's precision (the other vector is empty).
  std::vector<float> bank32;
  std::vector<double> bank64;
  /// Bins of the r2c spectrum of one block (fft_size / 2 + 1), and its stride in the block
  /// spectra arrays (rounded up so that every block's spectrum stays 64-byte aligned).
  int64_t half_bins = 0;
  int64_t spectrum_stride = 0;
  /// The FFT lengths the scales are transformed with (CPU): one class per length, each with its
  /// r2c spectrum's bins and stride (a multiple of 8 bins) and its offset in a segment's spectra
  /// (one segment holds the spectra of every class, `class_stride` values in all). One class of
  /// geometry.fft_size unless a one-block CPU plan groups its scales (Spec::max_fft_sizes); the
  /// bank of scale i is on the grid of its class's length.
  struct SizeClass {
    int64_t fft_size = 0;
    int64_t half_bins = 0;
    int64_t spectrum_stride = 0;
    int64_t spectrum_offset = 0;
  };
  std::vector<SizeClass> classes;
  std::vector<int> class_of;  ///< per scale
  int64_t class_stride = 0;

  std::unique_ptr<cpu::FftState, cpu::FftStateDeleter> cpu;
  std::unique_ptr<cuda::DeviceState, cuda::DeviceStateDeleter> device;

  template <class T>
  const T* bank() const {
    if constexpr (sizeof(T) == 4)
      return bank32.data();
    else
      return bank64.data();
  }
};

namespace detail {
/// FFTW's planner is not thread-safe: every fftw(f)_plan_* / destroy_plan call holds this.
std::mutex& fftw_planner_mutex();
/// Smallest 2^a 3^b 5^c 7^d >= m (m >= 1).
int64_t good_fft_size(int64_t m);
/// Samples of the wavelet kept on each side for a scale (ceil(kappa s)), kappa by precision.
int64_t support_of(double scale, Precision precision);
/// Layout of the blocks for a spec (see Geometry); InputError for a block_size that is too small.
Geometry make_geometry(const Spec& spec, const std::vector<double>& scales);
/// FFT lengths for the scales of a one-block plan (the sizes, ascending, and each scale's index
/// into them): scale s needs n + min(support(s), n - 1) points; at most `max_sizes` lengths
/// (0 = 4), chosen to minimize the estimated FFT time (inverses per scale and one forward per
/// length). The largest length is at most `single` (the one-size geometry's length).
std::pair<std::vector<int64_t>, std::vector<int>> size_classes(const Spec& spec,
                                                               const std::vector<double>& scales,
                                                               int64_t single, int max_sizes);
}  // namespace detail

/// The real type of an output element (T for T and std::complex<T>).
template <class V>
struct RealOf {
  using type = V;
};
template <class T>
struct RealOf<std::complex<T>> {
  using type = T;
};

/// Where a block engine puts the outputs: straight into a transform() array (base: row (c, i)
/// of block j at base + (c * F + i) * n + j * step), or in tiles handed to a sink per block.
template <class V>
struct Target {
  V* base = nullptr;
  const TileSink<V>* sink = nullptr;
};

namespace cpu {
/// The CPU block engine (cwt_cpu.cpp) for every precision and output type.
template <class T, class V>
void run(const Plan::Impl& plan, SeriesRef<T> x, Output kind, const Target<V>& target,
         const RunOptions& run);
}  // namespace cpu

}  // namespace swingpipe::cwt
