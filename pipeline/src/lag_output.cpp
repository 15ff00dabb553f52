// JSON and array-sink forms of lag matrices and kinematic sequences (lag_output.hpp).
#include "swingpipe/pipeline/lag_output.hpp"

#include <cmath>

namespace swingpipe::pipeline {

nlohmann::json json_number(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

nlohmann::json json_matrix(const std::vector<double>& m, int n) {
  nlohmann::json rows = nlohmann::json::array();
  for (int i = 0; i < n; ++i) {
    nlohmann::json row = nlohmann::json::array();
    for (int j = 0; j < n; ++j) row.push_back(json_number(m[static_cast<std::size_t>(i * n + j)]));
    rows.push_back(std::move(row));
  }
  return rows;
}

nlohmann::json lag_matrix_json(const lag::Matrix& m, const std::vector<std::string>& channels,
                               double sample_rate, int64_t frames, int64_t max_lag) {
  nlohmann::json nan_names = nlohmann::json::array();
  for (const int c : m.nan_channels) nan_names.push_back(channels[static_cast<std::size_t>(c)]);
  return {{"channels", channels},
          {"sample_rate", sample_rate},
          {"frames", frames},
          {"max_lag", max_lag < 0 ? nlohmann::json() : nlohmann::json(max_lag)},
          {"lag_s", json_matrix(m.lag_seconds, m.channels)},
          {"lag_samples", json_matrix(m.lag_samples, m.channels)},
          {"correlation", json_matrix(m.correlation, m.channels)},
          {"nan_channels", nan_names}};
}

nlohmann::json sequence_json(const lag::Sequence& s, const std::vector<Segment>& segments) {
  nlohmann::json segs = nlohmann::json::array();
  for (std::size_t k = 0; k < segments.size(); ++k) {
    const auto& p = s.peaks[k];
    segs.push_back({{"name", segments[k].name},
                    {"channels", segments[k].channels},
                    {"time_s", json_number(p.time)},
                    {"frame", p.sample < 0 ? nlohmann::json() : json_number(p.frame)},
                    {"speed", json_number(p.speed)}});
  }
  nlohmann::json order = nlohmann::json::array();
  for (const int k : s.order) order.push_back(segments[static_cast<std::size_t>(k)].name);
  nlohmann::json gaps = nlohmann::json::array();
  for (const double g : s.gaps) gaps.push_back(json_number(g));
  return {{"segments", segs},
          {"order", order},
          {"gaps_s", gaps},
          {"complete", s.complete},
          {"proximal_to_distal", s.proximal_to_distal},
          {"speeds_increase", s.speeds_increase}};
}

namespace {

io::ArrayDataset square(const std::string& prefix, const std::string& name,
                        const std::vector<double>& values, int n, const std::string& units,
                        const std::vector<std::string>& channels) {
  return io::ArrayDataset::of<double>(
      prefix + name, {n, n}, values,
      {{"axes", std::string("channel,channel")}, {"units", units}, {"channels", channels}});
}

}  // namespace

std::vector<io::ArrayDataset> lag_matrix_datasets(const lag::Matrix& m,
                                                  const std::vector<std::string>& channels,
                                                  const std::string& prefix) {
  return {square(prefix, "lag", m.lag_seconds, m.channels, "s", channels),
          square(prefix, "lag_samples", m.lag_samples, m.channels, "samples", channels),
          square(prefix, "correlation", m.correlation, m.channels, "1", channels)};
}

}  // namespace swingpipe::pipeline
