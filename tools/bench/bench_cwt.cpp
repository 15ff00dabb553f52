// CWT benchmarks (`swingpipe bench cwt`). items_per_second = output coefficients (channels x
// scales x samples) per second; bytes_per_second = output bytes per second (complex64 = 8 B,
// power float32 = 4 B, ...). Fixed-seed uniform noise; frequencies geometric from fs/256 to fs/4
// (periods of 4 to 256 samples, scales 3.8 to 244 samples at w0 = 6); the plan is built once
// outside the timing.
//
//   cwt/<backend>/<c64|power32|c128|power64>/ch:<1|16|64>/scales:<64|256>/len:<2^14..2^20>
//
// Outputs up to 1 GiB go to one array (transform()); larger ones stream through
// transform_tiles() into a reused tile (the work is the same, the output is not kept).
// cwt/cuda_device/... time the device part alone (outputs stay in device memory: the figure to
// compare with the card's device-to-device copy bandwidth; counters kernel_ms, output_GBps,
// d2d_copy_GBps (a cudaMemcpy of the output's size on the same card) and of_d2d, their ratio:
// the target is of_d2d >= 0.6 for power32); skipped without a device.
// cwt/plan/... time building a plan (FFTW_MEASURE planning and the wavelet bank).
#include <benchmark/benchmark.h>

#include <complex>
#include <string>
#include <vector>

#include "../../kernels/cuda/cwt_cuda.hpp"
#include "bench_support.hpp"
#include "swingpipe/kernels/backend.hpp"
#include "swingpipe/kernels/cwt.hpp"

namespace swingpipe::bench {
namespace {

using cwt::Output;

constexpr std::size_t kInMemoryBytes = std::size_t{1} << 30;

cwt::Spec spec_of(int64_t length, int scales, cwt::Precision p, Backend backend) {
  return {.length = length,
          .frequencies = cwt::geometric_frequencies(1.0 / 256, 1.0 / 4, scales),
          .omega0 = 6.0,
          .sample_rate = 1.0,
          .precision = p,
          .backend = backend};
}

/// items_per_second = coefficients per second, bytes_per_second = output bytes per second.
void set_counters(benchmark::State& state, double coefficients, double bytes) {
  state.SetItemsProcessed(static_cast<int64_t>(coefficients) * state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes) * state.iterations());
}

template <class T>
void transform_case(benchmark::State& state, Backend backend, Output kind, int channels, int scales,
                    int64_t length) {
  if (backend == Backend::cuda && !cuda_device_info().available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const Batch<T> x = random_batch<T>(1, length, channels, 42);
  const cwt::Plan plan(spec_of(length, scales, cwt::precision_of<T>(), backend));
  const SeriesRef<T> series = x.view().series(0);
  const double coefficients = double(channels) * scales * double(length);
  const std::size_t value_bytes = kind == Output::complex ? 2 * sizeof(T) : sizeof(T);
  const double bytes = coefficients * static_cast<double>(value_bytes);
  const bool in_memory = bytes <= static_cast<double>(kInMemoryBytes);
  std::vector<std::complex<T>> wc(
      in_memory && kind == Output::complex ? static_cast<std::size_t>(coefficients) : 0);
  std::vector<T> wr(in_memory && kind != Output::complex ? static_cast<std::size_t>(coefficients)
                                                         : 0);
  int64_t seen = 0;
  for (auto _ : state) {
    if (in_memory && kind == Output::complex) {
      cwt::transform<T>(plan, series, wc);
      benchmark::DoNotOptimize(wc.data());
    } else if (in_memory) {
      cwt::transform<T>(plan, series, kind, wr);
      benchmark::DoNotOptimize(wr.data());
    } else if (kind == Output::complex) {
      cwt::transform_tiles<T>(plan, series,
                              [&](int64_t, int64_t count, std::span<const std::complex<T>> t) {
                                benchmark::DoNotOptimize(t.data());
                                seen += count;
                              });
    } else {
      cwt::transform_tiles<T>(plan, series, kind,
                              [&](int64_t, int64_t count, std::span<const T> t) {
                                benchmark::DoNotOptimize(t.data());
                                seen += count;
                              });
    }
  }
  benchmark::DoNotOptimize(seen);
  set_counters(state, coefficients, bytes);
}

template <class T>
void device_case(benchmark::State& state, Output kind, int channels, int scales, int64_t length) {
  if (!cuda_device_info().available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const Batch<T> x = random_batch<T>(1, length, channels, 42);
  const cwt::Plan plan(spec_of(length, scales, cwt::precision_of<T>(), Backend::cuda));
  const double coefficients = double(channels) * scales * double(length);
  const double bytes =
      coefficients * static_cast<double>(kind == Output::complex ? 2 * sizeof(T) : sizeof(T));
  double total = 0;
  for (auto _ : state) {
    const double seconds = cwt::cuda::device_seconds<T>(plan, x.view().series(0), kind, 3);
    state.SetIterationTime(seconds);
    total += seconds;
  }
  set_counters(state, coefficients, bytes);
  // The CUDA target: output bytes/s against a device-to-device copy of the output's
  // size on the same card (copy bytes/s, counting the bytes copied once, as the output's).
  const double per_transform = total / static_cast<double>(state.iterations());
  const double copy = cwt::cuda::d2d_copy_seconds(static_cast<std::size_t>(bytes), 5);
  state.counters["kernel_ms"] = per_transform * 1e3;
  state.counters["output_GBps"] = bytes / per_transform * 1e-9;
  state.counters["d2d_copy_GBps"] = bytes / copy * 1e-9;
  state.counters["of_d2d"] = copy / per_transform;
}

void plan_case(benchmark::State& state, int scales, int64_t length, cwt::Precision p) {
  for (auto _ : state) {
    const cwt::Plan plan(spec_of(length, scales, p, Backend::cpu));
    benchmark::DoNotOptimize(plan.bank_size());
  }
}

std::string pow2_name(int64_t length) {
  int k = 0;
  while ((int64_t{1} << k) < length) ++k;
  return "2^" + std::to_string(k);
}

bool register_cwt() {
  const int64_t lengths[] = {int64_t{1} << 14, int64_t{1} << 16, int64_t{1} << 18,
                             int64_t{1} << 20};
  for (Backend backend : {Backend::cpu, Backend::cuda}) {
    const std::string be(to_string(backend));
    for (int channels : {1, 16, 64})
      for (int scales : {64, 256})
        for (int64_t len : lengths) {
          const std::string tail = "/ch:" + std::to_string(channels) +
                                   "/scales:" + std::to_string(scales) + "/len:" + pow2_name(len);
          const double coefficients = double(channels) * scales * double(len);
          // One iteration where a single one takes seconds.
          const int iterations = coefficients > 2e9 ? 1 : 0;
          auto reg = [&](const std::string& name, auto fn) {
            auto* b = benchmark::RegisterBenchmark(name.c_str(), fn);
            b->UseRealTime()->Unit(benchmark::kMillisecond);
            if (iterations) b->Iterations(iterations);
          };
          reg("cwt/" + be + "/c64" + tail, [=](benchmark::State& s) {
            transform_case<float>(s, backend, Output::complex, channels, scales, len);
          });
          reg("cwt/" + be + "/power32" + tail, [=](benchmark::State& s) {
            transform_case<float>(s, backend, Output::power, channels, scales, len);
          });
          if (channels == 1) {
            reg("cwt/" + be + "/c128" + tail, [=](benchmark::State& s) {
              transform_case<double>(s, backend, Output::complex, channels, scales, len);
            });
            reg("cwt/" + be + "/power64" + tail, [=](benchmark::State& s) {
              transform_case<double>(s, backend, Output::power, channels, scales, len);
            });
          }
          if (backend == Backend::cuda) {
            for (auto [name, kind] :
                 {std::pair{"c64", Output::complex}, std::pair{"power32", Output::power}})
              benchmark::RegisterBenchmark(("cwt/cuda_device/" + std::string(name) + tail).c_str(),
                                           [=, out = kind](benchmark::State& s) {
                                             device_case<float>(s, out, channels, scales, len);
                                           })
                  ->UseManualTime()
                  ->Unit(benchmark::kMillisecond);
          }
        }
  }
  for (int64_t len : {int64_t{1} << 14, int64_t{1} << 20})
    for (auto p : {cwt::Precision::float32, cwt::Precision::float64})
      benchmark::RegisterBenchmark(
          ("cwt/plan/" + std::string(cwt::to_string(p)) + "/scales:256/len:" + pow2_name(len))
              .c_str(),
          [=](benchmark::State& s) { plan_case(s, 256, len, p); })
          ->Unit(benchmark::kMillisecond);
  return true;
}

const bool registered = register_cwt();

}  // namespace
}  // namespace swingpipe::bench
