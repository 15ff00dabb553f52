#include "swingpipe/pipeline/runner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>

#include "swingpipe/error.hpp"
#include "swingpipe/host/arrays.hpp"
#include "swingpipe/host/demo_swing.hpp"
#include "swingpipe/host/exporter.hpp"
#include "swingpipe/host/io.hpp"
#include "swingpipe/host/library.hpp"
#include "swingpipe/host/recording_json.hpp"
#include "swingpipe/host/swing_sim.hpp"
#include "swingpipe/pipeline/analysis.hpp"
#include "swingpipe/pipeline/progress.hpp"
#include "swingpipe/pipeline/results.hpp"

namespace swingpipe::pipeline {

nlohmann::json RunSummary::to_json() const {
  nlohmann::json f = nlohmann::json::array();
  for (const auto& [id, why] : failures) f.push_back({{"recording_id", id}, {"error", why}});
  return {{"run_id", run_id},
          {"backend", backend},
          {"backend_reason", backend_reason},
          {"seeded", seeded},
          {"selected", selected},
          {"already_done", already_done},
          {"processed", processed},
          {"failed", failures.size()},
          {"failures", f},
          {"seconds", seconds},
          {"export_dir", export_dir.string()},
          {"analyses", analyses},
          {"stopped", stopped}};
}

namespace {

/// Test hook: SWINGPIPE_TEST_KILL_AFTER_BATCHES=N makes the process SIGKILL itself right after
/// the N-th batch is committed (a real crash: no flush, no destructors).
int kill_after_batches() {
  const char* v = std::getenv("SWINGPIPE_TEST_KILL_AFTER_BATCHES");
  return v ? std::atoi(v) : 0;
}

std::vector<RecordingMeta> select(const RunConfig& config, RecordingLibrary& lib) {
  if (config.select.ids.empty()) return lib.search(config.select.query);
  std::vector<RecordingMeta> out;
  for (int64_t id : config.select.ids) {
    try {
      out.push_back(lib.get_meta(id));
    } catch (const NotFoundError&) {
      throw InputError(config.source + ": /select/ids: recording " + std::to_string(id) +
                       " does not exist in " + config.library);
    }
  }
  return out;
}

struct Pipeline {
  Pipeline(const RunConfig& c, RecordingLibrary& l) : config(c), lib(l) {}

  const RunConfig& config;
  RecordingLibrary& lib;
  RunContext ctx;
  std::vector<std::unique_ptr<Analysis>> analyses;
  io::AsyncExporter exporter{16};
  RunSummary summary;
  bool want_json = false, want_csv = false, want_hdf5 = false;

  /// A computed batch whose rows are committed once its array files are on disk.
  struct Pending {
    std::vector<Recording> recordings;
    std::vector<ResultRow> rows;
    uint64_t arrays_ticket = 0;  ///< the exporter ticket of the batch's last array file
  };

  /// Hands `r.arrays` to the exporter (when hdf5 output is on) and names the file in the payload.
  void sink_arrays(const Analysis& a, AnalysisResult& r, uint64_t& ticket) {
    if (r.arrays.empty() || !want_hdf5) return;
    const std::filesystem::path rel =
        r.recording_id
            ? std::filesystem::path("arrays") / a.name() / (std::to_string(r.recording_id) + ".h5")
            : std::filesystem::path("arrays") / (a.name() + ".h5");
    nlohmann::json names = nlohmann::json::array();
    for (const auto& d : r.arrays.datasets) names.push_back(d.name);
    r.payload["arrays"] = {{"file", rel.string()}, {"datasets", names}};
    io::Attrs attrs{{"run_id", config.run_id},
                    {"analysis", a.name()},
                    {"recording_id", r.recording_id},
                    {"swingpipe_version", std::string(SWINGPIPE_VERSION)}};
    attrs.insert(attrs.end(), r.arrays.attrs.begin(), r.arrays.attrs.end());
    r.arrays.attrs = std::move(attrs);
    const auto path = summary.export_dir / rel;
    ticket = exporter.submit_job(path.string(), [path, file = std::move(r.arrays)] {
      std::filesystem::create_directories(path.parent_path());
      io::write_h5(path, file);
    });
  }

  /// Runs every analysis on `batch`; returns rows for the recordings that succeeded.
  std::vector<ResultRow> process(const RecordingBatch& batch, uint64_t& ticket) {
    std::vector<ResultRow> rows;
    for (auto& a : analyses) {
      for (auto& r : a->process(batch, ctx)) {
        sink_arrays(*a, r, ticket);
        rows.push_back({config.run_id, r.recording_id, a->name(), r.payload.dump()});
      }
    }
    return rows;
  }

  void export_recordings(const std::vector<Recording>& recs, const std::vector<ResultRow>& rows) {
    if (!want_json) return;
    std::map<int64_t, nlohmann::json> by_rec;
    for (const auto& row : rows)
      by_rec[row.recording_id][row.analysis] = nlohmann::json::parse(row.payload_json);
    for (const auto& rec : recs) {
      auto it = by_rec.find(rec.meta.id);
      if (it == by_rec.end()) continue;
      nlohmann::json doc{{"run_id", config.run_id},
                         {"recording", io::meta_to_json(rec.meta)},
                         {"results", it->second}};
      exporter.submit(summary.export_dir / "recordings" / (std::to_string(rec.meta.id) + ".json"),
                      doc.dump(2) + "\n");
    }
  }

  /// Loads and analyses a batch; its results are committed later by commit().
  Pending compute_batch(const std::vector<RecordingMeta>& metas) {
    Pending out;
    RecordingBatch batch;
    for (const auto& m : metas) {
      try {
        batch.recordings.push_back(lib.get(m.id));
      } catch (const Error& e) {
        spdlog::error("recording {} ('{}'): {}", m.id, m.filename, e.what());
        summary.failures.emplace_back(m.id, e.what());
      }
    }
    try {
      out.rows = process(batch, out.arrays_ticket);
    } catch (const InputError&) {
      // Isolate the recording(s) at fault: redo the batch one recording at a time.
      out.rows.clear();
      for (auto& rec : batch.recordings) {
        RecordingBatch one;
        one.recordings.push_back(rec);
        try {
          auto r = process(one, out.arrays_ticket);
          out.rows.insert(out.rows.end(), r.begin(), r.end());
        } catch (const InputError& e) {
          spdlog::error("{}", e.what());  // the message names the recording
          summary.failures.emplace_back(rec.meta.id, e.what());
        }
      }
    }
    out.recordings = std::move(batch.recordings);
    return out;
  }

  /// Stores a batch's rows in one transaction once its array files exist, so a stored row never
  /// names a file that a crash kept from being written.
  void commit(Pending& pending) {
    if (pending.arrays_ticket) exporter.wait(pending.arrays_ticket);
    lib.put_results(pending.rows);  // one transaction: the batch is stored whole or not at all
    std::set<int64_t> done;
    for (const auto& row : pending.rows) done.insert(row.recording_id);
    summary.processed += static_cast<int64_t>(done.size());
    export_recordings(pending.recordings, pending.rows);
  }

  void write_summary_exports(const nlohmann::json& run_wide) {
    const auto rows = lib.results(config.run_id);
    std::map<std::string, std::vector<const ResultRow*>> by_analysis;
    for (const auto& r : rows) by_analysis[r.analysis].push_back(&r);
    std::map<int64_t, const RecordingMeta*> metas;
    for (const auto& m : ctx.selection) metas[m.id] = &m;
    if (want_csv) {
      auto meta = [&](int64_t id) -> const RecordingMeta* {
        auto it = metas.find(id);
        return it == metas.end() ? nullptr : it->second;
      };
      for (const auto& a : analyses) {
        const std::string csv = analysis_csv(*a, by_analysis[a->name()], meta);
        if (!csv.empty()) exporter.submit(summary.export_dir / (a->name() + ".csv"), csv);
      }
    }
    nlohmann::json doc = summary.to_json();
    doc["config"] = to_json(config);
    nlohmann::json counts = nlohmann::json::object();
    for (const auto& [name, list] : by_analysis) counts[name] = list.size();
    doc["stored_results"] = counts;
    doc["run_results"] = run_wide;
    exporter.submit(summary.export_dir / "summary.json", doc.dump(2) + "\n");
  }
};

}  // namespace

RunSummary run(const RunConfig& config, const RunHooks& hooks) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::filesystem::path lib_path(config.library);
  if (lib_path.has_parent_path()) std::filesystem::create_directories(lib_path.parent_path());
  RecordingLibrary lib(lib_path);

  RunSummary seeded;
  if (config.demo.seed_if_empty && lib.count() == 0) {
    demo::SwingOptions opt;
    opt.count = config.demo.count;
    opt.sample_rate = config.demo.sample_rate;
    opt.seed = config.demo.seed;
    const auto swings = demo::generate_swings(opt);
    lib.add_all(swings);
    seeded.seeded = static_cast<int64_t>(swings.size());
    spdlog::info("library {} was empty: added {} demo swings", config.library, swings.size());
    if (config.demo.simulate_count > 0) {
      sim::SimulateOptions so;
      so.model = config.demo.simulate_model;
      so.count = config.demo.simulate_count;
      so.seed = config.demo.simulate_seed;
      so.threads = config.threads;
      const auto sum = sim::simulate_to_library(lib, so);
      seeded.seeded += sum.count;
      spdlog::info("added {} simulated swings of {} ({:.2f} s)", sum.count, sum.model, sum.seconds);
    }
  }

  Pipeline p(config, lib);
  p.summary = seeded;
  p.summary.run_id = config.run_id;
  for (const auto& f : config.output.formats) {
    p.want_json |= f == "json";
    p.want_csv |= f == "csv";
    p.want_hdf5 |= f == "hdf5";
  }
  p.ctx.library = &lib;
  p.ctx.run_id = config.run_id;
  p.ctx.threads = config.threads;
  p.ctx.backend = resolve_backend(config.backend);
  p.summary.backend = std::string(to_string(p.ctx.backend));
  if (p.ctx.backend == Backend::cpu && config.backend == Backend::automatic)
    p.summary.backend_reason = cuda_device_info().reason;
  spdlog::info("backend: {} -> {}{}", to_string(config.backend), p.summary.backend,
               p.summary.backend_reason.empty() ? "" : " (" + p.summary.backend_reason + ")");

  p.ctx.selection = select(config, lib);
  p.summary.selected = static_cast<int64_t>(p.ctx.selection.size());

  p.analyses = build_analyses(config);
  std::vector<std::string> names;
  for (const auto& a : p.analyses) names.push_back(a->name());
  p.summary.analyses = names;
  for (auto& a : p.analyses) a->prepare(p.ctx);

  const auto done_ids = lib.completed(config.run_id, names);
  const std::set<int64_t> done(done_ids.begin(), done_ids.end());
  std::vector<RecordingMeta> todo;
  for (const auto& m : p.ctx.selection)
    if (!done.count(m.id)) todo.push_back(m);
  p.summary.already_done = p.summary.selected - static_cast<int64_t>(todo.size());
  if (p.summary.already_done > 0)
    spdlog::info("resuming run '{}': {} of {} recordings already done", config.run_id,
                 p.summary.already_done, p.summary.selected);

  p.summary.export_dir = std::filesystem::path(config.output.dir) / config.run_id;
  std::filesystem::create_directories(p.summary.export_dir / "recordings");
  io::remove_stale_temp_files(p.summary.export_dir);

  Progress progress("run " + config.run_id, static_cast<int64_t>(todo.size()),
                    Progress::parse_mode(config.progress));
  const int kill_after = kill_after_batches();
  int batches = 0;
  // One batch in flight: batch k+1 is computed while batch k's array files are written, then
  // batch k is committed.
  std::optional<Pipeline::Pending> pending;
  std::size_t pending_size = 0;
  int64_t committed = 0;
  if (hooks.progress) hooks.progress(p.summary.already_done, p.summary.selected);
  auto commit_pending = [&] {
    p.commit(*pending);
    progress.advance(static_cast<int64_t>(pending_size));
    committed += static_cast<int64_t>(pending_size);
    pending.reset();
    if (++batches == kill_after) std::raise(SIGKILL);
    if (hooks.progress) hooks.progress(p.summary.already_done + committed, p.summary.selected);
  };
  for (std::size_t start = 0; start < todo.size(); start += config.batch_size) {
    if (hooks.stop_requested && hooks.stop_requested()) {
      p.summary.stopped = true;
      spdlog::info("run '{}' stopped on request after {} of {} recordings", config.run_id,
                   p.summary.already_done + static_cast<int64_t>(start), p.summary.selected);
      break;
    }
    const std::size_t end = std::min(todo.size(), start + config.batch_size);
    auto next = p.compute_batch({todo.begin() + static_cast<std::ptrdiff_t>(start),
                                 todo.begin() + static_cast<std::ptrdiff_t>(end)});
    if (pending) commit_pending();
    pending = std::move(next);
    pending_size = end - start;
  }
  if (pending) commit_pending();
  progress.finish();

  // Run-wide results (e.g. the all-pairs matrix) are derived from the stored per-recording rows,
  // so they are exported, not stored again. A stopped run has not got them all yet.
  nlohmann::json run_wide = nlohmann::json::object();
  if (!p.summary.stopped) {
    for (auto& a : p.analyses)
      for (auto& r : a->finish(p.ctx)) {
        uint64_t ticket = 0;
        p.sink_arrays(*a, r, ticket);
        run_wide[a->name()] = r.payload;
        p.exporter.submit(p.summary.export_dir / (a->name() + ".json"), r.payload.dump() + "\n");
      }
  }

  p.summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  p.write_summary_exports(run_wide);
  p.exporter.flush();
  return p.summary;
}

}  // namespace swingpipe::pipeline
