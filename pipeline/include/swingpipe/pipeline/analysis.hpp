#pragma once
// Analyses plug into the pipeline through this interface and the registry below. The runner
// feeds batches of recordings; each analysis returns one result row per recording it handled
// (payload JSON), and may add run-wide results in finish().
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "swingpipe/host/arrays.hpp"
#include "swingpipe/host/library.hpp"
#include "swingpipe/kernels/backend.hpp"
#include "swingpipe/pipeline/json_reader.hpp"

namespace swingpipe::pipeline {

struct RunContext {
  RecordingLibrary* library = nullptr;
  Backend backend = Backend::cpu;  ///< resolved: cpu or cuda
  int threads = 0;
  std::string run_id;
  std::vector<RecordingMeta> selection;  ///< every recording of the run, in order
};

/// A batch of loaded recordings.
struct RecordingBatch {
  std::vector<Recording> recordings;
};

/// One result per recording: the payload JSON for (run, recording, analysis).
struct AnalysisResult {
  int64_t recording_id = 0;  ///< 0 = run-wide result
  nlohmann::json payload;
  /// Arrays for the array sink (host/arrays.hpp), written when output.formats has "hdf5" to
  /// <export dir>/arrays/<analysis>/<recording id>.h5 (run-wide: <analysis>.h5); the runner then
  /// adds payload["arrays"] = {"file": <path relative to the export dir>, "datasets": [names]}.
  /// Empty = none. Without "hdf5" the arrays are dropped and the payload is stored unchanged.
  io::ArrayFile arrays = {};
};

class Analysis {
 public:
  virtual ~Analysis() = default;
  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  /// The effective options, every default written out (for `run --print-config`).
  virtual nlohmann::json options() const = 0;
  /// Called once before the first batch (load references, build plans).
  virtual void prepare(const RunContext&) {}
  /// One result per recording of the batch. Throwing InputError for a recording marks only that
  /// recording failed when the batch is retried one by one.
  virtual std::vector<AnalysisResult> process(const RecordingBatch& batch,
                                              const RunContext& ctx) = 0;
  /// Run-wide results after the last batch (exported as <analysis>.json and in summary.json).
  virtual std::vector<AnalysisResult> finish(const RunContext&) { return {}; }
  /// CSV rows for the export (header first); empty = no CSV for this analysis.
  virtual std::vector<std::vector<std::string>> csv_rows(const RecordingMeta&,
                                                         const nlohmann::json& payload) const {
    (void)payload;
    return {};
  }
  virtual std::vector<std::string> csv_header() const { return {}; }

 private:
  std::string name_;
};

/// Builds an analysis from its options (a JsonReader over the analysis object, with "type" and
/// "name" already read); must read every key it knows, the registry calls finish().
using AnalysisFactory = std::function<std::unique_ptr<Analysis>(JsonReader& options)>;

struct AnalysisInfo {
  std::string type;
  std::string description;
  AnalysisFactory factory;
};

/// The built-in analyses, in registration order.
const std::vector<AnalysisInfo>& analysis_registry();
/// ConfigError naming the path and the known types when `type` is unknown.
std::unique_ptr<Analysis> create_analysis(const std::string& type, JsonReader& options);

}  // namespace swingpipe::pipeline
