#include "swingpipe/pipeline/results.hpp"

#include <map>

#include "swingpipe/error.hpp"
#include "swingpipe/pipeline/json_reader.hpp"

namespace swingpipe::pipeline {
namespace {

std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

std::vector<std::unique_ptr<Analysis>> build_analyses(const RunConfig& config) {
  std::vector<std::unique_ptr<Analysis>> out;
  for (const auto& ac : config.analyses) {
    JsonReader r(ac.options, ac.path, config.source);
    auto a = create_analysis(ac.type, r);
    r.finish();
    a->set_name(ac.name);
    out.push_back(std::move(a));
  }
  return out;
}

std::string analysis_csv(const Analysis& analysis, const std::vector<const ResultRow*>& rows,
                         const std::function<const RecordingMeta*(int64_t)>& meta) {
  const auto header = analysis.csv_header();
  if (header.empty()) return {};
  std::string csv;
  for (std::size_t i = 0; i < header.size(); ++i) csv += (i ? "," : "") + header[i];
  csv += "\n";
  for (const ResultRow* r : rows) {
    const RecordingMeta* m = meta(r->recording_id);
    if (!m) continue;
    for (const auto& line : analysis.csv_rows(*m, nlohmann::json::parse(r->payload_json))) {
      for (std::size_t i = 0; i < line.size(); ++i) csv += (i ? "," : "") + csv_escape(line[i]);
      csv += "\n";
    }
  }
  return csv;
}

std::vector<std::string> csv_analyses(const RunConfig& config) {
  std::vector<std::string> out;
  for (const auto& a : build_analyses(config))
    if (!a->csv_header().empty()) out.push_back(a->name());
  return out;
}

std::string results_csv(const RunConfig& config, const RecordingLibrary& lib,
                        const std::string& name) {
  for (const auto& a : build_analyses(config)) {
    if (a->name() != name) continue;
    if (a->csv_header().empty())
      throw InputError("analysis '" + name + "' has no CSV form (its results are JSON only)");
    const auto rows = lib.results(config.run_id);
    std::vector<const ResultRow*> mine;
    for (const auto& r : rows)
      if (r.analysis == name) mine.push_back(&r);
    std::map<int64_t, RecordingMeta> metas;
    return analysis_csv(*a, mine, [&](int64_t id) -> const RecordingMeta* {
      auto it = metas.find(id);
      if (it == metas.end()) {
        try {
          it = metas.emplace(id, lib.get_meta(id)).first;
        } catch (const NotFoundError&) {
          return nullptr;  // deleted since: its results went with it
        }
      }
      return &it->second;
    });
  }
  throw NotFoundError("run '" + config.run_id + "' has no analysis named '" + name + "'");
}

}  // namespace swingpipe::pipeline
