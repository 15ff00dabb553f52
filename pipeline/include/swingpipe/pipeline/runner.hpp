#pragma once
// The runner: select → plan → batch → backend → results (SQLite, one transaction per batch) and
// exports (async, atomic). A run that is killed resumes where it stopped: recordings whose results
// are all stored for the run id are not redone.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "swingpipe/host/recording.hpp"
#include "swingpipe/pipeline/config.hpp"

namespace swingpipe::pipeline {

struct RunSummary {
  std::string run_id;
  std::string backend;         ///< the backend used: cpu or cuda
  std::string backend_reason;  ///< why, when `auto` chose the CPU
  int64_t seeded = 0;          ///< demo recordings added to an empty library
  int64_t selected = 0;
  int64_t already_done = 0;  ///< skipped because a previous run stored their results
  int64_t processed = 0;
  std::vector<std::pair<int64_t, std::string>> failures;  ///< recording id, reason
  double seconds = 0;
  std::filesystem::path export_dir;
  std::vector<std::string> analyses;
  nlohmann::json to_json() const;
};

/// Runs the config. Library and config errors throw; a recording that fails (corrupt data,
/// missing channel) is reported in the summary and the run goes on.
RunSummary run(const RunConfig& config);

}  // namespace swingpipe::pipeline
