#pragma once
// RQA of recordings (kernels/rqa.hpp) as the `rqa` analysis and `swingpipe rqa` run it: channels
// chosen by name, the embedding, auto-, cross- or joint recurrence, optional windowed time
// courses; the summary as JSON and the histograms and time courses as array-sink datasets.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "swingpipe/host/arrays.hpp"
#include "swingpipe/host/recording.hpp"
#include "swingpipe/kernels/rqa.hpp"
#include "swingpipe/pipeline/json_reader.hpp"

namespace swingpipe::pipeline {

struct RqaRequest {
  std::string mode = "auto";                ///< auto, cross or joint
  std::vector<std::string> channels;        ///< embedding channels (empty = all)
  std::vector<std::string> joint_channels;  ///< joint: the second group (required)
  std::string embedding = "channels";       ///< channels (z-scored coordinates) or delay
  std::string delay_channel;                ///< delay: the channel embedded (required)
  int dimension = 3;                        ///< delay: m
  int delay = 1;                            ///< delay: tau (frames)
  bool zscore = true;
  std::string precision = "float64";  ///< float32 or float64
  rqa::Options options;               ///< norm, threshold, Theiler, l_min, v_min, convention, ...
  int64_t window = 0;                 ///< windowed RQA: points per window (0 = none)
  int64_t step = 0;                   ///< windowed RQA: points between window starts

  /// InputError (or ConfigError through a JsonReader) naming a bad combination.
  void validate() const;
};

/// Reads an `rqa` analysis object (keys as rqa_request_json writes them). ConfigError naming the
/// JSON path of a bad value.
RqaRequest read_rqa_request(JsonReader& r);
/// Every option with its effective value.
nlohmann::json rqa_request_json(const RqaRequest& q);

struct RqaOutcome {
  rqa::Result result;
  std::optional<rqa::Windowed> windowed;
  int64_t points = 0;  ///< embedded points of the (first) recording (point i starts at frame i)
  int dims = 0;        ///< coordinates per point
  double seconds = 0;  ///< time spent in the RQA kernels
};

/// RQA of `rec` (and `other`: the cross-recurrence partner, required in mode cross). InputError
/// naming the recording and channel for a missing channel or a non-finite value.
RqaOutcome run_rqa(const RqaRequest& q, const Recording& rec, const Recording* other = nullptr);

/// The summary (measures, threshold, sizes, conventions): NaN measures are null.
nlohmann::json rqa_payload(const RqaRequest& q, const RqaOutcome& out);

/// Datasets: diagonal_histogram, vertical_histogram, white_vertical_histogram (int64, index = line
/// length); with windows: windowed/start_frame (int64), windowed/time (s, NaN when the sample rate
/// is unknown) and windowed/<measure> (rr, det, l, lmax, entr, lam, tt, vmax).
io::ArrayFile rqa_arrays(const RqaOutcome& out, double sample_rate);

}  // namespace swingpipe::pipeline
