// RQA benchmarks (`swingpipe bench rqa`). Counter Gcells/s = n^2 matrix cells per second / 1e9
// (the whole matrix, as pyRQA reports it, although auto-recurrence computes one triangle);
// Gcells/cpu-s = the same cells per CPU second of all threads (user + system: the rate per core,
// meaningful on a busy machine); peak_MB = the process's peak resident set during the case (VmHWM
// after resetting it through /proc/self/clear_refs), extra_MB = that minus the resident set before
// the case. Data: the x, y, z of a Lorenz-63 trajectory (sigma 10, rho 28, beta 8/3, RK4 with dt =
// 0.01 after 1000 transient steps), the 3-D embedding the figures use; Euclidean norm,
// Theiler window 1.
//
//   rqa/<backend>/<f32|f64>/n:<N>/<abs|fraction|rate>
//     abs: eps = 1.0 (RR about 1.7%); fraction: 0.1 of the max distance (the Python default);
//     rate: RR = 5% (adds the quantile passes). CPU: N = 10^4, 10^5; CUDA also 10^6 (float32,
//     abs and fraction).
#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "swingpipe/kernels/backend.hpp"
#include "swingpipe/kernels/rqa.hpp"

namespace swingpipe::bench {
namespace {

template <class T>
rqa::Points<T> lorenz(int64_t n) {
  double s[3] = {1.0, 1.0, 1.0};
  const double dt = 0.01;
  auto f = [](const double* v, double* out) {
    out[0] = 10.0 * (v[1] - v[0]);
    out[1] = v[0] * (28.0 - v[2]) - v[1];
    out[2] = v[0] * v[1] - 8.0 / 3.0 * v[2];
  };
  auto step = [&] {
    double k1[3], k2[3], k3[3], k4[3], t[3];
    f(s, k1);
    for (int d = 0; d < 3; ++d) t[d] = s[d] + 0.5 * dt * k1[d];
    f(t, k2);
    for (int d = 0; d < 3; ++d) t[d] = s[d] + 0.5 * dt * k2[d];
    f(t, k3);
    for (int d = 0; d < 3; ++d) t[d] = s[d] + dt * k3[d];
    f(t, k4);
    for (int d = 0; d < 3; ++d) s[d] += dt / 6.0 * (k1[d] + 2 * k2[d] + 2 * k3[d] + k4[d]);
  };
  for (int i = 0; i < 1000; ++i) step();
  rqa::Points<T> p;
  p.count = n;
  p.dims = 3;
  p.values.resize(static_cast<std::size_t>(3 * n));
  for (int64_t i = 0; i < n; ++i) {
    step();
    for (int d = 0; d < 3; ++d)
      p.values[static_cast<std::size_t>(d * n + i)] = static_cast<T>(s[d]);
  }
  return p;
}

/// VmRSS or VmHWM of this process in MB (0 when /proc is unreadable).
double proc_mb(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return std::stod(line.substr(std::string(key).size())) / 1024.0;
  return 0;
}

void reset_peak() {
  if (FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", f);
    std::fclose(f);
  }
}

template <class T>
void rqa_case(benchmark::State& state, Backend backend, int64_t n, rqa::Threshold th) {
  if (backend == Backend::cuda && !cuda_device_info().available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const rqa::Points<T> x = lorenz<T>(n);
  rqa::Options opt;
  opt.threshold = th;
  opt.backend = backend;
  const double before = proc_mb("VmRSS:");
  reset_peak();
  rqa::Result r;
  rusage u0{}, u1{};
  getrusage(RUSAGE_SELF, &u0);
  for (auto _ : state) {
    r = rqa::recurrence(x, opt);
    benchmark::DoNotOptimize(r.histograms.diagonal.data());
  }
  getrusage(RUSAGE_SELF, &u1);
  const double peak = proc_mb("VmHWM:");
  const double cells = static_cast<double>(n) * static_cast<double>(n);
  state.counters["Gcells/s"] = benchmark::Counter(
      cells * static_cast<double>(state.iterations()) * 1e-9, benchmark::Counter::kIsRate);
  state.counters["RR"] = r.measures.rr;
  // CPU seconds of every thread (user + system), so the rate per core survives a busy machine.
  auto secs = [](const rusage& u) {
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
  };
  const double cpu = secs(u1) - secs(u0);
  state.counters["Gcells/cpu-s"] =
      cpu > 0 ? cells * static_cast<double>(state.iterations()) * 1e-9 / cpu : 0.0;
  state.counters["peak_MB"] = peak;
  state.counters["extra_MB"] = peak - before;
}

bool register_rqa() {
  const std::pair<const char*, rqa::Threshold> kinds[] = {
      {"abs", rqa::Threshold::absolute(1.0)},
      {"fraction", rqa::Threshold::fraction(0.1)},
      {"rate", rqa::Threshold::rate(0.05)}};
  for (Backend backend : {Backend::cpu, Backend::cuda}) {
    const std::string be(to_string(backend));
    std::vector<int64_t> sizes{10000, 100000};
    if (backend == Backend::cuda) sizes.push_back(1000000);
    for (int64_t n : sizes)
      for (const auto& [name, th] : kinds) {
        const bool huge = n >= 1000000;  // CUDA only: float32 with abs and fraction
        if (huge && th.kind == rqa::Threshold::Kind::rate) continue;
        const std::string tail = "/n:" + std::to_string(n) + "/" + name;
        const rqa::Threshold t = th;
        benchmark::RegisterBenchmark(
            ("rqa/" + be + "/f32" + tail).c_str(),
            [=](benchmark::State& s) { rqa_case<float>(s, backend, n, t); })
            ->UseRealTime()
            ->Iterations(n >= 100000 ? 1 : 3)
            ->Unit(benchmark::kMillisecond);
        if (huge) continue;
        benchmark::RegisterBenchmark(
            ("rqa/" + be + "/f64" + tail).c_str(),
            [=](benchmark::State& s) { rqa_case<double>(s, backend, n, t); })
            ->UseRealTime()
            ->Iterations(n >= 100000 ? 1 : 3)
            ->Unit(benchmark::kMillisecond);
      }
  }
  return true;
}

const bool registered = register_rqa();

}  // namespace
}  // namespace swingpipe::bench
