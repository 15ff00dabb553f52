#pragma once
// Host-side input rules of the DTW API (dtw.hpp), shared by the CPU backend
// (kernels/cpu/dtw_cpu.cpp) and the CUDA backend's entry points (kernels/cuda/dtw_cuda.cu), so that
// both accept and refuse exactly the same inputs: batch shape, channel counts, band, pair indices,
// output spans, and the non-finite contract (a series holding NaN or +-inf is flagged here, before
// any DP).
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "swingpipe/error.hpp"
#include "swingpipe/kernels/dtw.hpp"

namespace swingpipe::dtw::detail {

/// True when any of the `count` values is NaN, +inf or -inf.
template <class T>
bool has_nonfinite(const T* values, int64_t count) {
  for (int64_t k = 0; k < count; ++k)
    if (!std::isfinite(values[k])) return true;
  return false;
}

/// flags[s] = 1 when series s of the batch holds a non-finite value (dtw.hpp: its distances are
/// NaN).
template <class T>
std::vector<uint8_t> nonfinite_flags(const BatchView<T>& b) {
  std::vector<uint8_t> flags(b.size(), 0);
  for (std::size_t s = 0; s < b.size(); ++s) {
    const SeriesRef<T> x = b.series(s);
    flags[s] = has_nonfinite(x.data, x.length * x.channels) ? 1 : 0;
  }
  return flags;
}

/// Channel count >= 1, offsets start at 0 and never decrease, enough values for the offsets.
template <class T>
void check_batch(const BatchView<T>& b, const char* what) {
  if (b.channels < 1)
    throw InputError(std::string("DTW: ") + what + " has channel count " +
                     std::to_string(b.channels) + " (must be >= 1)");
  if (b.offsets.empty()) return;
  if (b.offsets[0] != 0) throw InputError(std::string("DTW: ") + what + " offsets[0] != 0");
  for (std::size_t i = 0; i + 1 < b.offsets.size(); ++i)
    if (b.offsets[i + 1] < b.offsets[i])
      throw InputError(std::string("DTW: ") + what + " offsets decrease at series " +
                       std::to_string(i));
  const auto frames = static_cast<std::size_t>(b.offsets.back());
  const auto channels = static_cast<std::size_t>(b.channels);
  if (frames > SIZE_MAX / channels || b.values.size() < frames * channels)
    throw InputError(std::string("DTW: ") + what + " has " + std::to_string(b.values.size()) +
                     " values, offsets need " + std::to_string(b.offsets.back()) + " frames x " +
                     std::to_string(b.channels) + " channels");
}

template <class T>
void check_same_channels(const BatchView<T>& a, const BatchView<T>& b) {
  if (a.channels != b.channels)
    throw InputError("DTW: series have different channel counts (" + std::to_string(a.channels) +
                     " and " + std::to_string(b.channels) + ")");
}

inline void check_band(const Band& band) {
  (void)band.radius(1, 1);
}

/// rows * cols, or InputError naming `what` when the product does not fit in size_t.
inline std::size_t checked_product(std::size_t rows, std::size_t cols, const char* what) {
  std::size_t product = 0;
  if (__builtin_mul_overflow(rows, cols, &product))
    throw InputError(std::string("DTW ") + what + ": " + std::to_string(rows) + " x " +
                     std::to_string(cols) + " results do not fit in memory");
  return product;
}

/// The one output span rule of every mode and backend: at least `need` elements; elements past
/// `need` are left untouched.
inline void check_out(std::size_t have, std::size_t need, const char* what) {
  if (have < need)
    throw InputError(std::string("DTW ") + what + ": output span has " + std::to_string(have) +
                     " elements, needs " + std::to_string(need));
}

/// Every pair indexes a series of its batch.
template <class T>
void check_pairs(const BatchView<T>& a, const BatchView<T>& b, std::span<const PairIndex> pairs) {
  const auto na = static_cast<int64_t>(a.size()), nb = static_cast<int64_t>(b.size());
  for (std::size_t p = 0; p < pairs.size(); ++p)
    if (pairs[p].a < 0 || pairs[p].a >= na || pairs[p].b < 0 || pairs[p].b >= nb)
      throw InputError("DTW pairs: pair " + std::to_string(p) + " = (" +
                       std::to_string(pairs[p].a) + ", " + std::to_string(pairs[p].b) +
                       ") is out of range for batches of " + std::to_string(na) + " and " +
                       std::to_string(nb) + " series");
}

/// The checks every batch entry point (pairs, cross, paths, knn) makes on its two batches.
template <class T>
void check_batches(const BatchView<T>& a, const BatchView<T>& b, const Band& band) {
  check_batch(a, "first batch");
  check_batch(b, "second batch");
  check_same_channels(a, b);
  check_band(band);
}

/// Every limit of a Workspace is positive, and a chunk's pair indices fit the 32-bit order array.
inline void check_workspace_limits(const Workspace::Limits& l) {
  if (l.chunk_pairs < 1 || l.chunk_pairs > INT32_MAX)
    throw InputError("DTW workspace: chunk_pairs must be in [1, 2^31 - 1], got " +
                     std::to_string(l.chunk_pairs));
  if (l.boundary_bytes == 0 || l.direction_bytes == 0 || l.staging_bytes == 0)
    throw InputError("DTW workspace: boundary, direction and staging limits must be > 0 bytes");
}

/// The CUDA kernels index rows and columns with 32-bit integers (dtw.hpp: cuda_max_length()).
inline constexpr int64_t kCudaMaxLength = (int64_t{1} << 29) - 1;

}  // namespace swingpipe::dtw::detail
