#pragma once
// A run's stored results as the exports write them: one CSV per analysis. The runner's export and
// the HTTP server's results endpoint share these, so the two never differ.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "swingpipe/host/library.hpp"
#include "swingpipe/pipeline/analysis.hpp"
#include "swingpipe/pipeline/config.hpp"

namespace swingpipe::pipeline {

/// The analyses of a config, built from their stored options and named.
std::vector<std::unique_ptr<Analysis>> build_analyses(const RunConfig& config);

/// `analysis`' CSV (header line, then its rows for each result, in the order given). `meta` gives
/// a recording's metadata, nullptr to leave the recording out. "" when the analysis has no CSV.
std::string analysis_csv(const Analysis& analysis, const std::vector<const ResultRow*>& rows,
                         const std::function<const RecordingMeta*(int64_t)>& meta);

/// The names of the config's analyses that have a CSV.
std::vector<std::string> csv_analyses(const RunConfig& config);

/// The CSV of the analysis named `name` over every result stored for config.run_id in `lib`.
/// NotFoundError when the config has no analysis of that name, InputError when it has no CSV.
std::string results_csv(const RunConfig& config, const RecordingLibrary& lib,
                        const std::string& name);

}  // namespace swingpipe::pipeline
