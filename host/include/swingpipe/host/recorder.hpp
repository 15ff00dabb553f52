#pragma once
// The recorder (host/recorder): columnar buffers for every recorded field. All buffers start at
// `initial_capacity` samples and grow together by `growth` up to `max_samples`; at the cap the
// recorder stops, logs one warning and keeps what it has. (The Python recorder crashed at sample
// 1000 because some of its buffers were still sized to the cap.)
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "swingpipe/host/recording.hpp"

namespace swingpipe {

/// A recorded field: a name and how many values it has per sample (q has nq, time has 1).
struct FieldSpec {
  std::string name;
  int width = 1;
};

class Recorder {
 public:
  struct Options {
    int64_t initial_capacity = 1000;
    double growth = 1.5;
    int64_t max_samples = 10'000'000;
  };

  /// InputError for no fields, an empty or duplicate name, width < 1, initial_capacity < 1,
  /// growth <= 1 or max_samples < 1.
  explicit Recorder(std::vector<FieldSpec> fields);
  Recorder(std::vector<FieldSpec> fields, Options options);

  /// Appends one sample: `values` holds every field's values in field order (sum of widths).
  /// Returns false, and keeps nothing of this sample, once the cap is reached. InputError when the
  /// size is wrong.
  bool record(std::span<const double> values);

  int64_t size() const { return size_; }
  int64_t capacity() const { return capacity_; }  ///< the same for every field
  bool full() const { return size_ >= options_.max_samples; }
  const std::vector<FieldSpec>& fields() const { return fields_; }
  /// Component `component` of field `field`: size() values.
  std::span<const double> column(int field, int component = 0) const;
  /// Drops every sample, keeps the capacity.
  void clear() { size_ = 0; }

  /// Channels named "field" (width 1) or "field[k]", channel-major.
  Recording to_recording(RecordingMeta meta, double sample_rate) const;

 private:
  void grow();

  std::vector<FieldSpec> fields_;
  Options options_;
  std::vector<std::vector<double>> columns_;  ///< one per component, all of capacity_ entries
  int64_t size_ = 0;
  int64_t capacity_ = 0;
  bool warned_ = false;
};

}  // namespace swingpipe
