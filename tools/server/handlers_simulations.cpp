// POST /v1/simulations: MuJoCo golf swings into the library as a task (host/swing_sim.hpp).
//
// A model is named, never given as a path: "golfer_full" is
// <simulations.models_dir>/golfer_full.xml on the server. The request is checked whole before the
// task exists (model loaded, sample rate against its step rate), so a bad request is a 400 and
// never a failed task. The task stores the swings a batch at a time; a cancel stops it after the
// current batch, and the same request again resumes (swings already in the library, same model,
// seed and index, are skipped), as after a restart that found the task interrupted.
#include <algorithm>
#include <filesystem>
#include <system_error>

#include "server_impl.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/library.hpp"
#include "swingpipe/host/swing_sim.hpp"
#include "swingpipe/pipeline/json_reader.hpp"

namespace swingpipe::server {
namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

bool is_model_name(const std::string& name) {
  if (name.empty() || name.size() > 64 || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-' || ch == '.';
  });
}

/// The model names the server offers (the .xml files of the models directory), sorted.
std::vector<std::string> model_names(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".xml" && is_model_name(it->path().stem().string()))
      names.push_back(it->path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

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
  pipeline::JsonReader r(body, "", "request");
  const auto name = r.required<std::string>("model");
  sim::SimulateOptions opt;
  opt.count = r.optional<int64_t>("count", opt.count);
  opt.seed = r.optional<uint64_t>("seed", opt.seed);
  opt.sample_rate = r.optional<double>("sample_rate", opt.sample_rate);
  opt.batch_size = r.optional<int64_t>("batch_size", opt.batch_size);
  if (auto tol = r.maybe<double>("tolerance")) opt.tolerance = *tol;
  r.finish();  // unknown fields: 400 invalid_request naming them

  const fs::path dir(config.models_dir);
  if (!is_model_name(name))
    throw ApiError(400, "invalid_request",
                   "request: /model: " + pipeline::JsonReader::quote(name) +
                       " is not a model name (letters, digits, '_', '-', '.'; models: " +
                       joined(model_names(dir)) + ")");
  opt.model = dir / (name + ".xml");
  std::error_code ec;
  if (!fs::is_regular_file(opt.model, ec))
    throw ApiError(400, "invalid_request",
                   "request: /model: no model '" + name +
                       "' on this server (models: " + joined(model_names(dir)) + ")");
  if (opt.count < 1 || opt.count > config.simulation_max_count)
    throw ApiError(400, "invalid_request",
                   "request: /count: must be 1.." + std::to_string(config.simulation_max_count) +
                       ", got " + std::to_string(opt.count));
  if (opt.batch_size < 0)
    throw ApiError(400, "invalid_request",
                   "request: /batch_size: must be >= 0 (0 = 2 per thread), got " +
                       std::to_string(opt.batch_size));
  if (opt.tolerance && !(*opt.tolerance >= 0 && *opt.tolerance < 1))
    throw ApiError(
        400, "invalid_request",
        "request: /tolerance: must be a number in [0, 1), got " + std::to_string(*opt.tolerance));
  opt.threads = config.simulation_threads;
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
