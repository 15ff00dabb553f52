#pragma once
// The UCR / tsml-java external oracles for DTW (../shared/data/ucr, README there): loading the
// data sets through io::read_labelled, 1-NN error rates, and the published figures.
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "swingpipe/host/io.hpp"
#include "swingpipe/kernels/dtw.hpp"

namespace swingpipe::dtw::test {

struct Labelled {
  Batch<double> series{1};
  std::vector<std::string> labels;
};

inline Labelled load_labelled(const std::filesystem::path& file) {
  Labelled out;
  const auto recs = io::read_labelled(file);
  if (!recs.empty()) out.series = Batch<double>(recs.front().channel_count());
  for (const auto& r : recs) {
    out.series.push_back(r.data, r.frames());
    out.labels.push_back(r.meta.label);
  }
  return out;
}

struct UcrSet {
  Labelled train, test;
};

/// <ucr>/<name>/<name>_{TRAIN,TEST}.tsv, or .ts when there is no .tsv (Beef).
inline UcrSet load_ucr(const std::filesystem::path& ucr, const std::string& name) {
  const auto base = ucr / name / name;
  const std::string ext = std::filesystem::exists(base.string() + "_TRAIN.tsv") ? ".tsv" : ".ts";
  return {load_labelled(base.string() + "_TRAIN" + ext),
          load_labelled(base.string() + "_TEST" + ext)};
}

/// 1-NN test error with ties going to the first training series, through cross().
inline double one_nn_error(const UcrSet& d, const Options& opt) {
  const std::size_t nt = d.test.series.size(), nr = d.train.series.size();
  std::vector<double> dist(nt * nr);
  cross<double>(d.test.series.view(), d.train.series.view(), dist, opt);
  int wrong = 0;
  for (std::size_t i = 0; i < nt; ++i) {
    std::size_t best = 0;
    for (std::size_t j = 1; j < nr; ++j)
      if (dist[i * nr + j] < dist[i * nr + best]) best = j;
    wrong += d.train.labels[best] != d.test.labels[i];
  }
  return static_cast<double>(wrong) / static_cast<double>(nt);
}

/// 1-NN test error through knn(k = 1) (ties to the lower index, as brute force).
inline double one_nn_error_knn(const UcrSet& d, const Options& opt) {
  const auto nn = knn<double>(d.test.series.view(), d.train.series.view(), 1, opt);
  int wrong = 0;
  for (std::size_t i = 0; i < nn.size(); ++i)
    wrong += d.train.labels[static_cast<std::size_t>(nn[i][0].index)] != d.test.labels[i];
  return static_cast<double>(wrong) / static_cast<double>(nn.size());
}

/// The README's table: published 1-NN test error rates (UCR archive DataSummary).
struct Published {
  const char* name;
  double ed;
  double learned;
  double window_percent;
  double full;
};
inline const std::vector<Published>& published() {
  static const std::vector<Published> table{
      {"GunPoint", 0.0867, 0.0867, 0, 0.0933},  {"ItalyPowerDemand", 0.0447, 0.0447, 0, 0.0496},
      {"ArrowHead", 0.2000, 0.2000, 0, 0.2971}, {"Coffee", 0.0000, 0.0000, 0, 0.0000},
      {"ECG200", 0.1200, 0.1200, 0, 0.2300},    {"BeetleFly", 0.2500, 0.3000, 7, 0.3000},
      {"Beef", 0.3333, 0.3333, 0, 0.3667},
  };
  return table;
}

/// Equal at the 4 decimals the archive publishes.
inline bool same_rate(double got, double published) {
  return std::fabs(got - published) < 5e-5;
}

}  // namespace swingpipe::dtw::test
