// Lag-matrix benchmarks (`swingpipe bench lag`). The case: 30 joints x 2000 frames x 1000
// recordings, every pair (435 per recording), all lags (nfft 4000). Counters: recordings_per_s and
// s_per_recording (wall clock, all threads). The Plan is made once and warmed outside the timing,
// as the pipeline keeps one per run. Data: the fixed-seed uniform noise of bench_support.hpp (an
// FFT's cost does not depend on the values).
//
//   lag/matrices/<cpu|cuda>/<f32|f64>/joints:30/frames:2000/recordings:1000[/max_lag:120]
//   lag/matrix/cpu/<f32|f64>/joints:30/frames:2000        one recording (threads inside it)
//   lag/sequence/cpu/f64/segments:4/frames:2000/recordings:1000
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench_support.hpp"
#include "swingpipe/kernels/backend.hpp"
#include "swingpipe/kernels/lag.hpp"

namespace swingpipe::bench {
namespace {

constexpr int kJoints = 30;
constexpr int64_t kFrames = 2000;

void set_rates(benchmark::State& state, double recordings_per_iteration) {
  const double total = recordings_per_iteration * static_cast<double>(state.iterations());
  state.counters["recordings_per_s"] = benchmark::Counter(total, benchmark::Counter::kIsRate);
  state.counters["s_per_recording"] =
      benchmark::Counter(total, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

template <class T>
void matrices_case(benchmark::State& state, Backend backend, int64_t recordings, int64_t max_lag) {
  if (backend == Backend::cuda && !cuda_device_info().available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const Batch<T> batch = random_batch<T>(recordings, kFrames, kJoints, 42);
  const std::vector<double> fs(static_cast<std::size_t>(recordings), 240.0);
  lag::Plan plan({.max_lag = max_lag, .backend = backend});
  {
    // Warm-up: plans, buffers, the CUDA context.
    const int64_t offsets[2] = {0, kFrames};
    const BatchView<T> one{batch.values, offsets, kJoints};
    plan.matrices<T>(one, std::span<const double>(fs.data(), 1));
  }
  for (auto _ : state) {
    auto out = plan.matrices<T>(batch.view(), fs);
    benchmark::DoNotOptimize(out.data());
  }
  set_rates(state, static_cast<double>(recordings));
}

template <class T>
void matrix_case(benchmark::State& state) {
  const Batch<T> batch = random_batch<T>(1, kFrames, kJoints, 42);
  lag::Plan plan;
  plan.matrix<T>(batch.view().series(0), 240.0);
  for (auto _ : state) {
    auto out = plan.matrix<T>(batch.view().series(0), 240.0);
    benchmark::DoNotOptimize(out.lag_samples.data());
  }
  set_rates(state, 1.0);
}

void sequence_case(benchmark::State& state) {
  constexpr int64_t kRecordings = 1000;
  const Batch<double> batch = random_batch<double>(kRecordings, kFrames, 4, 42);
  const int components[4] = {1, 1, 1, 1};
  for (auto _ : state) {
    for (std::size_t r = 0; r < batch.size(); ++r) {
      auto seq = lag::kinematic_sequence<double>(batch.view().series(r), components, 240.0);
      benchmark::DoNotOptimize(seq.peaks.data());
    }
  }
  set_rates(state, static_cast<double>(kRecordings));
}

bool register_lag() {
  const std::string shape = "/joints:30/frames:2000";
  for (Backend backend : {Backend::cpu, Backend::cuda}) {
    const std::string be(to_string(backend));
    for (const int64_t max_lag : {int64_t{-1}, int64_t{120}}) {
      const std::string tail = max_lag < 0 ? "" : "/max_lag:" + std::to_string(max_lag);
      benchmark::RegisterBenchmark(
          ("lag/matrices/" + be + "/f64" + shape + "/recordings:1000" + tail).c_str(),
          [=](benchmark::State& s) { matrices_case<double>(s, backend, 1000, max_lag); })
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(
          ("lag/matrices/" + be + "/f32" + shape + "/recordings:1000" + tail).c_str(),
          [=](benchmark::State& s) { matrices_case<float>(s, backend, 1000, max_lag); })
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
  benchmark::RegisterBenchmark(("lag/matrix/cpu/f64" + shape).c_str(), matrix_case<double>)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark(("lag/matrix/cpu/f32" + shape).c_str(), matrix_case<float>)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("lag/sequence/cpu/f64/segments:4/frames:2000/recordings:1000",
                               sequence_case)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  return true;
}

const bool registered = register_lag();

}  // namespace
}  // namespace swingpipe::bench
