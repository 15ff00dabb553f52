// `swingpipe run CONFIG`: the main job.
#include <spdlog/spdlog.h>

#include "command.hpp"
#include "output.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/pipeline/config.hpp"
#include "swingpipe/pipeline/runner.hpp"

namespace swingpipe::cli {
namespace {

struct RunFlags {
  std::string config;
  std::string backend;
  std::string run_id;
  std::string progress;
  bool print_config = false;
};

void add_run(CLI::App& app, Globals& g) {
  auto f = std::make_shared<RunFlags>();
  auto* cmd = app.add_subcommand(
      "run",
      "Run the analyses of a JSON run config (see configs/demo.json for every key and its "
      "default). Results go to the library and to <output.dir>/<run_id>/; a run that was killed "
      "resumes where it stopped when started again with the same run id.");
  cmd->add_option("config", f->config, "Run config (JSON)")->required();
  cmd->add_option("--backend", f->backend, "Override the config's backend: cpu, cuda or auto");
  cmd->add_option("--run-id", f->run_id, "Override the config's run id");
  cmd->add_option("--progress", f->progress, "auto, always or never");
  cmd->add_flag("--print-config", f->print_config,
                "Print the effective config (every default written out) and exit");
  cmd->callback([&g, f] {
    auto json = pipeline::read_run_config_json(f->config);
    // Before the overrides below, which need an object (a JSON null would silently become one).
    if (!json.is_object())
      throw ConfigError(f->config + ": expected a JSON object (the run config), got " +
                        std::string(json.type_name()));
    if (!f->backend.empty()) json["backend"] = f->backend;
    if (!f->run_id.empty()) json["run_id"] = f->run_id;
    if (!f->progress.empty()) json["progress"] = f->progress;
    if (g.quiet && f->progress.empty()) json["progress"] = "never";
    const auto config = pipeline::parse_run_config(json, f->config);
    if (f->print_config) {
      print_json(pipeline::to_json(config));
      return;
    }
    const auto summary = pipeline::run(config);
    if (g.json) {
      print_json(summary.to_json());
    } else {
      std::cout << "run '" << summary.run_id << "' on " << summary.backend << ": "
                << summary.processed << " processed, " << summary.already_done << " already done, "
                << summary.failures.size() << " failed of " << summary.selected << " selected in "
                << summary.seconds << " s\n"
                << "results: library " << config.library << ", exports "
                << summary.export_dir.string() << "/\n";
    }
    if (!summary.failures.empty())
      throw Error(std::to_string(summary.failures.size()) +
                  " recording(s) failed (see the log above and summary.json); the others are "
                  "stored");
  });
}

}  // namespace
SWINGPIPE_COMMAND("run", add_run);
}  // namespace swingpipe::cli
