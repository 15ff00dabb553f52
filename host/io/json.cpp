// JSON: the metadata, sample rate, channel names and one array of values per channel (NaN as
// null, +-inf as "inf"/"-inf"). Read strictly: every key has one type, integers are JSON integers
// in range, unknown keys are errors, so what is accepted is stored exactly as written.
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "swingpipe/error.hpp"
#include "swingpipe/host/io.hpp"
#include "swingpipe/host/recording_json.hpp"
#include "swingpipe/host/untrusted.hpp"
#include "text.hpp"

namespace swingpipe::io {

namespace {

using Json = nlohmann::json;
using detail::quote_token;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Reads the keys of one JSON object, each with exactly one accepted type; remembers which keys
/// it was asked for, so finish() can refuse the others.
class KeyReader {
 public:
  KeyReader(const std::filesystem::path& path, const Json& j) : path_(path), j_(j) {}

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw InputError(path_.string() + ": key '" + key + "': " + what);
  }

  /// The value, or nullptr when the key is absent or null.
  const Json* get(const std::string& key) {
    known_.insert(key);
    const auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  void string(const std::string& key, std::string& out) {
    const Json* v = get(key);
    if (!v) return;
    if (!v->is_string()) fail(key, "expected a string, got " + describe(*v));
    out = v->get<std::string>();
  }

  /// A JSON integer (no fraction, no exponent) within [lo, hi].
  void integer(const std::string& key, int64_t& out, int64_t lo, int64_t hi) {
    const Json* v = get(key);
    if (!v) return;
    const std::string range = "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    if (!v->is_number_integer())
      fail(key, "expected an integer in " + range + ", got " + describe(*v));
    if (v->is_number_unsigned()) {
      const auto u = v->get<uint64_t>();
      if (u > static_cast<uint64_t>(hi)) fail(key, describe(*v) + " is outside " + range);
      out = static_cast<int64_t>(u);
    } else {
      const auto s = v->get<int64_t>();
      if (s < lo || s > hi) fail(key, describe(*v) + " is outside " + range);
      out = s;
    }
  }

  void number(const std::string& key, double& out) {
    const Json* v = get(key);
    if (!v) return;
    if (!v->is_number()) fail(key, "expected a number, got " + describe(*v));
    out = v->get<double>();
    if (out == 0) out = 0;  // -0 is 0 (the library's SQLite columns cannot keep the sign of zero)
  }

  void strings(const std::string& key, std::vector<std::string>& out) {
    const Json* v = get(key);
    if (!v) return;
    if (!v->is_array()) fail(key, "expected an array of strings, got " + describe(*v));
    out.clear();
    for (std::size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_string())
        fail(key, "element " + std::to_string(i) + ": expected a string, got " + describe((*v)[i]));
      out.push_back((*v)[i].get<std::string>());
    }
  }

  /// An object whose values are all strings (RecordingMeta::attributes).
  void string_map(const std::string& key, std::map<std::string, std::string>& out) {
    const Json* v = get(key);
    if (!v) return;
    if (!v->is_object()) fail(key, "expected an object of strings, got " + describe(*v));
    out.clear();
    for (const auto& [name, value] : v->items()) {
      if (!value.is_string())
        fail(key, quote_token(name) + ": expected a string, got " + describe(value));
      out.emplace(name, value.get<std::string>());
    }
  }

  /// InputError naming the keys nobody asked for (a misspelt key would otherwise be ignored).
  void finish() const {
    std::string unknown;
    int count = 0;
    for (const auto& [key, value] : j_.items()) {
      if (known_.count(key)) continue;
      if (++count <= 3) unknown += (unknown.empty() ? "" : ", ") + quote_token(key);
    }
    if (count == 0) return;
    if (count > 3) unknown += " and " + std::to_string(count - 3) + " more";
    std::string known;
    for (const auto& k : known_) known += (known.empty() ? "" : ", ") + k;
    throw InputError(path_.string() + ": unknown key " + unknown + " (expected " + known + ")");
  }

  /// A value's type and, for scalars, a short rendering of it (never a whole untrusted value).
  static std::string describe(const Json& v) {
    if (v.is_string()) return "string " + quote_token(v.get_ref<const std::string&>());
    if (v.is_array()) return "an array of " + std::to_string(v.size());
    if (v.is_object()) return "an object";
    return v.type_name() + std::string(" ") + v.dump();
  }

 private:
  const std::filesystem::path& path_;
  const Json& j_;
  std::set<std::string> known_;
};

void meta_from_json(KeyReader& r, RecordingMeta& m) {
  r.integer("id", m.id, 0, std::numeric_limits<int64_t>::max());
  r.string("filename", m.filename);
  if (m.filename.empty()) r.fail("filename", "must not be empty");
  r.string("golfer_name", m.golfer_name);
  r.string("date_recorded", m.date_recorded);
  r.string("club_type", m.club_type);
  r.string("model_name", m.model_name);
  r.string("swing_type", m.swing_type);
  int64_t rating = m.rating;
  r.integer("rating", rating, 0, 5);
  m.rating = static_cast<int>(rating);
  r.strings("tags", m.tags);
  std::set<std::string> seen;
  for (const auto& t : m.tags) {
    // The library keeps tags as written only when they are non-empty, unique, comma-free and
    // without surrounding blanks: anything else would be changed on the way in.
    if (t.empty() || t.find(',') != std::string::npos || detail::trim(t).size() != t.size())
      r.fail("tags", "tag " + quote_token(t) +
                         " must be non-empty, without commas and without surrounding blanks");
    if (!seen.insert(t).second) r.fail("tags", "tag " + quote_token(t) + " appears twice");
  }
  r.string("notes", m.notes);
  r.number("duration", m.duration);
  r.number("peak_club_speed", m.peak_club_speed);
  r.string("checksum", m.checksum);
  r.string("label", m.label);
  r.string_map("attributes", m.attributes);
}

/// One series value: a number, null (NaN, missing) or "inf"/"-inf" when infinities are allowed.
double value_from_json(const KeyReader& r, const Json& v, std::size_t c, std::size_t t,
                       const ValueOptions& opt) {
  const std::string where = "channel " + std::to_string(c) + ", value " + std::to_string(t);
  if (v.is_null()) return kNaN;
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s == "inf" || s == "-inf") {
      if (!opt.allow_infinite)
        r.fail("data", where +
                           ": infinite value (an error unless asked for with --allow-inf; null "
                           "means missing)");
      return s == "inf" ? std::numeric_limits<double>::infinity()
                        : -std::numeric_limits<double>::infinity();
    }
  }
  r.fail("data",
         where + ": expected a number, null or \"inf\"/\"-inf\", got " + KeyReader::describe(v));
}

void series_from_json(KeyReader& r, Recording& rec, const ValueOptions& opt) {
  const Json* channels = r.get("channels");
  const Json* data = r.get("data");
  if (!channels || !data) r.fail(channels ? "data" : "channels", "required key is missing or null");
  r.strings("channels", rec.channels);
  if (rec.channels.empty()) r.fail("channels", "no channels (expected at least one name)");
  if (!data->is_array() || data->size() != rec.channels.size())
    r.fail("data", "expected an array of " + std::to_string(rec.channels.size()) +
                       " arrays, one per channel, got " + KeyReader::describe(*data));
  const std::size_t n = (*data)[0].is_array() ? (*data)[0].size() : 0;
  if (n == 0) r.fail("data", "channel 0: no values (expected at least one frame)");
  rec.data.reserve(n * data->size());
  for (std::size_t c = 0; c < data->size(); ++c) {
    const Json& column = (*data)[c];
    if (!column.is_array() || column.size() != n)
      r.fail("data", "channel " + std::to_string(c) + ": expected an array of " +
                         std::to_string(n) + " values like channel 0, got " +
                         KeyReader::describe(column));
    for (std::size_t t = 0; t < n; ++t)
      rec.data.push_back(value_from_json(r, column[t], c, t, opt));
  }
  rec.meta.num_frames = static_cast<int64_t>(n);
  int64_t declared = rec.meta.num_frames;
  r.integer("num_frames", declared, 0, std::numeric_limits<int64_t>::max());
  if (declared != rec.meta.num_frames)
    r.fail("num_frames", std::to_string(declared) + " does not match the " + std::to_string(n) +
                             " values per channel");
}

/// The checksum a file states must be the library's checksum of the series it holds.
void check_checksum(const KeyReader& r, const Recording& rec) {
  if (rec.meta.checksum.empty()) return;
  std::string blob(rec.data.size() * sizeof(double), '\0');  // the library's encoding (LE f8)
  if (!blob.empty()) std::memcpy(blob.data(), rec.data.data(), blob.size());
  const std::string actual = sha256_hex(blob.data(), blob.size());
  if (actual != rec.meta.checksum)
    r.fail("checksum", quote_token(rec.meta.checksum) + " does not match the data (SHA-256 " +
                           actual + "); remove the key to import edited values");
}

}  // namespace

nlohmann::ordered_json meta_to_json(const RecordingMeta& m) {
  return nlohmann::ordered_json{{"id", m.id},
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
  using OJson = nlohmann::ordered_json;
  OJson j = meta_to_json(rec.meta);
  j["sample_rate"] = rec.sample_rate;
  j["channels"] = rec.channels;
  if (!rec.units.empty()) j["units"] = rec.units;
  if (!with_data) return j;
  OJson data = OJson::object();
  for (int c = 0; c < rec.channel_count(); ++c) {
    OJson values = OJson::array();
    values.get_ref<OJson::array_t&>().reserve(static_cast<std::size_t>(rec.frames()));
    for (int64_t t = 0; t < rec.frames(); ++t) values.push_back(value_to_json(rec.channel(c)[t]));
    data[rec.channels[c]] = std::move(values);
  }
  j["data"] = std::move(data);
  return j;
}

nlohmann::ordered_json stats_to_json(const LibraryStats& s) {
  using OJson = nlohmann::ordered_json;
  auto counts = [](const auto& v) {
    OJson j = OJson::object();
    for (const auto& [k, n] : v) j[k] = n;
    return j;
  };
  auto num = [](double v) { return std::isfinite(v) ? OJson(v) : OJson(); };
  return OJson{{"count", s.count},
               {"avg_rating", num(s.avg_rating)},
               {"min_peak_club_speed", num(s.min_peak_club_speed)},
               {"max_peak_club_speed", num(s.max_peak_club_speed)},
               {"avg_peak_club_speed", num(s.avg_peak_club_speed)},
               {"total_frames", s.total_frames},
               {"by_club_type", counts(s.by_club_type)},
               {"by_swing_type", counts(s.by_swing_type)}};
}

nlohmann::ordered_json value_to_json(double v) {
  if (std::isnan(v)) return nullptr;
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

std::string json_text(const Recording& rec, const std::string& what) {
  validate(rec, what);
  nlohmann::ordered_json j = meta_to_json(rec.meta);
  j["sample_rate"] = rec.sample_rate;
  j["channels"] = rec.channels;
  if (!rec.units.empty()) j["units"] = rec.units;
  nlohmann::ordered_json data = nlohmann::ordered_json::array();
  for (int c = 0; c < rec.channel_count(); ++c) {
    nlohmann::ordered_json values = nlohmann::ordered_json::array();
    values.get_ref<nlohmann::ordered_json::array_t&>().reserve(
        static_cast<std::size_t>(rec.frames()));
    for (int64_t t = 0; t < rec.frames(); ++t) values.push_back(value_to_json(rec.channel(c)[t]));
    data.push_back(std::move(values));
  }
  j["data"] = std::move(data);
  try {
    return j.dump() + "\n";
  } catch (const nlohmann::json::exception&) {  // text that is not UTF-8 (never from a reader)
    throw InputError(what + ": metadata or channel names are not valid UTF-8");
  }
}

void write_json(const std::filesystem::path& path, const Recording& rec) {
  write_file_atomic(path, json_text(rec, path.string()));
}

Recording parse_json_recording(std::string_view text, const std::filesystem::path& path,
                               const ValueOptions& values) {
  const Json j = parse_json(text, path.string());
  if (!j.is_object())
    throw InputError(path.string() + ": expected a JSON object (a recording), got " +
                     KeyReader::describe(j));
  KeyReader r(path, j);
  Recording rec;
  rec.meta.filename = path.filename().string();
  meta_from_json(r, rec.meta);
  r.number("sample_rate", rec.sample_rate);
  const double rate = rec.sample_rate;
  if (!(rate == 0 || (rate >= kMinSampleRate && rate <= kMaxSampleRate)))
    r.fail("sample_rate",
           "must be 0 (unknown) or within [1e-06, 1e+09] Hz, got " + std::to_string(rate));
  r.strings("units", rec.units);
  series_from_json(r, rec, values);
  if (!rec.units.empty() && rec.units.size() != rec.channels.size())
    r.fail("units", "expected one unit per channel (" + std::to_string(rec.channels.size()) +
                        "), got " + std::to_string(rec.units.size()));
  r.finish();
  check_checksum(r, rec);
  detail::check_read(rec, path);
  return rec;
}

Recording read_json(const std::filesystem::path& path, const ValueOptions& values) {
  return parse_json_recording(detail::read_whole_file(path), path, values);
}

}  // namespace swingpipe::io
