// `swingpipe induced-accel ID...`: induced accelerations of simulated library recordings
// (pipeline/induced_accel.hpp): a table of each site's contributors (peak acceleration, share at
// impact), or the whole summary payload with --json.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "command.hpp"
#include "output.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/library.hpp"
#include "swingpipe/pipeline/induced_accel.hpp"

namespace swingpipe::cli {
namespace {

struct IaaFlags {
  std::vector<int64_t> ids;
  std::vector<std::string> models{"configs/models"};
  std::vector<std::string> sites{"club_head"};
  bool per_actuator = false, counterfactuals = false;
  std::string backend = "cpu";
  std::string mass_source = "tree";
  int threads = 0;
};

std::string num(const nlohmann::json& v, const char* spec = "{:.4g}") {
  return v.is_null() ? std::string("nan") : fmt::format(fmt::runtime(spec), v.get<double>());
}

void add_induced_accel(CLI::App& app, Globals& g) {
  auto f = std::make_shared<IaaFlags>();
  auto* cmd = app.add_subcommand(
      "induced-accel",
      "Induced accelerations of simulated recordings: what gravity, velocity, passive, "
      "constraint, applied and control forces each contribute to every dof and to named sites "
      "(club head), found from the recorded channels and the model file whose SHA-256 the "
      "recording names.");
  cmd->add_option("ids", f->ids, "Library recording ids")->required()->check(CLI::PositiveNumber);
  cmd->add_option("--models", f->models,
                  "Model files or folders to search (default configs/models)")
      ->delimiter(',');
  cmd->add_option("--sites", f->sites, "Sites for the task-space view (comma-separated)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_flag("--per-actuator", f->per_actuator, "One contributor per actuator as well");
  cmd->add_flag("--counterfactuals", f->counterfactuals,
                "ZTCF (controls zero) and ZVCF (velocities zero) accelerations too");
  cmd->add_option("--backend", f->backend, "cpu, cuda or auto")->capture_default_str();
  cmd->add_option("--mass-source", f->mass_source,
                  "CPU backend: M(q) from the tree math (tree, the faster) or from MuJoCo's "
                  "position stages (mujoco); the results agree to rounding")
      ->capture_default_str();
  cmd->add_option("--threads", f->threads, "CPU threads (0 = all)")->capture_default_str();
  cmd->callback([&g, f] {
    pipeline::InducedAccelOptions o;
    o.models.assign(f->models.begin(), f->models.end());
    o.sites = f->sites;
    o.per_actuator = f->per_actuator;
    o.counterfactuals = f->counterfactuals;
    o.arrays = false;
    o.backend = resolve_backend(parse_backend(f->backend));
    o.threads = f->threads;
    o.mass_source = pipeline::parse_mass_source(f->mass_source, "induced-accel: --mass-source");
    pipeline::InducedAccelRunner runner(o);
    RecordingLibrary lib(existing_library(g));
    nlohmann::json all = nlohmann::json::array();
    for (int64_t id : f->ids) {
      const Recording rec = lib.get(id);
      const auto t0 = std::chrono::steady_clock::now();
      auto out = runner.run(rec);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      out.payload["recording_id"] = id;
      out.payload["seconds"] = s;
      if (g.json) {
        all.push_back(out.payload);
        continue;
      }
      const auto& p = out.payload;
      std::cout << fmt::format(
          "recording {} ('{}'): model {}, {} frames, nv {}, closure {}, impact at {} s, {} "
          "frames/s\n",
          id, rec.meta.filename, p["model"].get<std::string>(), p["frames"].get<int64_t>(),
          p["nv"].get<int>(), num(p["closure_max"], "{:.2e}"), num(p["impact_time"], "{:.3f}"),
          fmt::format("{:.0f}", static_cast<double>(p["frames"].get<int64_t>()) / s));
      for (const auto& [site, sv] : p["sites"].items()) {
        std::vector<std::vector<std::string>> rows;
        for (const auto& name : p["contributors"]) {  // in contributor order
          const auto& c = sv["contributors"][name.get<std::string>()];
          rows.push_back({site, name.get<std::string>(), num(c["peak"]),
                          num(c["peak_time"], "{:.3f}"), num(c["impact_share"], "{:.3f}")});
        }
        print_table({"site", "contributor", "peak m/s^2", "peak at s", "share at impact"}, rows);
      }
    }
    if (g.json) print_json(all);
  });
}

}  // namespace
SWINGPIPE_COMMAND("induced-accel", add_induced_accel);
}  // namespace swingpipe::cli
