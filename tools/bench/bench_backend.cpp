// Cost of asking the CUDA runtime for devices (done once per run by backend `auto`).
#include <benchmark/benchmark.h>

#include "swingpipe/kernels/backend.hpp"

namespace {

void backend_cuda_device_info(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(swingpipe::cuda_device_info());
}
BENCHMARK(backend_cuda_device_info)->Name("backend/cuda_device_info");

}  // namespace
