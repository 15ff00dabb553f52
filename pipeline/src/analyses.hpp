#pragma once
// The built-in analyses. To add one: write pipeline/src/analysis_<name>.cpp with a
// <name>_analysis_info() and list it in registry.cpp.
#include "swingpipe/pipeline/analysis.hpp"

namespace swingpipe::pipeline {

AnalysisInfo stats_analysis_info();
AnalysisInfo dtw_analysis_info();
AnalysisInfo lag_matrix_analysis_info();
AnalysisInfo kinematic_sequence_analysis_info();
AnalysisInfo rqa_analysis_info();
AnalysisInfo cwt_analysis_info();
AnalysisInfo xwt_analysis_info();
AnalysisInfo coherence_analysis_info();
AnalysisInfo induced_accel_analysis_info();

}  // namespace swingpipe::pipeline
