#pragma once
// A recording: metadata + sample rate + named channels + the series (float64, channel-major).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace swingpipe {

/// The columns of the Python suite's `recordings` table, plus what swingpipe adds.
struct RecordingMeta {
  int64_t id = 0;        ///< 0 until stored
  std::string filename;  ///< unique key in the library
  std::string golfer_name;
  std::string date_recorded;  ///< ISO 8601 (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)
  std::string club_type;
  std::string model_name;
  std::string swing_type;
  int rating = 0;  ///< 0 = unrated, 1..5
  std::vector<std::string> tags;
  std::string notes;
  double duration = 0;         ///< seconds
  double peak_club_speed = 0;  ///< m/s, 0 = unknown
  int64_t num_frames = 0;
  std::string checksum;  ///< hex SHA-256 of the series blob (empty for legacy rows without data)
  std::string label;     ///< class label (UCR data sets); empty when none
  /// Facts the source file states that have no column of their own (format, manufacturer,
  /// subjects, first frame, the file's own sample rate, ...): name -> value. Stored as JSON.
  std::map<std::string, std::string> attributes;
};

struct Recording {
  RecordingMeta meta;
  double sample_rate = 0;             ///< Hz; 0 when unknown (UCR data)
  std::vector<std::string> channels;  ///< channel names
  std::vector<double> data;           ///< channel-major: data[c * num_frames + t]
  /// One per channel ("" = unknown), or empty when none is known; validate() checks the count.
  std::vector<std::string> units;

  int64_t frames() const { return meta.num_frames; }
  int channel_count() const { return static_cast<int>(channels.size()); }
  const double* channel(int c) const { return data.data() + c * meta.num_frames; }
};

/// A sample rate is 0 (unknown) or within [kMinSampleRate, kMaxSampleRate] Hz: every rate in that
/// range survives a CSV time column (t = k / rate) and back.
inline constexpr double kMinSampleRate = 1e-6;
inline constexpr double kMaxSampleRate = 1e9;

/// Throws InputError naming `what` when channels * num_frames != data.size() (or frames without
/// channels), a channel name is empty or duplicated, or the sample rate is not 0 and not within
/// [kMinSampleRate, kMaxSampleRate].
void validate(const Recording& rec, const std::string& what);

}  // namespace swingpipe
