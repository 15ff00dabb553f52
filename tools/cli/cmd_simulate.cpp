// `swingpipe simulate`: MuJoCo golf swings into the library (host/swing_sim.hpp).
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include "command.hpp"
#include "output.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/library.hpp"
#include "swingpipe/host/swing_sim.hpp"
#include "swingpipe/pipeline/progress.hpp"

namespace swingpipe::cli {
namespace {

struct SimulateFlags {
  std::string model;
  sim::SimulateOptions opt;
  double tolerance = 1e-12;
  std::string progress = "auto";
};

/// Peak resident set size of this process (bytes).
int64_t peak_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<int64_t>(u.ru_maxrss) * 1024;  // Linux reports KiB
}

void add_simulate(CLI::App& app, Globals& g) {
  auto f = std::make_shared<SimulateFlags>();
  auto* cmd = app.add_subcommand(
      "simulate",
      "Simulate golf swings with MuJoCo (a PD controller tracking a parametrized backswing and "
      "proximal-to-distal downswing) and record every full-state channel into the library. The "
      "same seed gives the same swings for any thread count; swings are stored in batches, so "
      "memory does not grow with --count; a swing already in the library is skipped (a killed "
      "run resumes).");
  cmd->add_option("--model", f->model, "MJCF model (e.g. configs/models/golfer_full.xml)")
      ->required();
  cmd->add_option("--count", f->opt.count, "Number of swings")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--seed", f->opt.seed, "Random seed")->capture_default_str();
  cmd->add_option("--threads", f->opt.threads, "Threads (0 = all cores)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--sample-rate", f->opt.sample_rate,
                  "Recorded frames per second (must divide the model's step rate)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--batch-size", f->opt.batch_size,
                  "Swings per library transaction (0 = 2 per thread, at least 4)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--tolerance", f->tolerance,
                  "Constraint solver tolerance (overrides the model's; closure of the induced "
                  "accelerations needs about 1e-12)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--progress", f->progress, "auto, always or never")->capture_default_str();
  cmd->callback([&g, f] {
    f->opt.model = f->model;
    f->opt.tolerance = f->tolerance;
    RecordingLibrary lib(g.library);
    pipeline::Progress progress(
        "simulate", f->opt.count,
        g.quiet ? pipeline::Progress::Mode::never : pipeline::Progress::parse_mode(f->progress));
    int64_t shown = 0;
    const auto sum = sim::simulate_to_library(lib, f->opt, [&](int64_t done) {
      progress.advance(done - shown);
      shown = done;
    });
    progress.finish();
    if (g.json) {
      print_json({{"count", sum.count},
                  {"skipped", sum.skipped},
                  {"first_id", sum.first_id},
                  {"last_id", sum.last_id},
                  {"model", sum.model},
                  {"model_sha256", sum.model_sha256},
                  {"seed", f->opt.seed},
                  {"seconds", sum.seconds},
                  {"min_impact_speed", sum.min_impact_speed},
                  {"max_impact_speed", sum.max_impact_speed},
                  {"peak_rss_bytes", peak_rss_bytes()}});
    } else {
      spdlog::info(
          "simulated {} swing(s) of {} into {} in {:.2f} s ({} already there); club-head speed "
          "at impact {:.1f}-{:.1f} m/s",
          sum.count, sum.model, g.library, sum.seconds, sum.skipped, sum.min_impact_speed,
          sum.max_impact_speed);
    }
  });
}

}  // namespace
SWINGPIPE_COMMAND("simulate", add_simulate);
}  // namespace swingpipe::cli
