// Analyses "lag_matrix" and "kinematic_sequence" (kernels/lag.hpp).
//   lag_matrix:         per recording, the lag and peak correlation of every pair of the named
//                       channels (all channels by default); the matrices go to the results row
//                       and, with output format "hdf5", to the array sink.
//   kinematic_sequence: per recording, the time and size of each segment's peak angular speed,
//                       their order, gaps and whether they run proximal to distal.
#include <spdlog/spdlog.h>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "analyses.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/lag.hpp"
#include "swingpipe/pipeline/lag_output.hpp"
#include "swingpipe/pipeline/packing.hpp"

namespace swingpipe::pipeline {
namespace {

std::string cell(const nlohmann::json& v) {
  return v.is_null() ? std::string("nan") : v.dump();
}

class LagMatrixAnalysis final : public Analysis {
 public:
  explicit LagMatrixAnalysis(JsonReader& r) {
    channels_ = r.optional<std::vector<std::string>>("channels", {});
    max_lag_ = r.maybe<int64_t>("max_lag");
    max_lag_s_ = r.maybe<double>("max_lag_s");
    if (max_lag_ && max_lag_s_) r.fail("max_lag", "give max_lag (samples) or max_lag_s, not both");
    if (max_lag_ && *max_lag_ < 0) r.fail("max_lag", "must be >= 0 samples (null = every lag)");
    if (max_lag_s_ && !(*max_lag_s_ >= 0 && std::isfinite(*max_lag_s_)))
      r.fail("max_lag_s", "must be a finite number of seconds >= 0 (null = every lag)");
    precision_ = r.optional<std::string>("precision", "float64");
    if (precision_ != "float32" && precision_ != "float64")
      r.fail("precision", "must be float32 or float64");
  }

  nlohmann::json options() const override {
    return {{"channels", channels_},
            {"max_lag", max_lag_ ? nlohmann::json(*max_lag_) : nlohmann::json()},
            {"max_lag_s", max_lag_s_ ? nlohmann::json(*max_lag_s_) : nlohmann::json()},
            {"precision", precision_}};
  }

  void prepare(const RunContext& ctx) override {
    base_.backend = ctx.backend;
    base_.threads = ctx.threads;
    base_.max_lag = max_lag_ ? *max_lag_ : -1;
    plan_.emplace(base_);
  }

  std::vector<AnalysisResult> process(const RecordingBatch& batch, const RunContext&) override {
    if (batch.recordings.empty()) return {};
    if (precision_ == "float32") return process_as<float>(batch);
    return process_as<double>(batch);
  }

  std::vector<std::string> csv_header() const override {
    return {"recording_id", "filename",    "channel_a",  "channel_b",
            "lag_s",        "lag_samples", "correlation"};
  }

  std::vector<std::vector<std::string>> csv_rows(const RecordingMeta& meta,
                                                 const nlohmann::json& p) const override {
    std::vector<std::vector<std::string>> rows;
    const auto& ch = p.at("channels");
    for (std::size_t i = 0; i < ch.size(); ++i)
      for (std::size_t j = i + 1; j < ch.size(); ++j)
        rows.push_back({std::to_string(meta.id), meta.filename, ch[i].get<std::string>(),
                        ch[j].get<std::string>(), cell(p.at("lag_s")[i][j]),
                        cell(p.at("lag_samples")[i][j]), cell(p.at("correlation")[i][j])});
    return rows;
  }

 private:
  /// max_lag in samples for one recording (max_lag_s needs its sample rate).
  int64_t max_lag_for(const Recording& rec) const {
    if (!max_lag_s_) return max_lag_ ? *max_lag_ : -1;
    if (!(rec.sample_rate > 0))
      throw InputError("lag_matrix: recording " + std::to_string(rec.meta.id) +
                       " has no sample rate, so max_lag_s cannot be turned into samples");
    return static_cast<int64_t>(std::floor(*max_lag_s_ * rec.sample_rate + 1e-9));
  }

  template <class T>
  std::vector<AnalysisResult> process_as(const RecordingBatch& batch) {
    // Recordings whose max lag (in samples) differs need their own plan options; group runs of
    // equal max lag into one batched call.
    std::vector<AnalysisResult> out;
    std::size_t first = 0;
    while (first < batch.recordings.size()) {
      const int64_t lag = max_lag_for(batch.recordings[first]);
      std::size_t last = first + 1;
      while (last < batch.recordings.size() && max_lag_for(batch.recordings[last]) == lag) ++last;
      const std::vector<Recording> part(batch.recordings.begin() + static_cast<int64_t>(first),
                                        batch.recordings.begin() + static_cast<int64_t>(last));
      run_part<T>(part, lag, out);
      first = last;
    }
    return out;
  }

  template <class T>
  void run_part(const std::vector<Recording>& recs, int64_t max_lag,
                std::vector<AnalysisResult>& out) {
    if (plan_->options().max_lag != max_lag) {
      lag::Options opt = base_;
      opt.max_lag = max_lag;
      plan_.emplace(opt);
    }
    const Batch<T> packed = pack<T>(recs, channels_);
    std::vector<double> fs;
    for (const auto& r : recs) fs.push_back(r.sample_rate);
    const auto matrices = plan_->matrices<T>(packed.view(), fs);
    for (std::size_t k = 0; k < recs.size(); ++k) {
      const Recording& rec = recs[k];
      std::vector<std::string> names;
      for (const int c : channel_indices(rec, channels_)) names.push_back(rec.channels[c]);
      const lag::Matrix& m = matrices[k];
      if (!m.nan_channels.empty())
        spdlog::warn("lag_matrix: recording {}: channel '{}' holds NaN or inf; its lags are NaN",
                     rec.meta.id, names[static_cast<std::size_t>(m.nan_channels.front())]);
      AnalysisResult res{rec.meta.id,
                         lag_matrix_json(m, names, rec.sample_rate, rec.frames(), max_lag)};
      // The runner adds run_id, analysis, recording_id and swingpipe_version.
      res.arrays.attrs = {{"channels", names}, {"sample_rate", rec.sample_rate}};
      res.arrays.datasets = lag_matrix_datasets(m, names);
      out.push_back(std::move(res));
    }
  }

  std::vector<std::string> channels_;
  std::optional<int64_t> max_lag_;
  std::optional<double> max_lag_s_;
  std::string precision_;
  lag::Options base_;
  std::optional<lag::Plan> plan_;
};

std::vector<Segment> default_segments() {
  return {{"pelvis", {"pelvis_rot_vel"}},
          {"thorax", {"thorax_rot_vel"}},
          {"lead_arm", {"lead_shoulder_vel"}},
          {"club", {"club_vel"}}};
}

class KinematicSequenceAnalysis final : public Analysis {
 public:
  explicit KinematicSequenceAnalysis(JsonReader& r) {
    if (r.has("segments")) {
      for (auto& s : r.children("segments")) {
        Segment seg;
        seg.name = s.required<std::string>("name");
        const auto channels = s.maybe<std::vector<std::string>>("channels");
        if (seg.name.empty()) s.fail("name", "must not be empty");
        if (!channels || channels->empty())
          s.fail("channels", "name at least one angular-velocity channel");
        seg.channels = *channels;
        s.finish();
        segments_.push_back(std::move(seg));
      }
      if (segments_.size() < 2) r.fail("segments", "a sequence needs at least two segments");
    } else {
      segments_ = default_segments();
    }
    opt_.refine = r.optional<bool>("refine", true);
  }

  nlohmann::json options() const override {
    nlohmann::json segs = nlohmann::json::array();
    for (const auto& s : segments_) segs.push_back({{"name", s.name}, {"channels", s.channels}});
    return {{"segments", segs}, {"refine", opt_.refine}};
  }

  std::vector<AnalysisResult> process(const RecordingBatch& batch, const RunContext&) override {
    std::vector<std::string> wanted;
    std::vector<int> components;
    for (const auto& s : segments_) {
      wanted.insert(wanted.end(), s.channels.begin(), s.channels.end());
      components.push_back(static_cast<int>(s.channels.size()));
    }
    std::vector<AnalysisResult> out;
    for (const auto& rec : batch.recordings) {
      const auto values = extract_channels<double>(rec, channel_indices(rec, wanted));
      const lag::Sequence seq = lag::kinematic_sequence<double>(
          {values.data(), rec.frames(), static_cast<int>(wanted.size())}, components,
          rec.sample_rate, opt_);
      out.push_back({rec.meta.id, sequence_json(seq, segments_)});
    }
    return out;
  }

  std::vector<std::string> csv_header() const override {
    return {"recording_id", "filename", "segment", "rank",
            "time_s",       "speed",    "gap_s",   "proximal_to_distal"};
  }

  std::vector<std::vector<std::string>> csv_rows(const RecordingMeta& meta,
                                                 const nlohmann::json& p) const override {
    std::vector<std::vector<std::string>> rows;
    const auto& segs = p.at("segments");
    const auto& order = p.at("order");
    for (std::size_t k = 0; k < segs.size(); ++k) {
      const std::string name = segs[k].at("name").get<std::string>();
      std::size_t rank = 0;
      while (rank < order.size() && order[rank] != name) ++rank;
      rows.push_back({std::to_string(meta.id), meta.filename, name, std::to_string(rank + 1),
                      cell(segs[k].at("time_s")), cell(segs[k].at("speed")),
                      k == 0 ? std::string() : cell(p.at("gaps_s")[k - 1]),
                      p.at("proximal_to_distal").dump()});
    }
    return rows;
  }

 private:
  std::vector<Segment> segments_;
  lag::SequenceOptions opt_;
};

}  // namespace

AnalysisInfo lag_matrix_analysis_info() {
  return {"lag_matrix",
          "lag (s) and peak normalized correlation of every channel pair (FFT cross-correlation)",
          [](JsonReader& r) -> std::unique_ptr<Analysis> {
            return std::make_unique<LagMatrixAnalysis>(r);
          }};
}

AnalysisInfo kinematic_sequence_analysis_info() {
  return {"kinematic_sequence",
          "time, order and gaps of each segment's peak angular speed (proximal to distal?)",
          [](JsonReader& r) -> std::unique_ptr<Analysis> {
            return std::make_unique<KinematicSequenceAnalysis>(r);
          }};
}

}  // namespace swingpipe::pipeline
