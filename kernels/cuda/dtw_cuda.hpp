#pragma once
// Internal entry points of the CUDA DTW backend (kernels/cuda/dtw*.cu), called by the dispatch in
// kernels/cpu/dtw_cpu.cpp when Options::backend resolves to cuda. Plain C++ types only. They check
// their inputs with the same rules as the public API (kernels/common/dtw_checks.hpp) plus the
// kernels' length limit (cuda_max_length()), and use Options::workspace (or a temporary one).
// Without CUDA, kernels/cuda/stubs/ provides versions that throw BackendError.
#include <span>
#include <vector>

#include "swingpipe/kernels/dtw.hpp"

namespace swingpipe::dtw::cuda {

/// Whether the CUDA backend can take these batches: every series within cuda_max_length(), and
/// their values (plus room for the per-chunk buffers) within the device's free memory. Backend
/// `automatic` runs on the CPU when not.
template <class T>
bool fits(const BatchView<T>& a, const BatchView<T>& b);

/// out[p] = DTW(a[pairs[p].a], b[pairs[p].b]); out.size() >= pairs.size().
template <class T>
void pairs(const BatchView<T>& a, const BatchView<T>& b, std::span<const PairIndex> pairs,
           std::span<T> out, const Options& opt);

/// out[i * b.size() + j]; when `symmetric` (a and b are the same batch) only j > i is computed and
/// mirrored, the diagonal is 0. out.size() >= |a| * |b|.
template <class T>
void cross(const BatchView<T>& a, const BatchView<T>& b, std::span<T> out, const Options& opt,
           bool symmetric);

template <class T>
std::vector<Path> paths(const BatchView<T>& a, const BatchView<T>& b,
                        std::span<const PairIndex> pairs, const Options& opt);

}  // namespace swingpipe::dtw::cuda
