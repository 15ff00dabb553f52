// FFTW wrappers of the lag matrix (lag_fft.hpp).
#include "cpu/lag_fft.hpp"

#include <fftw3.h>

#include <new>
#include <string>
#include <type_traits>

#include "swingpipe/error.hpp"

namespace swingpipe::lag::cpu {
namespace {

/// FFTW's planner is not thread-safe by default, and other parts of swingpipe (the CWT) plan
/// too: this makes every planner call in the process serialize inside FFTW (fftw3_threads).
void make_planners_thread_safe() {
  static std::once_flag once;
  std::call_once(once, [] {
    fftw_make_planner_thread_safe();
    fftwf_make_planner_thread_safe();
  });
}

}  // namespace

template <class T>
AlignedBuffer<T>::~AlignedBuffer() {
  fftw_free(ptr_);
}

template <class T>
void AlignedBuffer<T>::resize(std::size_t count) {
  if (count <= count_) return;
  fftw_free(ptr_);
  ptr_ = static_cast<T*>(fftw_malloc(count * sizeof(T)));
  if (!ptr_) {
    count_ = 0;
    throw std::bad_alloc();
  }
  count_ = count;
}

template <class T>
RealFft<T>::RealFft(int64_t n, bool measure) : n_(n) {
  if (n < 1 || n > (int64_t{1} << 30))
    throw InputError("lag: FFT size " + std::to_string(n) + " is outside 1..2^30");
  make_planners_thread_safe();
  const unsigned flags = measure ? FFTW_MEASURE : FFTW_ESTIMATE;
  AlignedBuffer<T> real(static_cast<std::size_t>(real_stride(n)));
  AlignedBuffer<std::complex<T>> spec(static_cast<std::size_t>(spectrum_stride(n)));
  const int size = static_cast<int>(n);
  if constexpr (std::is_same_v<T, double>) {
    auto* c = reinterpret_cast<fftw_complex*>(spec.data());
    r2c_ = fftw_plan_dft_r2c_1d(size, real.data(), c, flags);
    c2r_ = fftw_plan_dft_c2r_1d(size, c, real.data(), flags);
  } else {
    auto* c = reinterpret_cast<fftwf_complex*>(spec.data());
    r2c_ = fftwf_plan_dft_r2c_1d(size, real.data(), c, flags);
    c2r_ = fftwf_plan_dft_c2r_1d(size, c, real.data(), flags);
  }
  if (!r2c_ || !c2r_) {
    destroy();
    throw BackendError("lag: FFTW could not plan a transform of size " + std::to_string(n));
  }
}

template <class T>
RealFft<T>::~RealFft() {
  destroy();
}

template <class T>
void RealFft<T>::destroy() {
  if constexpr (std::is_same_v<T, double>) {
    if (r2c_) fftw_destroy_plan(static_cast<fftw_plan>(r2c_));
    if (c2r_) fftw_destroy_plan(static_cast<fftw_plan>(c2r_));
  } else {
    if (r2c_) fftwf_destroy_plan(static_cast<fftwf_plan>(r2c_));
    if (c2r_) fftwf_destroy_plan(static_cast<fftwf_plan>(c2r_));
  }
  r2c_ = c2r_ = nullptr;
}

template <class T>
void RealFft<T>::forward(const T* in, std::complex<T>* out) const {
  // The r2c execute takes a non-const input but does not write it (out of place, no
  // FFTW_DESTROY_INPUT for r2c).
  if constexpr (std::is_same_v<T, double>)
    fftw_execute_dft_r2c(static_cast<fftw_plan>(r2c_), const_cast<double*>(in),
                         reinterpret_cast<fftw_complex*>(out));
  else
    fftwf_execute_dft_r2c(static_cast<fftwf_plan>(r2c_), const_cast<float*>(in),
                          reinterpret_cast<fftwf_complex*>(out));
}

template <class T>
void RealFft<T>::inverse(std::complex<T>* in, T* out) const {
  if constexpr (std::is_same_v<T, double>)
    fftw_execute_dft_c2r(static_cast<fftw_plan>(c2r_), reinterpret_cast<fftw_complex*>(in), out);
  else
    fftwf_execute_dft_c2r(static_cast<fftwf_plan>(c2r_), reinterpret_cast<fftwf_complex*>(in), out);
}

template <class T>
std::shared_ptr<const RealFft<T>> FftCache<T>::get(int64_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = plans_.begin(); it != plans_.end(); ++it) {
    if ((*it)->size() == n) {
      ++hits_;
      plans_.splice(plans_.begin(), plans_, it);
      return plans_.front();
    }
  }
  plans_.push_front(std::make_shared<const RealFft<T>>(n, measure_));
  ++made_;
  if (plans_.size() > capacity_) plans_.pop_back();
  return plans_.front();
}

template class AlignedBuffer<float>;
template class AlignedBuffer<double>;
template class AlignedBuffer<std::complex<float>>;
template class AlignedBuffer<std::complex<double>>;
template class RealFft<float>;
template class RealFft<double>;
template class FftCache<float>;
template class FftCache<double>;

}  // namespace swingpipe::lag::cpu
