#pragma once
// Per-element CWT math shared by the CPU backend (kernels/cpu/cwt*.cpp) and the CUDA kernels
// (kernels/cuda/cwt*.cu). Plain C++ only; every function is SP_HD.
//
// The transform (cwt.hpp) is W[b] = sum_n x[n] g[n - b] with g[m] = s^-1/2 conj(psi(m / s)),
// psi(t) = pi^-1/4 e^{i w0 t} e^{-t^2/2}. On an FFT grid of N points it is
// W = IDFT(X . H) with H[k] = sum_m g[m] e^{+2 pi i k m / N}, which is real (g is a Gaussian times
// a phase ramp). For the untruncated wavelet, Poisson summation gives H in closed form:
//   H(w) = sqrt(2 pi s) pi^-1/4 sum_j exp(-(s (w + 2 pi j) - w0)^2 / 2),   w = 2 pi k / N.
#include <cmath>
#include <cstdint>

#include "hd.hpp"

namespace swingpipe::cwt::detail {

constexpr double kPi = 3.14159265358979323846;
constexpr double kPiMinusQuarter = 0.75112554446494248286;  // pi^-1/4

/// s = w0 fs / (2 pi f): the Morlet scale (in samples) whose centre frequency is f Hz.
SP_HD double scale_of(double frequency, double omega0, double sample_rate) {
  return omega0 * sample_rate / (2.0 * kPi * frequency);
}

/// The closed-form H(w) above, w in radians per sample, with aliases |j| <= alias.
SP_HD double morlet_spectrum(double s, double w, double omega0, int alias) {
  double sum = 0.0;
  for (int j = -alias; j <= alias; ++j) {
    const double d = s * (w + 2.0 * kPi * j) - omega0;
    sum += exp(-0.5 * d * d);
  }
  return sqrt(2.0 * kPi * s) * kPiMinusQuarter * sum;
}

/// The time-domain wavelet tap g[m] without the phase: s^-1/2 pi^-1/4 e^{-m^2 / (2 s^2)}.
SP_HD double morlet_envelope(double s, double m) {
  return kPiMinusQuarter / sqrt(s) * exp(-0.5 * (m / s) * (m / s));
}

/// What an output element holds (cwt::Output): 0 complex, 1 power |W|^2, 2 magnitude |W|.
template <class T>
SP_HD T power_of(T re, T im) {
  return re * re + im * im;
}
template <class T>
SP_HD T magnitude_of(T re, T im) {
  return sqrt(re * re + im * im);
}

/// Band of FFT bins where H is stored: k = lo .. lo + count - 1 (lo may be negative: bin N + k).
struct Band {
  int64_t lo = 0;
  int64_t count = 0;
  int64_t offset = 0;  ///< first value in the plan's bank
};

}  // namespace swingpipe::cwt::detail
