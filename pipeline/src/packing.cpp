#include "swingpipe/pipeline/packing.hpp"

#include <algorithm>

#include "swingpipe/error.hpp"

namespace swingpipe::pipeline {

std::vector<int> channel_indices(const Recording& rec, const std::vector<std::string>& wanted) {
  std::vector<int> out;
  if (wanted.empty()) {
    for (int c = 0; c < rec.channel_count(); ++c) out.push_back(c);
    return out;
  }
  for (const auto& name : wanted) {
    auto it = std::find(rec.channels.begin(), rec.channels.end(), name);
    if (it == rec.channels.end())
      throw InputError("recording " + std::to_string(rec.meta.id) + " ('" + rec.meta.filename +
                       "') has no channel '" + name + "'");
    out.push_back(static_cast<int>(it - rec.channels.begin()));
  }
  return out;
}

template <class T>
std::vector<T> extract_channels(const Recording& rec, const std::vector<int>& indices) {
  const int64_t n = rec.frames();
  std::vector<T> out;
  out.reserve(indices.size() * static_cast<std::size_t>(n));
  for (int c : indices) {
    const double* src = rec.channel(c);
    for (int64_t t = 0; t < n; ++t) out.push_back(static_cast<T>(src[t]));
  }
  return out;
}

template <class T>
Batch<T> pack(const std::vector<Recording>& recs, const std::vector<std::string>& wanted) {
  int channels = static_cast<int>(wanted.size());
  if (wanted.empty() && !recs.empty()) channels = recs.front().channel_count();
  Batch<T> batch(channels);
  std::size_t total = 0;
  for (const auto& r : recs) total += static_cast<std::size_t>(r.frames()) * channels;
  batch.values.reserve(total);
  for (const auto& r : recs) {
    const auto idx = channel_indices(r, wanted);
    if (static_cast<int>(idx.size()) != channels)
      throw InputError("recording " + std::to_string(r.meta.id) + " ('" + r.meta.filename +
                       "') has " + std::to_string(idx.size()) + " channels, the batch has " +
                       std::to_string(channels) + "; name the channels to use");
    const auto values = extract_channels<T>(r, idx);
    batch.push_back(values, r.frames());
  }
  return batch;
}

template std::vector<float> extract_channels<float>(const Recording&, const std::vector<int>&);
template std::vector<double> extract_channels<double>(const Recording&, const std::vector<int>&);
template Batch<float> pack<float>(const std::vector<Recording>&, const std::vector<std::string>&);
template Batch<double> pack<double>(const std::vector<Recording>&, const std::vector<std::string>&);

}  // namespace swingpipe::pipeline
