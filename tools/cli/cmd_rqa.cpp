// `swingpipe rqa`: recurrence quantification of one recording (or two: cross-recurrence).
//
//   swingpipe rqa A                      auto-recurrence of A (file or id:N)
//   swingpipe rqa A B                    cross-recurrence of A (rows) and B (columns)
//   swingpipe rqa A --joint-channels ..  joint recurrence of two channel groups of A
//
// Embedding: --channels (z-scored, default all) or --delay-channel C --dimension M --delay TAU;
// threshold: --eps E (absolute), --fraction F (of the max distance, default 0.1) or --rate R;
// --norm, --theiler, --lmin, --vmin, --convention standard|pyrqa, --window W [--step S] for time
// courses, --precision, --backend, --threads. Prints the measures (--json: with the histograms
// and windows), the time of the RQA itself and its cells per second.
#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "command.hpp"
#include "inputs.hpp"
#include "output.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/io.hpp"
#include "swingpipe/host/library.hpp"
#include "swingpipe/pipeline/progress.hpp"
#include "swingpipe/pipeline/rqa_run.hpp"

namespace swingpipe::cli {
namespace {

struct RqaFlags {
  std::string a, b;
  std::vector<std::string> channels, joint_channels;
  std::string delay_channel;
  int dimension = 3, delay = 1;
  bool no_zscore = false;
  std::string norm = "euclidean", convention = "standard", precision = "float64";
  double eps = 0, fraction = 0.1, rate = 0;
  CLI::Option *eps_opt = nullptr, *fraction_opt = nullptr, *rate_opt = nullptr;
  CLI::Option *theiler_opt = nullptr, *step_opt = nullptr;
  int64_t theiler = 1, lmin = 2, vmin = 2, window = 0, step = 0;
  std::string backend = "cpu";
  int threads = 0;
};

pipeline::RqaRequest request_of(const RqaFlags& f) {
  pipeline::RqaRequest q;
  q.mode = !f.b.empty() ? "cross" : (!f.joint_channels.empty() ? "joint" : "auto");
  if (!f.b.empty() && !f.joint_channels.empty())
    throw InputError("rqa: give a second recording (cross) or --joint-channels, not both");
  q.channels = f.channels;
  q.joint_channels = f.joint_channels;
  if (!f.delay_channel.empty()) {
    q.embedding = "delay";
    q.delay_channel = f.delay_channel;
  }
  q.dimension = f.dimension;
  q.delay = f.delay;
  q.zscore = !f.no_zscore;
  q.precision = f.precision;
  q.options.norm = rqa::parse_norm(f.norm);
  q.options.convention = rqa::parse_convention(f.convention);
  const int kinds =
      (f.eps_opt->count() > 0) + (f.fraction_opt->count() > 0) + (f.rate_opt->count() > 0);
  if (kinds > 1) throw InputError("rqa: give one of --eps, --fraction and --rate");
  if (f.eps_opt->count() > 0)
    q.options.threshold = rqa::Threshold::absolute(f.eps);
  else if (f.rate_opt->count() > 0)
    q.options.threshold = rqa::Threshold::rate(f.rate);
  else
    q.options.threshold = rqa::Threshold::fraction(f.fraction);
  if (f.theiler_opt->count() > 0) q.options.theiler = f.theiler;
  q.options.l_min = f.lmin;
  q.options.v_min = f.vmin;
  q.window = f.window;
  q.step =
      f.step_opt->count() > 0 ? f.step : (f.window > 0 ? std::max<int64_t>(1, f.window / 4) : 0);
  q.options.backend = resolve_backend(parse_backend(f.backend));
  q.options.threads = f.threads;
  q.validate();
  return q;
}

nlohmann::json num(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

void run(const RqaFlags& f, const Globals& g) {
  pipeline::RqaRequest q = request_of(f);
  const Recording a = load_one_input("rqa", f.a, g);
  std::unique_ptr<Recording> b;
  if (!f.b.empty()) b = std::make_unique<Recording>(load_one_input("rqa", f.b, g));
  std::unique_ptr<pipeline::Progress> bar;
  if (!g.quiet) {
    bar = std::make_unique<pipeline::Progress>("rqa", 1000);
    q.options.progress = [&bar, done = int64_t{0}](double fraction) mutable {
      const auto now = static_cast<int64_t>(fraction * 1000);
      if (now > done) bar->advance(now - done);
      done = std::max(done, now);
    };
  }
  const pipeline::RqaOutcome out = pipeline::run_rqa(q, a, b.get());
  if (bar) bar->finish();
  const rqa::Measures& m = out.result.measures;
  const double cells = static_cast<double>(out.result.rows) * static_cast<double>(out.result.cols);
  const double rate = out.seconds > 0 ? cells / out.seconds : 0;
  if (g.json) {
    nlohmann::json j = pipeline::rqa_payload(q, out);
    j["recording"] = a.meta.filename;
    if (b) j["other"] = b->meta.filename;
    j["cells_per_second"] = rate;
    j["options"] = pipeline::rqa_request_json(q);
    const auto& h = out.result.histograms;
    j["histograms"] = {
        {"diagonal", h.diagonal}, {"vertical", h.vertical}, {"white_vertical", h.white_vertical}};
    if (out.windowed) {
      nlohmann::json rows = nlohmann::json::array();
      for (std::size_t k = 0; k < out.windowed->starts.size(); ++k) {
        const rqa::Measures& w = out.windowed->windows[k];
        rows.push_back({{"start", out.windowed->starts[k]},
                        {"rr", num(w.rr)},
                        {"det", num(w.det)},
                        {"l", num(w.l)},
                        {"lmax", w.lmax},
                        {"entr", num(w.entr)},
                        {"lam", num(w.lam)},
                        {"tt", num(w.tt)},
                        {"vmax", w.vmax}});
      }
      j["windowed"] = {{"epsilon", out.windowed->epsilon}, {"windows", rows}};
    }
    print_json(j);
    return;
  }
  auto show = [](double v) { return std::isfinite(v) ? fmt::format("{:.6g}", v) : "nan"; };
  std::vector<std::vector<std::string>> rows{
      {"points", fmt::format("{} x {} (dims {})", out.result.rows, out.result.cols, out.dims)},
      {"epsilon", show(out.result.epsilon)},
      {"RR", show(m.rr)},
      {"DET", show(m.det)},
      {"L", show(m.l)},
      {"Lmax", std::to_string(m.lmax)},
      {"ENTR", show(m.entr)},
      {"LAM", show(m.lam)},
      {"TT", show(m.tt)},
      {"Vmax", std::to_string(m.vmax)}};
  if (q.mode == "joint") rows.insert(rows.begin() + 2, {"epsilon_b", show(out.result.epsilon_b)});
  print_table({"measure", "value"}, rows);
  if (out.windowed) {
    std::vector<std::vector<std::string>> wr;
    for (std::size_t k = 0; k < out.windowed->starts.size(); ++k) {
      const rqa::Measures& w = out.windowed->windows[k];
      wr.push_back({std::to_string(out.windowed->starts[k]), show(w.rr), show(w.det), show(w.l),
                    std::to_string(w.lmax), show(w.entr), show(w.lam), show(w.tt),
                    std::to_string(w.vmax)});
    }
    std::cout << "\n";
    print_table({"start", "RR", "DET", "L", "Lmax", "ENTR", "LAM", "TT", "Vmax"}, wr);
  }
  std::cout << fmt::format("{} mode, {} convention, {} on {}: {:.4f} s, {:.3g} cells/s\n", q.mode,
                           rqa::to_string(q.options.convention), q.precision,
                           to_string(out.result.backend), out.seconds, rate);
}

void add_rqa(CLI::App& app, Globals& g) {
  auto f = std::make_shared<RqaFlags>();
  auto* cmd = app.add_subcommand(
      "rqa",
      "Recurrence quantification analysis (RR, DET, L, Lmax, ENTR, LAM, TT, Vmax) of a recording "
      "(file .csv .npy .json, or id:N); a second recording gives cross-recurrence. Never stores "
      "the n x n matrix: O(n) memory");
  cmd->add_option("a", f->a, "Recording (file or id:N)")->required();
  cmd->add_option("b", f->b, "Second recording for cross-recurrence (file or id:N)");
  cmd->add_option("--channels", f->channels, "Embedding channels, z-scored (default: all)")
      ->delimiter(',');
  cmd->add_option("--joint-channels", f->joint_channels,
                  "Second channel group: joint recurrence with --channels")
      ->delimiter(',');
  cmd->add_option("--delay-channel", f->delay_channel,
                  "Time-delay embedding of this channel instead of channel coordinates");
  cmd->add_option("--dimension", f->dimension, "Delay embedding dimension m")->default_val(3);
  cmd->add_option("--delay", f->delay, "Delay embedding lag tau in frames")->default_val(1);
  cmd->add_flag("--no-zscore", f->no_zscore, "Use the raw channel values");
  cmd->add_option("--norm", f->norm, "euclidean, maximum or manhattan")->default_val("euclidean");
  f->eps_opt = cmd->add_option("--eps", f->eps, "Absolute threshold: recurrent when d < eps");
  f->fraction_opt =
      cmd->add_option("--fraction", f->fraction, "Threshold as a fraction of the max distance")
          ->default_val(0.1);
  f->rate_opt = cmd->add_option("--rate", f->rate, "Threshold giving this recurrence rate");
  f->theiler_opt = cmd->add_option("--theiler", f->theiler,
                                   "Theiler window w: |i - j| < w excluded (default 1; cross 0)");
  cmd->add_option("--lmin", f->lmin, "Shortest diagonal line counted")->default_val(2);
  cmd->add_option("--vmin", f->vmin, "Shortest vertical line counted")->default_val(2);
  cmd->add_option("--convention", f->convention, "standard (design.md) or pyrqa")
      ->default_val("standard");
  cmd->add_option("--window", f->window, "Windowed RQA: points per window");
  f->step_opt = cmd->add_option("--step", f->step, "Windowed RQA: points between windows");
  cmd->add_option("--precision", f->precision, "float32 or float64")->default_val("float64");
  cmd->add_option("--backend", f->backend, "cpu, cuda or auto")->default_val("cpu");
  cmd->add_option("--threads", f->threads, "CPU threads (0 = all)");
  cmd->callback([f, &g] { run(*f, g); });
}

}  // namespace
SWINGPIPE_COMMAND("rqa", add_rqa);
}  // namespace swingpipe::cli
