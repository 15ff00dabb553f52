// Analysis "dtw": dynamic time warping distances between recordings (kernels/dtw.hpp).
//   mode "to_reference": each recording against one reference recording (+ optional path);
//   mode "all_pairs":    the symmetric distance matrix of the selection (a row per recording,
//                        the whole matrix as a run-wide result);
//   mode "knn":          each recording's k nearest other recordings of the selection.
#include <spdlog/spdlog.h>

#include <cmath>
#include <map>

#include "analyses.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/dtw.hpp"
#include "swingpipe/pipeline/packing.hpp"

namespace swingpipe::pipeline {
namespace {

nlohmann::json number(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

class DtwAnalysis final : public Analysis {
 public:
  explicit DtwAnalysis(JsonReader& r) {
    mode_ = r.optional<std::string>("mode", "to_reference");
    if (mode_ != "to_reference" && mode_ != "all_pairs" && mode_ != "knn")
      r.fail("mode", "must be to_reference, all_pairs or knn, got " + r.quote(mode_));
    channels_ = r.optional<std::vector<std::string>>("channels", {});
    band_ = r.maybe<int64_t>("band");
    band_fraction_ = r.maybe<double>("band_fraction");
    if (band_ && band_fraction_) r.fail("band", "give band (samples) or band_fraction, not both");
    if (band_ && *band_ < 0) r.fail("band", "must be >= 0 samples");
    if (band_fraction_ && (*band_fraction_ < 0 || *band_fraction_ > 1))
      r.fail("band_fraction", "must be in [0, 1]");
    squared_ = r.optional<bool>("squared", false);
    precision_ = r.optional<std::string>("precision", "float64");
    if (precision_ != "float32" && precision_ != "float64")
      r.fail("precision", "must be float32 or float64");
    reference_id_ = r.maybe<int64_t>("reference_id");
    if (reference_id_ && *reference_id_ <= 0) r.fail("reference_id", "must be a recording id > 0");
    paths_ = r.optional<bool>("paths", false);
    if (paths_ && mode_ != "to_reference") r.fail("paths", "paths are stored in mode to_reference");
    k_ = r.optional<int>("k", 5);
    if (k_ < 1) r.fail("k", "must be >= 1");
  }

  nlohmann::json options() const override {
    return {{"mode", mode_},
            {"channels", channels_},
            {"band", band_ ? nlohmann::json(*band_) : nlohmann::json()},
            {"band_fraction", band_fraction_ ? nlohmann::json(*band_fraction_) : nlohmann::json()},
            {"squared", squared_},
            {"precision", precision_},
            {"reference_id", reference_id_ ? nlohmann::json(*reference_id_) : nlohmann::json()},
            {"paths", paths_},
            {"k", k_}};
  }

  void prepare(const RunContext& ctx) override {
    opt_.band = band_            ? dtw::Band::samples(*band_)
                : band_fraction_ ? dtw::Band::fraction(*band_fraction_)
                                 : dtw::Band::full();
    opt_.squared = squared_;
    opt_.backend = ctx.backend;
    opt_.threads = ctx.threads;
    opt_.workspace = &workspace_;  // CUDA buffers and streams, kept for every batch of the run
    if (ctx.selection.empty()) return;
    if (mode_ == "to_reference") {
      const int64_t id = reference_id_ ? *reference_id_ : ctx.selection.front().id;
      try {
        reference_ = {ctx.library->get(id)};
      } catch (const NotFoundError&) {
        throw InputError("dtw: reference recording " + std::to_string(id) + " does not exist");
      }
      spdlog::info("dtw: distances to reference recording {} ('{}')", id,
                   reference_.front().meta.filename);
      return;
    }
    // all_pairs and knn need the whole selection.
    std::vector<Recording> all;
    for (const auto& m : ctx.selection) {
      all.push_back(ctx.library->get(m.id));
      ids_.push_back(m.id);
    }
    if (precision_ == "float32")
      library32_ = pack<float>(all, channels_);
    else
      library64_ = pack<double>(all, channels_);
    if (mode_ == "all_pairs") {
      const std::size_t n = ids_.size();
      matrix_.assign(n * n, 0);
      if (precision_ == "float32") {
        std::vector<float> m(n * n);
        dtw::all_pairs<float>(library32_.view(), m, opt_);
        std::copy(m.begin(), m.end(), matrix_.begin());
      } else {
        dtw::all_pairs<double>(library64_.view(), matrix_, opt_);
      }
      for (std::size_t i = 0; i < n; ++i) row_of_[ids_[i]] = i;
    }
  }

  std::vector<AnalysisResult> process(const RecordingBatch& batch, const RunContext&) override {
    if (precision_ == "float32") return process_as<float>(batch);
    return process_as<double>(batch);
  }

  std::vector<AnalysisResult> finish(const RunContext&) override {
    if (mode_ != "all_pairs" || ids_.empty()) return {};
    const std::size_t n = ids_.size();
    nlohmann::json rows = nlohmann::json::array();
    for (std::size_t i = 0; i < n; ++i) {
      nlohmann::json row = nlohmann::json::array();
      for (std::size_t j = 0; j < n; ++j) row.push_back(number(matrix_[i * n + j]));
      rows.push_back(row);
    }
    AnalysisResult r{0, {{"ids", ids_}, {"matrix", rows}, {"squared", squared_}}};
    const auto dim = static_cast<int64_t>(n);
    r.arrays.datasets.push_back(io::ArrayDataset::of<double>(
        "distances", {dim, dim}, matrix_,
        {{"axes", std::string("recording,recording")},
         {"units", std::string(squared_ ? "channel units squared" : "channel units")},
         {"squared", static_cast<int64_t>(squared_)}}));
    r.arrays.datasets.push_back(io::ArrayDataset::vector<int64_t>(
        "recording_ids", ids_, {{"axes", std::string("recording")}, {"units", std::string("1")}}));
    return {r};
  }

  std::vector<std::string> csv_header() const override {
    if (mode_ == "to_reference")
      return {"recording_id", "filename", "reference_id", "distance", "path_length"};
    if (mode_ == "knn") return {"recording_id", "filename", "rank", "neighbor_id", "distance"};
    return {"recording_id", "filename", "other_id", "distance"};
  }

  std::vector<std::vector<std::string>> csv_rows(const RecordingMeta& meta,
                                                 const nlohmann::json& p) const override {
    auto d = [](const nlohmann::json& v) { return v.is_null() ? std::string("nan") : v.dump(); };
    const std::string id = std::to_string(meta.id);
    if (mode_ == "to_reference")
      return {{id, meta.filename, p.at("reference_id").dump(), d(p.at("distance")),
               p.contains("path") ? std::to_string(p.at("path").size()) : ""}};
    std::vector<std::vector<std::string>> rows;
    if (mode_ == "knn") {
      int rank = 1;
      for (const auto& nb : p.at("neighbors"))
        rows.push_back(
            {id, meta.filename, std::to_string(rank++), nb.at("id").dump(), d(nb.at("distance"))});
      return rows;
    }
    for (const auto& [other, dist] : p.at("distances").items())
      rows.push_back({id, meta.filename, other, d(dist)});
    return rows;
  }

 private:
  template <class T>
  const Batch<T>& library() const {
    if constexpr (std::is_same_v<T, float>)
      return library32_;
    else
      return library64_;
  }

  template <class T>
  std::vector<AnalysisResult> process_as(const RecordingBatch& batch) {
    std::vector<AnalysisResult> out;
    if (batch.recordings.empty()) return out;
    const Batch<T> packed = pack<T>(batch.recordings, channels_);
    const auto view = packed.view();
    if (mode_ == "to_reference") {
      const Batch<T> ref = pack<T>(reference_, channels_);
      if (ref.channels != packed.channels)
        throw InputError("dtw: recordings have " + std::to_string(packed.channels) +
                         " channels, the reference has " + std::to_string(ref.channels) +
                         "; name the channels to compare");
      std::vector<T> dist(view.size());
      dtw::one_vs_many<T>(ref.view().series(0), view, dist, opt_);
      for (std::size_t i = 0; i < view.size(); ++i) {
        nlohmann::json p{{"reference_id", reference_.front().meta.id},
                         {"distance", number(static_cast<double>(dist[i]))},
                         {"squared", squared_}};
        AnalysisResult r{batch.recordings[i].meta.id, p};
        if (paths_) {
          const auto path = dtw::path<T>(view.series(i), ref.view().series(0), opt_);
          nlohmann::json steps = nlohmann::json::array();
          std::vector<int64_t> flat;
          flat.reserve(path.steps.size() * 2);
          for (const auto& [a, b] : path.steps) {
            steps.push_back({a, b});
            flat.push_back(a);
            flat.push_back(b);
          }
          r.payload["path"] = steps;
          r.arrays.datasets.push_back(io::ArrayDataset::of<int64_t>(
              "path", {static_cast<int64_t>(path.steps.size()), 2}, flat,
              {{"axes", std::string("step,index")},
               {"units", std::string("frames")},
               {"columns", std::vector<std::string>{"recording_frame", "reference_frame"}},
               {"reference_id", reference_.front().meta.id}}));
        }
        out.push_back(std::move(r));
      }
      return out;
    }
    if (mode_ == "all_pairs") {
      const std::size_t n = ids_.size();
      for (const auto& rec : batch.recordings) {
        auto it = row_of_.find(rec.meta.id);
        if (it == row_of_.end()) continue;
        nlohmann::json row = nlohmann::json::object();
        for (std::size_t j = 0; j < n; ++j)
          row[std::to_string(ids_[j])] = number(matrix_[it->second * n + j]);
        out.push_back({rec.meta.id, {{"distances", row}, {"squared", squared_}}});
      }
      return out;
    }
    // knn: k + 1 neighbours, then drop the recording itself.
    const auto lib = library<T>().view();
    const int k = std::min<int>(k_ + 1, static_cast<int>(lib.size()));
    const auto found = dtw::knn<T>(view, lib, k, opt_);
    for (std::size_t i = 0; i < view.size(); ++i) {
      nlohmann::json nbs = nlohmann::json::array();
      for (const auto& nb : found[i]) {
        const int64_t id = ids_[static_cast<std::size_t>(nb.index)];
        if (id == batch.recordings[i].meta.id || static_cast<int>(nbs.size()) == k_) continue;
        nbs.push_back({{"id", id}, {"distance", number(nb.distance)}});
      }
      out.push_back({batch.recordings[i].meta.id, {{"neighbors", nbs}, {"squared", squared_}}});
    }
    return out;
  }

  std::string mode_;
  std::vector<std::string> channels_;
  std::optional<int64_t> band_;
  std::optional<double> band_fraction_;
  bool squared_ = false;
  std::string precision_;
  std::optional<int64_t> reference_id_;
  bool paths_ = false;
  int k_ = 5;

  dtw::Options opt_;
  dtw::Workspace workspace_;  ///< the CUDA backend's reusable state (nothing on the CPU)
  std::vector<Recording> reference_;
  std::vector<int64_t> ids_;
  Batch<float> library32_;
  Batch<double> library64_;
  std::vector<double> matrix_;
  std::map<int64_t, std::size_t> row_of_;
};

}  // namespace

AnalysisInfo dtw_analysis_info() {
  return {
      "dtw", "dynamic time warping: to_reference (+ paths), all_pairs matrix, knn neighbours",
      [](JsonReader& r) -> std::unique_ptr<Analysis> { return std::make_unique<DtwAnalysis>(r); }};
}

}  // namespace swingpipe::pipeline
