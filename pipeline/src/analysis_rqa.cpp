// Analysis "rqa": recurrence quantification of each recording (kernels/rqa.hpp, rqa_run.hpp).
//   mode "auto":  the recurrence matrix of the recording's embedded trajectory (+ windowed RQA);
//   mode "cross": against a reference recording (reference_id, default the first selected);
//   mode "joint": joint recurrence of two channel groups (channels, joint_channels).
// The measures go into the results row; the histograms and time courses into the array sink.
#include <spdlog/spdlog.h>

#include "analyses.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/pipeline/rqa_run.hpp"

namespace swingpipe::pipeline {
namespace {

class RqaAnalysis final : public Analysis {
 public:
  explicit RqaAnalysis(JsonReader& r) : request_(read_rqa_request(r)) {
    reference_id_ = r.maybe<int64_t>("reference_id");
    if (reference_id_ && *reference_id_ <= 0) r.fail("reference_id", "must be a recording id > 0");
    if (reference_id_ && request_.mode != "cross") r.fail("reference_id", "is for mode cross only");
  }

  nlohmann::json options() const override {
    nlohmann::json j = rqa_request_json(request_);
    j["reference_id"] = reference_id_ ? nlohmann::json(*reference_id_) : nlohmann::json();
    return j;
  }

  void prepare(const RunContext& ctx) override {
    request_.options.backend = ctx.backend;
    request_.options.threads = ctx.threads;
    if (request_.mode != "cross" || ctx.selection.empty()) return;
    const int64_t id = reference_id_ ? *reference_id_ : ctx.selection.front().id;
    try {
      reference_ = ctx.library->get(id);
    } catch (const NotFoundError&) {
      throw InputError("rqa: reference recording " + std::to_string(id) + " does not exist");
    }
    spdlog::info("rqa: cross-recurrence against recording {} ('{}')", id,
                 reference_->meta.filename);
  }

  std::vector<AnalysisResult> process(const RecordingBatch& batch, const RunContext&) override {
    std::vector<AnalysisResult> out;
    for (const auto& rec : batch.recordings) {
      const RqaOutcome o = run_rqa(request_, rec, reference_ ? &*reference_ : nullptr);
      nlohmann::json p = rqa_payload(request_, o);
      if (reference_) p["reference_id"] = reference_->meta.id;
      AnalysisResult res{rec.meta.id, std::move(p)};
      res.arrays = rqa_arrays(o, rec.sample_rate);
      out.push_back(std::move(res));
    }
    return out;
  }

  std::vector<std::string> csv_header() const override {
    return {"recording_id", "filename", "points", "epsilon", "rr",   "det",         "l",
            "lmax",         "entr",     "lam",    "tt",      "vmax", "recurrences", "cells"};
  }

  std::vector<std::vector<std::string>> csv_rows(const RecordingMeta& meta,
                                                 const nlohmann::json& p) const override {
    auto d = [](const nlohmann::json& v) { return v.is_null() ? std::string("nan") : v.dump(); };
    std::vector<std::string> row{std::to_string(meta.id), meta.filename};
    for (const char* key : {"points", "epsilon", "rr", "det", "l", "lmax", "entr", "lam", "tt",
                            "vmax", "recurrences", "cells"})
      row.push_back(d(p.at(key)));
    return {row};
  }

 private:
  RqaRequest request_;
  std::optional<int64_t> reference_id_;
  std::optional<Recording> reference_;
};

}  // namespace

AnalysisInfo rqa_analysis_info() {
  return {
      "rqa",
      "recurrence quantification (RR, DET, L, Lmax, ENTR, LAM, TT, Vmax + line histograms): "
      "auto, cross or joint recurrence, optional windowed time courses",
      [](JsonReader& r) -> std::unique_ptr<Analysis> { return std::make_unique<RqaAnalysis>(r); }};
}

}  // namespace swingpipe::pipeline
