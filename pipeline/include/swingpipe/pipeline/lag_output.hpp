#pragma once
// How lag matrices and kinematic sequences are written out: the JSON of the results rows (also
// `swingpipe lag --json`) and the datasets of the array sink. One place, so the run and the CLI
// say the same thing.
//
// JSON: matrices are nested arrays, row i = channel i; NaN (undefined) is null.
//   lag_matrix: {"channels", "sample_rate", "frames", "max_lag" (samples used, null = all),
//                "lag_s" (L[i][j], s, positive when j lags i), "lag_samples", "correlation",
//                "nan_channels" (names)}
//   kinematic_sequence: {"segments": [{"name", "channels", "time_s", "frame", "speed"}],
//                "order" (names, earliest peak first), "gaps_s" (consecutive segments, given
//                order), "complete", "proximal_to_distal", "speeds_increase"}
// Arrays (HDF5 via the array sink, or .npy): "lag" (n x n float64, units "s"), "lag_samples"
// (n x n float64, units "samples"), "correlation" (n x n float64, units "1"); axes
// "channel,channel"; the channel names are the attribute "channels" of each dataset and of the
// file.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "swingpipe/host/arrays.hpp"
#include "swingpipe/kernels/lag.hpp"

namespace swingpipe::pipeline {

/// A finite number, or null.
nlohmann::json json_number(double v);

/// An n x n row-major matrix as nested arrays (null for NaN/inf).
nlohmann::json json_matrix(const std::vector<double>& m, int n);

nlohmann::json lag_matrix_json(const lag::Matrix& m, const std::vector<std::string>& channels,
                               double sample_rate, int64_t frames, int64_t max_lag);

/// One segment of a kinematic sequence: its name and the channels that make it.
struct Segment {
  std::string name;
  std::vector<std::string> channels;
};

nlohmann::json sequence_json(const lag::Sequence& s, const std::vector<Segment>& segments);

/// The three matrices as array-sink datasets (see above), named `prefix` + "lag" etc. (a prefix
/// "name/" puts them in an HDF5 group).
std::vector<io::ArrayDataset> lag_matrix_datasets(const lag::Matrix& m,
                                                  const std::vector<std::string>& channels,
                                                  const std::string& prefix = "");

}  // namespace swingpipe::pipeline
