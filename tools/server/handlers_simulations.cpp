// POST /v1/simulations: MuJoCo golf swings into the library as a task (host/swing_sim.hpp).
//
// A model is named, never given as a path: "golfer_full" is
// <simulations.models_dir>/golfer_full.xml on the server. The request is checked whole before the
// task exists (model loaded, sample rate against its step rate), so a bad request is a 400 and
// never a failed task. The task stores the swings a batch at a time; a cancel stops it after the
// current batch, and the same request again resumes (swings already in the library, same model,
// seed and index, are skipped), as after a restart that found the task interrupted.
#include "request_body.hpp"
#include "server_impl.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/library.hpp"
#include "swingpipe/host/swing_sim.hpp"

namespace swingpipe::server {
namespace {

using Json = nlohmann::ordered_json;

Json summary_json(const sim::SimulateSummary& s, const std::string& name, uint64_t seed,
                  int64_t requested) {
  return Json{{"model", name},
              {"model_sha256", s.model_sha256},
              {"seed", seed},
              {"requested", requested},
              {"count", s.count},
              {"skipped", s.skipped},
              {"handled", s.handled},
              {"first_id", s.first_id == 0 ? Json(nullptr) : Json(s.first_id)},
              {"last_id", s.last_id == 0 ? Json(nullptr) : Json(s.last_id)},
              {"stopped", s.stopped},
              {"seconds", s.seconds},
              {"min_impact_speed", s.min_impact_speed},
              {"max_impact_speed", s.max_impact_speed}};
}

}  // namespace

void Server::Impl::submit_simulation(Call& c) {
  const nlohmann::json body = parse_json_body(c);
  const SimulationRequest req = parse_simulation_request(body, config);
  const std::string& name = req.model;
  const sim::SimulateOptions& opt = req.options;
  sim::check_options(opt);  // InputError (400): the model's content, the sample rate

  std::lock_guard lock(runs_mutex);  // the in-progress check and the submission, together
  for (const auto& id : registry.unfinished()) {
    const auto t = registry.get(id);
    if (t && t->kind == "simulation" && t->params.value("model", "") == name &&
        t->params.value("seed", uint64_t{0}) == opt.seed)
      throw ApiError(409, "simulation_in_progress",
                     "a simulation of '" + name + "' with seed " + std::to_string(opt.seed) +
                         " is already " + tasks::to_string(t->state) + " as task " + id);
  }
  nlohmann::json params{{"model", name}, {"seed", opt.seed}, {"request", body}};
  tasks::Task task;
  try {
    task = executor.submit(
        "simulation", c.owner(), std::move(params),
        [opt, name, path = config.library](tasks::TaskContext& ctx) {
          const double total = static_cast<double>(opt.count);
          RecordingLibrary lib(path);  // the task's own connections
          const auto sum = sim::simulate_to_library(
              lib, opt,
              [&ctx, &opt, total](int64_t done) {
                ctx.progress(static_cast<double>(done) / total,
                             std::to_string(done) + " of " + std::to_string(opt.count) + " swings");
              },
              [&ctx] { return ctx.stop_requested(); });
          if (sum.stopped) ctx.acknowledge_stop();
          return nlohmann::json(summary_json(sum, name, opt.seed, opt.count));
        });
  } catch (const tasks::ShuttingDownError& e) {
    throw ApiError(503, "shutting_down", e.what());
  }
  c.res.set_header("Location", "/v1/tasks/" + task.id);
  reply(c.res, 202, Json{{"task", task_json(task)}});
}

}  // namespace swingpipe::server
