// Task registry operations per second, 1 and 8 threads: a task's life (submit, start, 4 progress
// updates, 3 gets, finish: 10 operations, 2 of them SQLite writes with group commit), and reads
// alone (get + progress on tasks in memory). `swingpipe bench tasks`.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <mutex>

#include "swingpipe/host/tasks.hpp"

namespace {

using namespace swingpipe;

struct Shared {
  std::filesystem::path dir;
  std::unique_ptr<tasks::Registry> registry;
  std::vector<std::string> resident;  ///< running tasks for the read benchmark
};

std::unique_ptr<Shared> make_shared_registry(std::size_t capacity) {
  auto s = std::make_unique<Shared>();
  std::string tmpl = (std::filesystem::temp_directory_path() / "swingpipe-bench-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
  s->dir = tmpl;
  tasks::Registry::Options o;
  o.database = s->dir / "tasks.db";
  o.capacity = capacity;
  s->registry = std::make_unique<tasks::Registry>(o);
  return s;
}

void drop(std::unique_ptr<Shared>& s) {
  if (!s) return;
  const auto dir = s->dir;
  s.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

std::unique_ptr<Shared> g_life, g_reads;

void tasks_registry_lifecycle(benchmark::State& state) {
  if (state.thread_index() == 0) g_life = make_shared_registry(1000);
  tasks::Registry* r = nullptr;
  for (auto _ : state) {
    if (!r) r = g_life->registry.get();
    const auto t = r->submit("bench", "o", {{"i", 1}});
    r->start(t.id);
    for (int i = 0; i < 4; ++i) r->progress(t.id, i / 4.0);
    for (int i = 0; i < 3; ++i) benchmark::DoNotOptimize(r->get(t.id));
    r->finish(t.id, tasks::State::succeeded, {{"ok", true}});
  }
  state.counters["ops/s"] = benchmark::Counter(10.0 * static_cast<double>(state.iterations()),
                                               benchmark::Counter::kIsRate);
  if (state.thread_index() == 0) drop(g_life);
}
BENCHMARK(tasks_registry_lifecycle)
    ->Name("tasks/lifecycle")
    ->Threads(1)
    ->Threads(8)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

void tasks_registry_reads(benchmark::State& state) {
  if (state.thread_index() == 0) {
    g_reads = make_shared_registry(1000);
    for (int i = 0; i < 256; ++i) {
      const auto t = g_reads->registry->submit("bench", "o", {});
      g_reads->registry->start(t.id);
      g_reads->resident.push_back(t.id);
    }
  }
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 31;
  for (auto _ : state) {
    const std::string& id = g_reads->resident[i++ % g_reads->resident.size()];
    benchmark::DoNotOptimize(g_reads->registry->get(id));
    g_reads->registry->progress(id, 0.5);
  }
  state.counters["ops/s"] = benchmark::Counter(2.0 * static_cast<double>(state.iterations()),
                                               benchmark::Counter::kIsRate);
  if (state.thread_index() == 0) drop(g_reads);
}
BENCHMARK(tasks_registry_reads)
    ->Name("tasks/reads")
    ->Threads(1)
    ->Threads(8)
    ->UseRealTime()
    ->Unit(benchmark::kNanosecond);

}  // namespace
