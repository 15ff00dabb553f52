#pragma once
// Internal entry points of the CUDA RQA backend (kernels/cuda/rqa_cuda.cu), used by the public
// API (kernels/cpu/rqa_api.cpp) when Options::backend resolves to cuda. Plain C++ types only.
// Without CUDA, kernels/cuda/stubs/rqa_stub.cpp provides a Runner whose constructor throws
// BackendError.
//
// The kernels are the walkers of common/rqa_math.hpp: one thread per column (vertical and white
// lines over every row, through both triangles) and one per diagonal (upper diagonals with weight
// 2 when symmetric, as detail::diagonal_plan says), each block counting into shared-memory
// histograms that are added to the global ones when it ends.
#include <memory>

#include "cpu/rqa_internal.hpp"

namespace swingpipe::rqa::cuda {

template <class T>
class Runner {
 public:
  Runner();
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  /// A device copy of a host cloud (kept until the Runner goes); the result points to device
  /// memory.
  detail::Cloud<T> upload(const detail::Cloud<T>& host);
  /// The histograms of a problem whose clouds were uploaded by this Runner.
  Histograms lines(const detail::LineProblem<T>& problem);
  /// Max and counting passes over a region whose clouds were uploaded by this Runner.
  detail::RegionPasses<T> passes(const detail::Region<T>& region);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace swingpipe::rqa::cuda
