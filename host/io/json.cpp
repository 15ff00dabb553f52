// JSON: the metadata, sample rate, channel names and one array of values per channel (NaN as null).
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "swingpipe/error.hpp"
#include "swingpipe/host/io.hpp"
#include "swingpipe/host/recording_json.hpp"
#include "text.hpp"

namespace swingpipe::io {

namespace {

using Json = nlohmann::ordered_json;

[[noreturn]] void fail_key(const std::filesystem::path& path, const std::string& key,
                           const std::string& what) {
  throw InputError(path.string() + ": key '" + key + "': " + what);
}

template <class T>
void read_key(const std::filesystem::path& path, const Json& j, const char* key, T& out) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  try {
    out = it->get<T>();
  } catch (const nlohmann::json::exception& e) {
    fail_key(path, key, std::string("wrong type: ") + e.what());
  }
}

void meta_from_json(const std::filesystem::path& path, const Json& j, RecordingMeta& m) {
  read_key(path, j, "id", m.id);
  read_key(path, j, "filename", m.filename);
  read_key(path, j, "golfer_name", m.golfer_name);
  read_key(path, j, "date_recorded", m.date_recorded);
  read_key(path, j, "club_type", m.club_type);
  read_key(path, j, "model_name", m.model_name);
  read_key(path, j, "swing_type", m.swing_type);
  read_key(path, j, "rating", m.rating);
  read_key(path, j, "tags", m.tags);
  read_key(path, j, "notes", m.notes);
  read_key(path, j, "duration", m.duration);
  read_key(path, j, "peak_club_speed", m.peak_club_speed);
  read_key(path, j, "checksum", m.checksum);
  read_key(path, j, "label", m.label);
  read_key(path, j, "attributes", m.attributes);
}

void series_from_json(const std::filesystem::path& path, const Json& j, Recording& rec) {
  if (!j.contains("channels") || !j.contains("data"))
    throw InputError(path.string() + ": expected keys 'channels' and 'data'");
  read_key(path, j, "channels", rec.channels);
  const Json& data = j.at("data");
  if (!data.is_array() || data.size() != rec.channels.size())
    fail_key(
        path, "data",
        "expected an array of " + std::to_string(rec.channels.size()) + " arrays, one per channel");
  const std::size_t n = data.empty() ? 0 : data[0].size();
  rec.data.reserve(n * data.size());
  for (std::size_t c = 0; c < data.size(); ++c) {
    if (!data[c].is_array() || data[c].size() != n)
      fail_key(path, "data",
               "channel " + std::to_string(c) + ": expected an array of " + std::to_string(n) +
                   " values like channel 0");
    for (std::size_t t = 0; t < n; ++t) {
      const Json& v = data[c][t];
      if (!v.is_null() && !v.is_number())
        fail_key(path, "data",
                 "channel " + std::to_string(c) + ", value " + std::to_string(t) +
                     ": expected a number or null");
      rec.data.push_back(v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.get<double>());
    }
  }
  rec.meta.num_frames = static_cast<int64_t>(n);
  int64_t declared = rec.meta.num_frames;
  read_key(path, j, "num_frames", declared);
  if (declared != rec.meta.num_frames && !rec.channels.empty())
    fail_key(path, "num_frames",
             std::to_string(declared) + " does not match the " + std::to_string(n) +
                 " values per channel");
  if (rec.channels.empty()) rec.meta.num_frames = declared;
}

}  // namespace

nlohmann::ordered_json meta_to_json(const RecordingMeta& m) {
  return Json{{"id", m.id},
              {"filename", m.filename},
              {"golfer_name", m.golfer_name},
              {"date_recorded", m.date_recorded},
              {"club_type", m.club_type},
              {"model_name", m.model_name},
              {"swing_type", m.swing_type},
              {"rating", m.rating},
              {"tags", m.tags},
              {"notes", m.notes},
              {"duration", m.duration},
              {"peak_club_speed", m.peak_club_speed},
              {"num_frames", m.num_frames},
              {"checksum", m.checksum},
              {"label", m.label},
              {"attributes", m.attributes}};
}

nlohmann::ordered_json recording_to_json(const Recording& rec, bool with_data) {
  Json j = meta_to_json(rec.meta);
  j["sample_rate"] = rec.sample_rate;
  j["channels"] = rec.channels;
  if (!rec.units.empty()) j["units"] = rec.units;
  if (!with_data) return j;
  Json data = Json::object();
  for (int c = 0; c < rec.channel_count(); ++c) {
    Json values = Json::array();
    values.get_ref<Json::array_t&>().reserve(static_cast<std::size_t>(rec.frames()));
    for (int64_t t = 0; t < rec.frames(); ++t) {
      const double v = rec.channel(c)[t];
      values.push_back(std::isfinite(v) ? Json(v) : Json(nullptr));
    }
    data[rec.channels[c]] = std::move(values);
  }
  j["data"] = std::move(data);
  return j;
}

nlohmann::ordered_json stats_to_json(const LibraryStats& s) {
  auto counts = [](const auto& v) {
    Json j = Json::object();
    for (const auto& [k, n] : v) j[k] = n;
    return j;
  };
  auto num = [](double v) { return std::isfinite(v) ? Json(v) : Json(); };
  return Json{{"count", s.count},
              {"avg_rating", num(s.avg_rating)},
              {"min_peak_club_speed", num(s.min_peak_club_speed)},
              {"max_peak_club_speed", num(s.max_peak_club_speed)},
              {"avg_peak_club_speed", num(s.avg_peak_club_speed)},
              {"total_frames", s.total_frames},
              {"by_club_type", counts(s.by_club_type)},
              {"by_swing_type", counts(s.by_swing_type)}};
}

void write_json(const std::filesystem::path& path, const Recording& rec) {
  validate(rec, path.string());
  Json j = meta_to_json(rec.meta);
  j["sample_rate"] = rec.sample_rate;
  j["channels"] = rec.channels;
  if (!rec.units.empty()) j["units"] = rec.units;
  Json data = Json::array();
  for (int c = 0; c < rec.channel_count(); ++c) {
    Json values = Json::array();
    values.get_ref<Json::array_t&>().reserve(static_cast<std::size_t>(rec.frames()));
    for (int64_t t = 0; t < rec.frames(); ++t) {
      const double v = rec.channel(c)[t];
      values.push_back(std::isfinite(v) ? Json(v) : Json(nullptr));
    }
    data.push_back(std::move(values));
  }
  j["data"] = std::move(data);
  write_file_atomic(path, j.dump() + "\n");
}

Recording read_json(const std::filesystem::path& path) {
  const std::string text = detail::read_whole_file(path);
  Json j;
  try {
    j = Json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    detail::fail_byte(path, e.byte, std::string("invalid JSON: ") + e.what());
  }
  if (!j.is_object()) throw InputError(path.string() + ": expected a JSON object");
  Recording rec;
  rec.meta.filename = path.filename().string();
  meta_from_json(path, j, rec.meta);
  read_key(path, j, "sample_rate", rec.sample_rate);
  read_key(path, j, "units", rec.units);
  series_from_json(path, j, rec);
  validate(rec, path.string());
  return rec;
}

}  // namespace swingpipe::io
