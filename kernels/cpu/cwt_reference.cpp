// The CWT by direct summation of its definition (cwt.hpp, design.md §6): the tests' oracle.
#include <cmath>
#include <complex>
#include <string>
#include <vector>

#include "common/cwt_math.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/cwt.hpp"

namespace swingpipe::cwt {

void reference_transform(std::span<const double> x, std::span<const double> frequencies,
                         double omega0, double sample_rate, std::span<std::complex<double>> out) {
  const auto n = static_cast<int64_t>(x.size());
  if (out.size() != frequencies.size() * x.size())
    throw InputError("cwt: reference_transform: output holds " + std::to_string(out.size()) +
                     " values, frequencies x length is " +
                     std::to_string(frequencies.size() * x.size()));
  std::vector<std::complex<double>> g(static_cast<std::size_t>(2 * n));
  for (std::size_t i = 0; i < frequencies.size(); ++i) {
    const double s = detail::scale_of(frequencies[i], omega0, sample_rate);
    // g[d + n] = s^-1/2 conj(psi(d / s)) for lag d = m - b in (-n, n).
    for (int64_t d = -n + 1; d < n; ++d) {
      const double t = static_cast<double>(d) / s;
      g[static_cast<std::size_t>(d + n)] =
          detail::morlet_envelope(s, static_cast<double>(d)) * std::polar(1.0, -omega0 * t);
    }
    for (int64_t b = 0; b < n; ++b) {
      std::complex<double> sum = 0;
      for (int64_t m = 0; m < n; ++m)
        sum += x[static_cast<std::size_t>(m)] * g[static_cast<std::size_t>(m - b + n)];
      out[i * x.size() + static_cast<std::size_t>(b)] = sum;
    }
  }
}

}  // namespace swingpipe::cwt
