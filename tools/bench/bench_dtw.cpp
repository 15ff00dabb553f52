// DTW benchmarks (`swingpipe bench --filter dtw/`). Counter GCUPS = in-band cells (band_cells) per
// second, 1e9 scale, host to host (inputs in host memory, results back in host memory). Every case
// runs on the fixed-seed data of bench_support.hpp, on the CPU backend (widest SIMD level, all
// OpenMP threads) or on CUDA (skipped without a device). CUDA cases reuse one dtw::Workspace
// across iterations and add kernel-only figures from its CUDA events: kernel_GCUPS (wavefront
// kernels only), kernel_ms and plan_ms (the per-chunk planning kernels) per iteration. Their
// batches fill the card (thousands of pairs: >= 4 warps per SM on an H100/H200).
//
//   dtw/pairs/<backend>/<f32|f64>/len:<L>/n:<64 | 8192>/band:<10|100>  n independent pairs
//   dtw/one_vs_many/<backend>/f32/len:<128|512>/refs:10000/band:<..>    one query vs 10 000
//   dtw/all_pairs/<backend>/f32/len:128/n:1000/band:<..>               1000 x 1000, upper triangle
//   dtw/all_pairs/cuda/f32/len:<1024|4097>/n:<512|128>/band:<..>       CUDA only: ~1e11 cells
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

/// The options of a case: CUDA cases share one workspace per case (timings reset here).
Options case_options(int band_percent, Backend backend, dtw::Workspace* ws) {
  Options opt{.band = band_of(band_percent), .backend = backend};
  if (backend == Backend::cuda) {
    opt.workspace = ws;
    ws->reset_timings();
  }
  return opt;
}

/// Kernel-only counters of a CUDA case (from the workspace's CUDA events).
void set_kernel_counters(benchmark::State& state, const Options& opt, double cells_per_iteration) {
  if (opt.backend != Backend::cuda || state.iterations() == 0) return;
  const dtw::Workspace::Timings t = opt.workspace->timings();
  const auto iters = static_cast<double>(state.iterations());
  state.counters["kernel_ms"] = t.kernel_seconds / iters * 1e3;
  state.counters["plan_ms"] = t.planning_seconds / iters * 1e3;
  if (t.kernel_seconds > 0)
    state.counters["kernel_GCUPS"] = cells_per_iteration * iters / t.kernel_seconds * 1e-9;
}

template <class T>
void pairs_case(benchmark::State& state, Backend backend, int64_t length, int64_t count,
                int band_percent) {
  if (!usable(state, backend)) return;
  const Batch<T> a = random_batch<T>(count, length, 1, 42);
  const Batch<T> b = random_batch<T>(count, length, 1, 43);
  std::vector<dtw::PairIndex> list;
  for (int64_t p = 0; p < count; ++p) list.push_back({p, p});
  std::vector<T> out(static_cast<std::size_t>(count));
  dtw::Workspace ws;
  const Options opt = case_options(band_percent, backend, &ws);
  for (auto _ : state) {
    dtw::pairs<T>(a.view(), b.view(), list, out, opt);
    benchmark::DoNotOptimize(out.data());
  }
  const double cells = static_cast<double>(count * dtw::band_cells(length, length, opt.band));
  set_gcups(state, cells);
  set_kernel_counters(state, opt, cells);
}

void one_vs_many_case(benchmark::State& state, Backend backend, int64_t length, int band_percent) {
  if (!usable(state, backend)) return;
  constexpr int64_t kRefs = 10000;
  const Batch<float> q = random_batch<float>(1, length, 1, 41);
  const Batch<float> refs = random_batch<float>(kRefs, length, 1, 42);
  std::vector<float> out(kRefs);
  dtw::Workspace ws;
  const Options opt = case_options(band_percent, backend, &ws);
  for (auto _ : state) {
    dtw::one_vs_many<float>(q.view().series(0), refs.view(), out, opt);
    benchmark::DoNotOptimize(out.data());
  }
  const double cells = static_cast<double>(kRefs * dtw::band_cells(length, length, opt.band));
  set_gcups(state, cells);
  set_kernel_counters(state, opt, cells);
}

void all_pairs_case(benchmark::State& state, Backend backend, int64_t count, int64_t length,
                    int band_percent) {
  if (!usable(state, backend)) return;
  const Batch<float> batch = random_batch<float>(count, length, 1, 42);
  std::vector<float> out(static_cast<std::size_t>(count * count));
  dtw::Workspace ws;
  const Options opt = case_options(band_percent, backend, &ws);
  for (auto _ : state) {
    dtw::all_pairs<float>(batch.view(), out, opt);
    benchmark::DoNotOptimize(out.data());
  }
  const double cells = static_cast<double>(count * (count - 1) / 2) *
                       static_cast<double>(dtw::band_cells(length, length, opt.band));
  set_gcups(state, cells);
  set_kernel_counters(state, opt, cells);
}

void register_all_pairs(Backend backend, int64_t count, int64_t length, int band, int iterations) {
  const std::string name = "dtw/all_pairs/" + std::string(to_string(backend)) +
                           "/f32/len:" + std::to_string(length) + "/n:" + std::to_string(count) +
                           "/band:" + std::to_string(band);
  benchmark::RegisterBenchmark(
      name.c_str(), [=](benchmark::State& s) { all_pairs_case(s, backend, count, length, band); })
      ->UseRealTime()
      ->Iterations(iterations)
      ->Unit(benchmark::kMillisecond);
}

bool register_dtw() {
  for (Backend backend : {Backend::cpu, Backend::cuda}) {
    const std::string be(to_string(backend));
    // CUDA: enough pairs for >= 4 warps on every multiprocessor of an H100/H200 (132 x 4).
    const int64_t count = backend == Backend::cuda ? 8192 : 64;
    for (int band : {10, 100}) {
      const std::string bs = "/n:" + std::to_string(count) + "/band:" + std::to_string(band);
      for (int64_t len : {128, 512, 2048}) {
        const std::string ls = "/len:" + std::to_string(len);
        benchmark::RegisterBenchmark(
            ("dtw/pairs/" + be + "/f32" + ls + bs).c_str(),
            [=](benchmark::State& s) { pairs_case<float>(s, backend, len, count, band); })
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(
            ("dtw/pairs/" + be + "/f64" + ls + bs).c_str(),
            [=](benchmark::State& s) { pairs_case<double>(s, backend, len, count, band); })
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
      }
      for (int64_t len : {128, 512})
        benchmark::RegisterBenchmark(
            ("dtw/one_vs_many/" + be + "/f32/len:" + std::to_string(len) + "/refs:10000" +
             "/band:" + std::to_string(band))
                .c_str(),
            [=](benchmark::State& s) { one_vs_many_case(s, backend, len, band); })
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
      // 1000 x 1000 at length 128: ~8e9 cells with the full band, one iteration is enough.
      register_all_pairs(backend, 1000, 128, band, 1);
    }
  }
  // CUDA only (hours on two CPU cores): ~1.3e11 full-window cells, a few iterations each.
  for (int band : {10, 100}) register_all_pairs(Backend::cuda, 512, 1024, band, 3);
  register_all_pairs(Backend::cuda, 128, 4097, 100, 3);
  return true;
}

const bool registered = register_dtw();

}  // namespace
}  // namespace swingpipe::bench
