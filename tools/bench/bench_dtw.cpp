// DTW benchmarks (`swingpipe bench --filter dtw/`). Counter GCUPS = in-band cells (band_cells) per
// second, 1e9 scale. Every case runs on the fixed-seed data of bench_support.hpp, on the CPU
// backend (widest SIMD level, all OpenMP threads) or on CUDA (skipped without a device).
//
//   dtw/pairs/<backend>/<f32|f64>/len:<L>/band:<10|100>   64 independent pairs of length L
//   dtw/one_vs_many/<backend>/f32/len:<128|512>/band:<..>  one query vs 10 000 references
//   dtw/all_pairs/<backend>/f32/len:128/n:1000/band:<..>   1000 x 1000, upper triangle
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench_support.hpp"
#include "swingpipe/kernels/backend.hpp"
#include "swingpipe/kernels/dtw.hpp"

namespace swingpipe::bench {
namespace {

using dtw::Band;
using dtw::Options;

Band band_of(int percent) {
  return percent >= 100 ? Band::full() : Band::fraction(percent / 100.0);
}

/// false (and the case skipped) when the backend cannot run here.
bool usable(benchmark::State& state, Backend backend) {
  if (backend == Backend::cuda && !cuda_device_info().available()) {
    state.SkipWithError("no CUDA device");
    return false;
  }
  return true;
}

void set_gcups(benchmark::State& state, double cells_per_iteration) {
  state.counters["GCUPS"] =
      benchmark::Counter(cells_per_iteration * static_cast<double>(state.iterations()) * 1e-9,
                         benchmark::Counter::kIsRate);
}

template <class T>
void pairs_case(benchmark::State& state, Backend backend, int64_t length, int band_percent) {
  if (!usable(state, backend)) return;
  constexpr int64_t kPairs = 64;
  const Batch<T> a = random_batch<T>(kPairs, length, 1, 42);
  const Batch<T> b = random_batch<T>(kPairs, length, 1, 43);
  std::vector<dtw::PairIndex> list;
  for (int64_t p = 0; p < kPairs; ++p) list.push_back({p, p});
  std::vector<T> out(kPairs);
  const Options opt{.band = band_of(band_percent), .backend = backend};
  for (auto _ : state) {
    dtw::pairs<T>(a.view(), b.view(), list, out, opt);
    benchmark::DoNotOptimize(out.data());
  }
  set_gcups(state, static_cast<double>(kPairs * dtw::band_cells(length, length, opt.band)));
}

void one_vs_many_case(benchmark::State& state, Backend backend, int64_t length, int band_percent) {
  if (!usable(state, backend)) return;
  constexpr int64_t kRefs = 10000;
  const Batch<float> q = random_batch<float>(1, length, 1, 41);
  const Batch<float> refs = random_batch<float>(kRefs, length, 1, 42);
  std::vector<float> out(kRefs);
  const Options opt{.band = band_of(band_percent), .backend = backend};
  for (auto _ : state) {
    dtw::one_vs_many<float>(q.view().series(0), refs.view(), out, opt);
    benchmark::DoNotOptimize(out.data());
  }
  set_gcups(state, static_cast<double>(kRefs * dtw::band_cells(length, length, opt.band)));
}

void all_pairs_case(benchmark::State& state, Backend backend, int64_t count, int64_t length,
                    int band_percent) {
  if (!usable(state, backend)) return;
  const Batch<float> batch = random_batch<float>(count, length, 1, 42);
  std::vector<float> out(static_cast<std::size_t>(count * count));
  const Options opt{.band = band_of(band_percent), .backend = backend};
  for (auto _ : state) {
    dtw::all_pairs<float>(batch.view(), out, opt);
    benchmark::DoNotOptimize(out.data());
  }
  set_gcups(state, static_cast<double>(count * (count - 1) / 2) *
                       static_cast<double>(dtw::band_cells(length, length, opt.band)));
}

bool register_dtw() {
  for (Backend backend : {Backend::cpu, Backend::cuda}) {
    const std::string be(to_string(backend));
    for (int band : {10, 100}) {
      const std::string bs = "/band:" + std::to_string(band);
      for (int64_t len : {128, 512, 2048}) {
        const std::string ls = "/len:" + std::to_string(len);
        benchmark::RegisterBenchmark(
            ("dtw/pairs/" + be + "/f32" + ls + bs).c_str(),
            [=](benchmark::State& s) { pairs_case<float>(s, backend, len, band); })
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(
            ("dtw/pairs/" + be + "/f64" + ls + bs).c_str(),
            [=](benchmark::State& s) { pairs_case<double>(s, backend, len, band); })
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
      }
      for (int64_t len : {128, 512})
        benchmark::RegisterBenchmark(
            ("dtw/one_vs_many/" + be + "/f32/len:" + std::to_string(len) + "/refs:10000" + bs)
                .c_str(),
            [=](benchmark::State& s) { one_vs_many_case(s, backend, len, band); })
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
      // 1000 x 1000 at length 128: ~8e9 cells with the full band, one iteration is enough.
      benchmark::RegisterBenchmark(
          ("dtw/all_pairs/" + be + "/f32/len:128/n:1000" + bs).c_str(),
          [=](benchmark::State& s) { all_pairs_case(s, backend, 1000, 128, band); })
          ->UseRealTime()
          ->Iterations(1)
          ->Unit(benchmark::kMillisecond);
    }
  }
  return true;
}

const bool registered = register_dtw();

}  // namespace
}  // namespace swingpipe::bench
