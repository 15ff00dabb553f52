#pragma once
// CSR batches (design.md §3.2): the values of many series concatenated, each series stored
// channel-major (channel c of series s, frame t is at values[offsets[s]*channels + c*len(s) + t]),
// with offsets in frames. No padding to the longest series.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace swingpipe {

/// One series: `channels` rows of `length` frames, channel-major.
template <class T>
struct SeriesRef {
  const T* data = nullptr;
  int64_t length = 0;
  int channels = 1;
  T at(int channel, int64_t frame) const { return data[channel * length + frame]; }
};

/// A read-only view of a CSR batch. offsets has size()+1 entries, offsets[0] == 0.
template <class T>
struct BatchView {
  std::span<const T> values;
  std::span<const int64_t> offsets;
  int channels = 1;

  std::size_t size() const { return offsets.empty() ? 0 : offsets.size() - 1; }
  int64_t length(std::size_t i) const { return offsets[i + 1] - offsets[i]; }
  SeriesRef<T> series(std::size_t i) const {
    return {values.data() + offsets[i] * channels, length(i), channels};
  }
  int64_t max_length() const {
    int64_t m = 0;
    for (std::size_t i = 0; i < size(); ++i) m = length(i) > m ? length(i) : m;
    return m;
  }
};

/// An owning CSR batch that series are appended to.
template <class T>
struct Batch {
  std::vector<T> values;
  std::vector<int64_t> offsets{0};
  int channels = 1;

  Batch() = default;
  explicit Batch(int channels_) : channels(channels_) {}

  /// Appends one series of `length` frames, channel-major (`channels * length` values).
  void push_back(std::span<const T> channel_major, int64_t length) {
    values.insert(values.end(), channel_major.begin(), channel_major.end());
    offsets.push_back(offsets.back() + length);
  }
  std::size_t size() const { return offsets.size() - 1; }
  BatchView<T> view() const { return {values, offsets, channels}; }
};

}  // namespace swingpipe
