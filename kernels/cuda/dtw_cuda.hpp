#pragma once
// Internal entry points of the CUDA DTW backend (kernels/cuda/dtw*.cu), called by the dispatch in
// kernels/cpu/dtw*.cpp when Options::backend resolves to cuda. Plain C++ types only. Without CUDA,
// kernels/cuda/stubs/ provides versions that throw BackendError.
#include <span>
#include <vector>

#include "swingpipe/kernels/dtw.hpp"

namespace swingpipe::dtw::cuda {

template <class T>
void pairs(const BatchView<T>& a, const BatchView<T>& b, std::span<const PairIndex> pairs,
           std::span<T> out, const Options& opt);

/// out[i * b.size() + j]; when `symmetric` (a and b are the same batch) only j > i is computed and
/// mirrored, the diagonal is 0.
template <class T>
void cross(const BatchView<T>& a, const BatchView<T>& b, std::span<T> out, const Options& opt,
           bool symmetric);

template <class T>
std::vector<Path> paths(const BatchView<T>& a, const BatchView<T>& b,
                        std::span<const PairIndex> pairs, const Options& opt);

}  // namespace swingpipe::dtw::cuda
