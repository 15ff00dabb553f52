#include "analyses.hpp"
#include "swingpipe/error.hpp"

namespace swingpipe::pipeline {

const std::vector<AnalysisInfo>& analysis_registry() {
  static const std::vector<AnalysisInfo> registry{
      stats_analysis_info(),         dtw_analysis_info(),
      lag_matrix_analysis_info(),    kinematic_sequence_analysis_info(),
      rqa_analysis_info(),           cwt_analysis_info(),
      xwt_analysis_info(),           coherence_analysis_info(),
      induced_accel_analysis_info(),
  };
  return registry;
}

std::unique_ptr<Analysis> create_analysis(const std::string& type, JsonReader& options) {
  std::string known;
  for (const auto& info : analysis_registry()) {
    if (info.type == type) {
      auto analysis = info.factory(options);
      return analysis;
    }
    known += (known.empty() ? "" : ", ") + info.type;
  }
  throw ConfigError(options.source() + ": " + options.path_of("type") + ": unknown analysis " +
                    JsonReader::quote(type) + " (known: " + known + ")");
}

}  // namespace swingpipe::pipeline
