// Analysis "stats": per-channel descriptive statistics (kernels/stats.hpp).
#include <cmath>

#include "analyses.hpp"
#include "swingpipe/kernels/stats.hpp"
#include "swingpipe/pipeline/packing.hpp"

namespace swingpipe::pipeline {
namespace {

nlohmann::json number(double v) {
  if (std::isfinite(v)) return v;
  return nullptr;  // JSON has no NaN/inf
}

class StatsAnalysis final : public Analysis {
 public:
  explicit StatsAnalysis(JsonReader& r) {
    opt_.window = r.optional<int>("window", opt_.window);
    opt_.order = r.optional<int>("order", opt_.order);
    if (opt_.window < 3 || opt_.window % 2 == 0) r.fail("window", "must be odd and >= 3");
    if (opt_.order < 3 || opt_.order >= opt_.window)
      r.fail("order", "must be >= 3 (jerk is the third derivative) and < window");
    channels_ = r.optional<std::vector<std::string>>("channels", {});
  }

  nlohmann::json options() const override {
    return {{"window", opt_.window}, {"order", opt_.order}, {"channels", channels_}};
  }

  std::vector<AnalysisResult> process(const RecordingBatch& batch, const RunContext&) override {
    std::vector<AnalysisResult> out;
    for (const auto& rec : batch.recordings) {
      const auto idx = channel_indices(rec, channels_);
      const auto values = extract_channels<double>(rec, idx);
      SeriesRef<double> series{values.data(), rec.frames(), static_cast<int>(idx.size())};
      const auto st = stats::describe(series, rec.sample_rate, opt_);
      nlohmann::json ch = nlohmann::json::object();
      for (std::size_t k = 0; k < idx.size(); ++k) {
        const auto& s = st[k];
        ch[rec.channels[idx[k]]] = {{"mean", number(s.mean)},
                                    {"std", number(s.std)},
                                    {"min", number(s.min)},
                                    {"max", number(s.max)},
                                    {"peak_abs_rate", number(s.peak_abs_rate)},
                                    {"rms_jerk", number(s.rms_jerk)}};
      }
      out.push_back(
          {rec.meta.id,
           {{"frames", rec.frames()}, {"sample_rate", rec.sample_rate}, {"channels", ch}}});
    }
    return out;
  }

  std::vector<std::string> csv_header() const override {
    return {"recording_id", "filename", "channel",       "mean",    "std",
            "min",          "max",      "peak_abs_rate", "rms_jerk"};
  }

  std::vector<std::vector<std::string>> csv_rows(const RecordingMeta& meta,
                                                 const nlohmann::json& payload) const override {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [name, s] : payload.at("channels").items()) {
      std::vector<std::string> row{std::to_string(meta.id), meta.filename, name};
      for (const char* key : {"mean", "std", "min", "max", "peak_abs_rate", "rms_jerk"})
        row.push_back(s.at(key).is_null() ? "nan" : s.at(key).dump());
      rows.push_back(std::move(row));
    }
    return rows;
  }

 private:
  stats::Options opt_;
  std::vector<std::string> channels_;
};

}  // namespace

AnalysisInfo stats_analysis_info() {
  return {"stats", "per-channel mean, std, min, max, peak |rate| and RMS jerk (Savitzky-Golay)",
          [](JsonReader& r) -> std::unique_ptr<Analysis> {
            return std::make_unique<StatsAnalysis>(r);
          }};
}

}  // namespace swingpipe::pipeline
