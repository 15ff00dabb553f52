// Analysis "induced_accel": induced accelerations of simulated recordings
// (pipeline/induced_accel.hpp, kernels/induced_accel.hpp).
#include <spdlog/spdlog.h>

#include "analyses.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/recorded_state.hpp"
#include "swingpipe/kernels/induced_accel.hpp"
#include "swingpipe/pipeline/induced_accel.hpp"

namespace swingpipe::pipeline {
namespace {

class InducedAccelAnalysis final : public Analysis {
 public:
  explicit InducedAccelAnalysis(JsonReader& r) {
    std::vector<std::string> models =
        r.optional<std::vector<std::string>>("models", std::vector<std::string>{"configs/models"});
    if (models.empty()) r.fail("models", "give at least one model file or folder");
    opt_.models.assign(models.begin(), models.end());
    opt_.sites = r.optional<std::vector<std::string>>("sites", opt_.sites);
    opt_.per_actuator = r.optional<bool>("per_actuator", false);
    opt_.counterfactuals = r.optional<bool>("counterfactuals", false);
    opt_.arrays = r.optional<bool>("arrays", true);
    const auto source = r.optional<std::string>("mass_source", "tree");
    try {
      opt_.mass_source = parse_mass_source(source, "mass_source");
    } catch (const InputError&) {
      r.fail("mass_source", "'" + source + "' is not a mass source (tree or mujoco)");
    }
    skip_other_ = r.optional<bool>("skip_other", false);
  }

  nlohmann::json options() const override {
    std::vector<std::string> models;
    for (const auto& m : opt_.models) models.push_back(m.string());
    return {{"models", models},
            {"sites", opt_.sites},
            {"per_actuator", opt_.per_actuator},
            {"counterfactuals", opt_.counterfactuals},
            {"arrays", opt_.arrays},
            {"mass_source", to_string(opt_.mass_source)},
            {"skip_other", skip_other_}};
  }

  void prepare(const RunContext& ctx) override {
    InducedAccelOptions o = opt_;
    o.backend = ctx.backend;
    o.threads = ctx.threads;
    runner_ = std::make_unique<InducedAccelRunner>(o);
  }

  std::vector<AnalysisResult> process(const RecordingBatch& batch, const RunContext&) override {
    std::vector<AnalysisResult> out;
    for (const auto& rec : batch.recordings) {
      if (skip_other_ && !engine::model_sha256_of(rec.meta)) {
        out.push_back({rec.meta.id,
                       {{"skipped", "not a simulated recording (no " +
                                        std::string(engine::kModelHashTagPrefix) + " tag)"}}});
        continue;
      }
      try {
        auto r = runner_->run(rec);
        out.push_back({rec.meta.id, std::move(r.payload), std::move(r.arrays)});
      } catch (const NotFoundError& e) {
        throw InputError(e.what());  // this recording fails; the others go on
      }
    }
    return out;
  }

  std::vector<std::string> csv_header() const override {
    return {"recording_id",      "filename",  "site",         "contributor",
            "peak_acceleration", "peak_time", "impact_share", "closure_max"};
  }

  std::vector<std::vector<std::string>> csv_rows(const RecordingMeta& meta,
                                                 const nlohmann::json& p) const override {
    std::vector<std::vector<std::string>> rows;
    if (p.contains("skipped")) return rows;
    auto d = [](const nlohmann::json& v) { return v.is_null() ? std::string("nan") : v.dump(); };
    for (const auto& [site, s] : p.at("sites").items())
      for (const auto& [name, c] : s.at("contributors").items())
        rows.push_back({std::to_string(meta.id), meta.filename, site, name, d(c.at("peak")),
                        d(c.at("peak_time")), d(c.at("impact_share")), d(p.at("closure_max"))});
    return rows;
  }

 private:
  InducedAccelOptions opt_;
  bool skip_other_ = false;
  std::unique_ptr<InducedAccelRunner> runner_;
};

}  // namespace

AnalysisInfo induced_accel_analysis_info() {
  return {"induced_accel",
          "induced accelerations of simulated swings: what gravity, velocity, passive, "
          "constraint, applied and control forces each contribute to every dof and named site",
          [](JsonReader& r) -> std::unique_ptr<Analysis> {
            return std::make_unique<InducedAccelAnalysis>(r);
          }};
}

}  // namespace swingpipe::pipeline
