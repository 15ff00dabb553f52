// POST /v1/runs and the tasks: state, results, cancellation.
#include <openssl/rand.h>

#include <ctime>

#include "request_body.hpp"
#include "server_impl.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/pipeline/config.hpp"
#include "swingpipe/pipeline/json_reader.hpp"
#include "swingpipe/pipeline/results.hpp"
#include "swingpipe/pipeline/runner.hpp"

namespace swingpipe::server {
namespace {

using Json = nlohmann::ordered_json;

std::string random_hex(int bytes) {
  std::vector<unsigned char> b(static_cast<std::size_t>(bytes));
  if (RAND_bytes(b.data(), bytes) != 1) throw Error("OpenSSL RAND_bytes failed");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char x : b) {
    out += hex[x >> 4];
    out += hex[x & 0xf];
  }
  return out;
}

/// ISO 8601 UTC with milliseconds; null for 0 (not yet).
Json iso_ms(int64_t ms) {
  if (ms <= 0) return nullptr;
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms % 1000));
  return std::string(buf);
}

nlohmann::json run_work_result(const pipeline::RunConfig& run, tasks::TaskContext& ctx) {
  pipeline::RunHooks hooks;
  hooks.progress = [&ctx](int64_t done, int64_t total) {
    ctx.progress(total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1.0,
                 std::to_string(done) + " of " + std::to_string(total) + " recordings");
  };
  hooks.stop_requested = [&ctx] { return ctx.stop_requested(); };
  const pipeline::RunSummary summary = pipeline::run(run, hooks);
  if (summary.stopped) ctx.acknowledge_stop();
  return summary.to_json();
}

}  // namespace

Json Server::Impl::task_json(const tasks::Task& t) const {
  const int64_t end = t.finished_ms > 0 ? t.finished_ms : (t.started_ms > 0 ? t.updated_ms : 0);
  Json j{{"id", t.id},
         {"kind", t.kind},
         {"state", tasks::to_string(t.state)},
         {"progress", t.progress},
         {"message", t.message},
         {"cancel_requested", t.cancel_requested},
         {"created_at", iso_ms(t.created_ms)},
         {"started_at", iso_ms(t.started_ms)},
         {"updated_at", iso_ms(t.updated_ms)},
         {"finished_at", iso_ms(t.finished_ms)},
         {"seconds", t.started_ms > 0 ? Json(static_cast<double>(end - t.started_ms) / 1000.0)
                                      : Json(nullptr)}};
  if (t.kind == "run") {
    j["run_id"] = t.params.value("run_id", "");
    j["results_url"] = "/v1/tasks/" + t.id + "/results";
  }
  j["result"] = Json(t.result);
  return j;
}

tasks::Task Server::Impl::visible_task(const Call& c, const std::string& id) {
  std::optional<tasks::Task> t;
  const bool well_formed =
      id.size() == 32 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (well_formed) t = registry.get(id);
  if (!t || (t->owner != c.owner() && !c.admin()))  // another key's task: as if it did not exist
    throw ApiError(404, "task_not_found", "no task " + id);
  return *t;
}

void Server::Impl::submit_run(Call& c) {
  const nlohmann::json body = parse_json_body(c);
  RunRequest request = parse_run_request(body, config, "api-" + random_hex(6));
  const std::string& run_id = request.run_id;
  const pipeline::RunConfig& run = request.config;
  for (const int64_t id : run.select.ids) {  // refused now, not as a failed task later
    try {
      library.get_meta(id);
    } catch (const NotFoundError&) {
      throw ApiError(400, "invalid_request",
                     "request: /select/ids: recording " + std::to_string(id) + " does not exist");
    }
  }

  std::lock_guard lock(runs_mutex);  // the in-progress check and the submission, together
  for (const auto& id : registry.unfinished()) {
    const auto t = registry.get(id);
    if (t && t->kind == "run" && t->params.value("run_id", "") == run_id)
      throw ApiError(
          409, "run_in_progress",
          "run '" + run_id + "' is already " + tasks::to_string(t->state) + " as task " + id);
  }
  nlohmann::json params{{"run_id", run_id}, {"request", body}, {"config", pipeline::to_json(run)}};
  tasks::Task task;
  try {
    task = executor.submit("run", c.owner(), std::move(params),
                           [run](tasks::TaskContext& ctx) { return run_work_result(run, ctx); });
  } catch (const tasks::ShuttingDownError& e) {
    throw ApiError(503, "shutting_down", e.what());
  }
  c.res.set_header("Location", "/v1/tasks/" + task.id);
  reply(c.res, 202, Json{{"task", task_json(task)}});
}

void Server::Impl::get_task(Call& c) {
  const std::string& id = c.path_param("id");
  int64_t wait = 0;
  if (auto v = c.query("wait")) wait = parse_integer("wait", *v, 0, config.max_wait_seconds);
  tasks::Task t = visible_task(c, id);
  if (wait > 0 && !tasks::is_finished(t.state)) {
    if (auto w = registry.wait_finished(
            id, std::chrono::steady_clock::now() + std::chrono::seconds(wait)))
      t = *w;
  }
  reply(c.res, 200, task_json(t));
}

void Server::Impl::task_results(Call& c) {
  const std::string& id = c.path_param("id");
  const std::string format = c.query("format").value_or("json");
  if (format != "json" && format != "csv")
    throw ApiError(400, "invalid_parameter", "'format' must be json or csv, got '" + format + "'");
  const auto analysis = c.query("analysis");
  const tasks::Task t = visible_task(c, id);
  if (t.kind != "run") throw ApiError(404, "not_found", "task " + id + " has no results");
  if (!tasks::is_finished(t.state))
    throw ApiError(409, "task_not_finished",
                   "task " + id + " is " + tasks::to_string(t.state) + "; GET /v1/tasks/" + id +
                       "?wait=N waits for it");
  const auto run = pipeline::parse_run_config(t.params.at("config"), "task " + id);
  if (analysis) {
    bool known = false;
    for (const auto& a : run.analyses) known |= a.name == *analysis;
    if (!known)
      throw ApiError(404, "analysis_not_found",
                     "run '" + run.run_id + "' has no analysis named '" + *analysis + "'");
  }
  if (format == "csv") {
    const auto names = pipeline::csv_analyses(run);
    std::string name;
    if (analysis) {
      if (std::find(names.begin(), names.end(), *analysis) == names.end())
        throw ApiError(409, "no_csv", "analysis '" + *analysis + "' has no CSV form; use JSON");
      name = *analysis;
    } else if (names.size() == 1) {
      name = names.front();
    } else if (names.empty()) {
      throw ApiError(409, "no_csv", "no analysis of run '" + run.run_id + "' has a CSV form");
    } else {
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      throw ApiError(400, "analysis_required",
                     "run '" + run.run_id + "' has several CSV tables (" + list +
                         "): choose one with ?analysis=");
    }
    c.res.status = 200;
    c.res.set_header("Content-Disposition",
                     "attachment; filename=\"" + run.run_id + "-" + name + ".csv\"");
    c.res.set_content(pipeline::results_csv(run, library, name), "text/csv; charset=utf-8");
    return;
  }
  Json rows = Json::array();
  for (const auto& row : library.results(run.run_id)) {
    if (analysis && row.analysis != *analysis) continue;
    rows.push_back(Json{{"recording_id", row.recording_id},
                        {"analysis", row.analysis},
                        {"payload", Json::parse(row.payload_json)}});
  }
  const bool stopped = t.result.is_object() && t.result.value("stopped", false);
  reply(c.res, 200,
        Json{{"task_id", t.id},
             {"run_id", run.run_id},
             {"state", tasks::to_string(t.state)},
             {"complete", t.state == tasks::State::succeeded && !stopped},
             {"results", std::move(rows)}});
}

void Server::Impl::cancel_task(Call& c) {
  const std::string& id = c.path_param("id");
  visible_task(c, id);
  switch (registry.cancel(id)) {
    case tasks::Registry::CancelResult::not_found:
      throw ApiError(404, "task_not_found", "no task " + id);
    case tasks::Registry::CancelResult::already_finished:
      throw ApiError(409, "task_finished", "task " + id + " has already finished");
    case tasks::Registry::CancelResult::cancelled:
      reply(c.res, 200, Json{{"task", task_json(*registry.get(id))}});
      return;
    case tasks::Registry::CancelResult::requested:
      reply(c.res, 202, Json{{"task", task_json(*registry.get(id))}});
      return;
  }
}

}  // namespace swingpipe::server
