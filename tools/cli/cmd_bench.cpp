// `swingpipe bench [ANALYSIS] [benchmark flags]`: the kernel benchmarks (Google Benchmark).
#include <benchmark/benchmark.h>

#include "command.hpp"
#include "swingpipe/error.hpp"

namespace swingpipe::cli {
namespace {

void add_bench(CLI::App& app, Globals&) {
  auto analysis = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "bench",
      "Run the kernel benchmarks (Google Benchmark). ANALYSIS selects one group (auth, backend, "
      "cwt, dtw, iaa, lag, mocap, rqa, stats, tasks); other flags go to Google Benchmark, e.g. "
      "--benchmark_format=json --benchmark_out=FILE --benchmark_min_time=0.1 "
      "--benchmark_list_tests=true, or --benchmark_filter=REGEX instead of ANALYSIS.");
  cmd->add_option("analysis", *analysis,
                  "Benchmark group (auth, backend, cwt, dtw, iaa, lag, mocap, rqa, stats, tasks); "
                  "default all");
  cmd->allow_extras();
  cmd->fallthrough(false);  // --benchmark_* flags stay here instead of reaching the main app
  cmd->callback([cmd, analysis] {
    std::vector<std::string> args{"swingpipe bench"};
    bool has_filter = false;
    for (const auto& extra : cmd->remaining()) {
      if (extra.rfind("--benchmark_", 0) != 0)
        throw InputError("bench: unknown argument '" + extra +
                         "' (Google Benchmark flags start with --benchmark_)");
      has_filter |= extra.rfind("--benchmark_filter", 0) == 0;
      args.push_back(extra);
    }
    if (!analysis->empty()) {
      if (analysis->rfind("--", 0) == 0) throw InputError("bench: unknown flag " + *analysis);
      if (has_filter) throw InputError("bench: give ANALYSIS or --benchmark_filter, not both");
      args.push_back("--benchmark_filter=^" + *analysis + "/");
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    int argc = static_cast<int>(argv.size());
    benchmark::Initialize(&argc, argv.data());
    if (benchmark::ReportUnrecognizedArguments(argc, argv.data()))
      throw InputError("bench: unrecognized benchmark arguments");
    const auto ran = benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    if (ran == 0 && !analysis->empty())
      throw InputError("bench: no benchmark matches '" + *analysis + "'");
    if (ran == 0 && has_filter) throw InputError("bench: no benchmark matches the filter");
  });
}

}  // namespace
SWINGPIPE_COMMAND("bench", add_bench);
}  // namespace swingpipe::cli
