#pragma once
// The JSON run config: what to select from the library, which analyses to run on which backend,
// where results go. Strict: unknown keys are rejected naming their path, types are checked, and
// every default is written out in configs/demo.json. Relative paths are relative to the working
// directory.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "swingpipe/host/library.hpp"
#include "swingpipe/kernels/backend.hpp"

namespace swingpipe::pipeline {

struct DemoDataConfig {
  bool seed_if_empty = false;  ///< fill an empty library with the demo swings first
  int count = 24;
  double sample_rate = 240;
  uint64_t seed = 2026;
  /// MuJoCo swings added too when seeding (swingpipe simulate): model file, count, seed.
  std::string simulate_model;
  int simulate_count = 0;
  uint64_t simulate_seed = 2026;
};

struct SelectConfig {
  SearchQuery query;         ///< filters (golfer, club_type, swing_type, min_rating, ...)
  std::vector<int64_t> ids;  ///< explicit recording ids (empty = use the filters)
};

struct OutputConfig {
  std::string dir = "swingpipe-output";  ///< exports go to <dir>/<run_id>/
  std::vector<std::string> formats{"json", "csv"};
};

struct AnalysisConfig {
  std::string type;        ///< registry name: "stats", "dtw", ...
  std::string name;        ///< unique in the run (default: the type)
  nlohmann::json options;  ///< the analysis' own keys, checked by its factory
  std::string path;        ///< JSON path, for messages
};

struct RunConfig {
  std::string source = "<config>";  ///< file the config came from
  std::string library = "swingpipe.db";
  std::string run_id;  ///< default: the config file's stem
  Backend backend = Backend::automatic;
  int batch_size = 64;            ///< recordings per batch (one transaction of results each)
  int threads = 0;                ///< CPU threads for the kernels, 0 = all
  std::string progress = "auto";  ///< auto (when stderr is a terminal), always, never
  DemoDataConfig demo;
  SelectConfig select;
  OutputConfig output;
  std::vector<AnalysisConfig> analyses;
};

/// Parses and validates (analysis options included, through the registry). ConfigError names the
/// file and JSON path of the first problem.
RunConfig parse_run_config(const nlohmann::json& j, const std::string& source);
/// Reads a file (InputError when unreadable; ConfigError with line/column for bad JSON).
RunConfig load_run_config(const std::filesystem::path& path);
/// The config file as JSON (io::parse_json: depth-limited, strict): InputError when it cannot be
/// read, ConfigError "<path>: byte N: ..." when it is not valid JSON.
nlohmann::json read_run_config_json(const std::filesystem::path& path);
/// The effective config with every default written out.
nlohmann::json to_json(const RunConfig& config);

}  // namespace swingpipe::pipeline
