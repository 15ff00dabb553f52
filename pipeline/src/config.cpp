#include "swingpipe/pipeline/config.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include "swingpipe/error.hpp"
#include "swingpipe/host/untrusted.hpp"
#include "swingpipe/pipeline/analysis.hpp"
#include "swingpipe/pipeline/json_reader.hpp"

namespace swingpipe::pipeline {
namespace {

const std::set<std::string> kFormats{"json", "csv", "hdf5"};
const std::set<std::string> kProgress{"auto", "always", "never"};
/// A run id names a folder: well under any file system's 255-byte limit on a name.
constexpr std::size_t kMaxRunIdBytes = 128;

void read_select(JsonReader r, SelectConfig& s) {
  auto& q = s.query;
  q.golfer = r.maybe<std::string>("golfer");
  q.club_type = r.maybe<std::string>("club_type");
  q.swing_type = r.maybe<std::string>("swing_type");
  q.min_rating = r.maybe<int>("min_rating");
  q.date_from = r.maybe<std::string>("date_from");
  q.date_to = r.maybe<std::string>("date_to");
  q.label = r.maybe<std::string>("label");
  q.tags = r.optional<std::vector<std::string>>("tags", {});
  q.order_by = r.optional<std::string>("order_by", "id");
  q.descending = r.optional<bool>("descending", false);
  q.limit = r.optional<int64_t>("limit", -1);
  if (q.limit < -1) r.fail("limit", "must be -1 (no limit) or >= 0");
  s.ids = r.optional<std::vector<int64_t>>("ids", {});
  for (auto id : s.ids)
    if (id <= 0) r.fail("ids", "recording ids are positive, got " + std::to_string(id));
  r.finish();
}

}  // namespace

RunConfig parse_run_config(const nlohmann::json& j, const std::string& source) {
  RunConfig c;
  c.source = source;
  JsonReader r(j, "", source);
  c.library = r.optional<std::string>("library", c.library);
  if (c.library.empty()) r.fail("library", "must not be empty");
  c.run_id = r.optional<std::string>("run_id", "");
  if (c.run_id.empty()) {
    c.run_id = std::filesystem::path(source).stem().string();
    if (c.run_id.empty() || c.run_id == "<config>") c.run_id = "run";
  }
  for (char ch : c.run_id)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.'))
      r.fail("run_id", "use letters, digits, '-', '_' and '.' only, got " + r.quote(c.run_id));
  // It names the run's folder under output.dir: never that folder itself or its parent, and short
  // enough for any file system.
  if (c.run_id == "." || c.run_id == "..")
    r.fail("run_id", "must not be " + r.quote(c.run_id) + " (it names a folder under output.dir)");
  if (c.run_id.size() > kMaxRunIdBytes)
    r.fail("run_id", "at most " + std::to_string(kMaxRunIdBytes) + " characters, got " +
                         std::to_string(c.run_id.size()) + ": " + r.quote(c.run_id));
  try {
    c.backend = parse_backend(r.optional<std::string>("backend", "auto"));
  } catch (const InputError& e) {
    r.fail("backend", e.what());
  }
  c.batch_size = r.optional<int>("batch_size", c.batch_size);
  if (c.batch_size < 1) r.fail("batch_size", "must be >= 1");
  c.threads = r.optional<int>("threads", c.threads);
  if (c.threads < 0) r.fail("threads", "must be >= 0 (0 = all cores)");
  c.progress = r.optional<std::string>("progress", c.progress);
  if (!kProgress.count(c.progress)) r.fail("progress", "must be auto, always or never");

  {
    JsonReader d = r.child("demo_data");
    c.demo.seed_if_empty = d.optional<bool>("seed_if_empty", c.demo.seed_if_empty);
    c.demo.count = d.optional<int>("count", c.demo.count);
    if (c.demo.count < 0) d.fail("count", "must be >= 0");
    c.demo.sample_rate = d.optional<double>("sample_rate", c.demo.sample_rate);
    if (c.demo.sample_rate <= 0 || c.demo.sample_rate > 100000)
      d.fail("sample_rate", "must be > 0 and <= 100000 Hz");
    c.demo.seed = d.optional<uint64_t>("seed", c.demo.seed);
    JsonReader sim = d.child("simulate");
    c.demo.simulate_model = sim.optional<std::string>("model", c.demo.simulate_model);
    c.demo.simulate_count = sim.optional<int>("count", c.demo.simulate_count);
    if (c.demo.simulate_count < 0) sim.fail("count", "must be >= 0");
    if (c.demo.simulate_count > 0 && c.demo.simulate_model.empty())
      sim.fail("model", "simulated demo swings need a model file");
    c.demo.simulate_seed = sim.optional<uint64_t>("seed", c.demo.simulate_seed);
    sim.finish();
    d.finish();
  }
  read_select(r.child("select"), c.select);
  {
    JsonReader o = r.child("output");
    c.output.dir = o.optional<std::string>("dir", c.output.dir);
    c.output.formats = o.optional<std::vector<std::string>>("formats", c.output.formats);
    for (const auto& f : c.output.formats)
      if (!kFormats.count(f))
        o.fail("formats", "unknown format " + o.quote(f) + " (json, csv, hdf5)");
    o.finish();
  }

  std::set<std::string> names;
  for (JsonReader a : r.children("analyses")) {
    AnalysisConfig ac;
    ac.path = a.path();
    ac.type = a.required<std::string>("type");
    ac.name = a.optional<std::string>("name", ac.type);
    if (!names.insert(ac.name).second)
      a.fail("name", "analysis name " + a.quote(ac.name) +
                         " is used twice (set \"name\" to tell them apart)");
    // Validate the options now, so a bad key fails before any work starts.
    auto analysis = create_analysis(ac.type, a);
    a.finish();
    ac.options = analysis->options();
    c.analyses.push_back(std::move(ac));
  }
  if (c.analyses.empty()) r.fail("analyses", "at least one analysis is required");
  r.finish();
  return c;
}

nlohmann::json read_run_config_json(const std::filesystem::path& path) {
  std::error_code ec;
  std::ifstream in(path, std::ios::binary);
  if (!in || std::filesystem::is_directory(path, ec))
    throw InputError("cannot read run config '" + path.string() + "'");
  const std::string text(std::istreambuf_iterator<char>(in), {});
  if (in.bad()) throw InputError("cannot read run config '" + path.string() + "'");
  try {
    return io::parse_json(text, path.string());
  } catch (const InputError& e) {
    throw ConfigError(e.what());
  }
}

RunConfig load_run_config(const std::filesystem::path& path) {
  return parse_run_config(read_run_config_json(path), path.string());
}

nlohmann::json to_json(const RunConfig& c) {
  const auto& q = c.select.query;
  auto opt = [](const auto& o) -> nlohmann::json {
    if (o) return *o;
    return nullptr;
  };
  nlohmann::json analyses = nlohmann::json::array();
  for (const auto& a : c.analyses) {
    nlohmann::json aj = a.options;
    aj["type"] = a.type;
    aj["name"] = a.name;
    analyses.push_back(aj);
  }
  return {
      {"library", c.library},
      {"run_id", c.run_id},
      {"backend", std::string(to_string(c.backend))},
      {"batch_size", c.batch_size},
      {"threads", c.threads},
      {"progress", c.progress},
      {"demo_data",
       {{"seed_if_empty", c.demo.seed_if_empty},
        {"count", c.demo.count},
        {"sample_rate", c.demo.sample_rate},
        {"seed", c.demo.seed},
        {"simulate",
         {{"model", c.demo.simulate_model},
          {"count", c.demo.simulate_count},
          {"seed", c.demo.simulate_seed}}}}},
      {"select",
       {{"golfer", opt(q.golfer)},
        {"club_type", opt(q.club_type)},
        {"swing_type", opt(q.swing_type)},
        {"min_rating", opt(q.min_rating)},
        {"date_from", opt(q.date_from)},
        {"date_to", opt(q.date_to)},
        {"label", opt(q.label)},
        {"tags", q.tags},
        {"order_by", q.order_by},
        {"descending", q.descending},
        {"limit", q.limit},
        {"ids", c.select.ids}}},
      {"output", {{"dir", c.output.dir}, {"formats", c.output.formats}}},
      {"analyses", analyses},
  };
}

}  // namespace swingpipe::pipeline
