// describe() (mean, std, min, max, peak rate, RMS jerk) and one Savitzky-Golay derivative:
// 32 channels x 10 000 frames, reported in frames/s (frames of all channels together).
#include <benchmark/benchmark.h>

#include <vector>

#include "bench_support.hpp"
#include "swingpipe/kernels/stats.hpp"

namespace {

constexpr int kChannels = 32;
constexpr int64_t kFrames = 10000;

void stats_describe(benchmark::State& state) {
  const auto batch = swingpipe::bench::random_batch<double>(1, kFrames, kChannels);
  const auto series = batch.view().series(0);
  for (auto _ : state) benchmark::DoNotOptimize(swingpipe::stats::describe(series, 240.0));
  state.counters["frames/s"] = benchmark::Counter(
      static_cast<double>(kFrames * kChannels) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
}
BENCHMARK(stats_describe)
    ->Name("stats/describe/32x10000")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();  // OpenMP threads: CPU time of the main thread undercounts

void stats_savgol_derivative(benchmark::State& state) {
  const auto batch = swingpipe::bench::random_batch<double>(1, kFrames, kChannels);
  const auto plan = swingpipe::stats::savgol_plan(11, 3, 3);
  std::vector<double> out(static_cast<std::size_t>(kFrames));
  for (auto _ : state) {
    for (int c = 0; c < kChannels; ++c) {
      const std::span<const double> x(batch.values.data() + c * kFrames, kFrames);
      swingpipe::stats::savgol_apply(plan, x, 240.0, out);
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.counters["frames/s"] = benchmark::Counter(
      static_cast<double>(kFrames * kChannels) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
}
BENCHMARK(stats_savgol_derivative)
    ->Name("stats/savgol_jerk/32x10000")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();  // OpenMP threads: CPU time of the main thread undercounts

}  // namespace
