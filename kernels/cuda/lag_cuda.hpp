#pragma once
// Internal entry points of the CUDA lag-matrix backend (kernels/cuda/lag_cuda.cu), called by
// Plan::matrices (kernels/cpu/lag_cpu.cpp) when the backend resolves to cuda. Plain C++ types
// only. Without CUDA, kernels/cuda/stubs/lag_stub.cpp provides versions that throw BackendError.
#include <memory>
#include <span>

#include "swingpipe/kernels/lag.hpp"

namespace swingpipe::lag::cuda {

/// cuFFT plans (a bounded cache keyed by size and batch count), device buffers and the stream.
struct State;
struct StateDeleter {
  void operator()(State* s) const;
};
using StatePtr = std::unique_ptr<State, StateDeleter>;

/// A fresh state on the current device. BackendError when CUDA is absent.
StatePtr make_state();

struct Counters {
  int64_t plans_made = 0;
  int64_t plan_hits = 0;
};

/// out[r] = the matrix of batch series r (the batch is already validated; out.size() ==
/// batch.size()). Recordings go to the GPU in chunks that fit a device-memory budget; each chunk
/// is one batched R2C over its channels and one batched C2R over its pairs.
template <class T>
void matrices(State& state, const BatchView<T>& batch, std::span<const double> fs,
              const Options& opt, std::span<Matrix> out, Counters& counters);

}  // namespace swingpipe::lag::cuda
