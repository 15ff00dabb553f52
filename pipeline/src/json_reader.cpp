#include "swingpipe/pipeline/json_reader.hpp"

#include <cmath>
#include <limits>

#include "swingpipe/error.hpp"
#include "swingpipe/host/untrusted.hpp"

namespace swingpipe::pipeline {
namespace {

const nlohmann::json& empty_object() {
  static const nlohmann::json empty = nlohmann::json::object();
  return empty;
}

/// A value's type and a short rendering: never a whole untrusted value (a deep or long value
/// would make a huge message, and dumping it would recurse once per nesting level).
std::string describe(const nlohmann::json& v) {
  if (v.is_string()) return "string " + io::quote_input(v.get_ref<const std::string&>());
  if (v.is_array()) return "array of " + std::to_string(v.size()) + " element(s)";
  if (v.is_object()) return "object with " + std::to_string(v.size()) + " key(s)";
  return std::string(v.type_name()) + " " + v.dump();
}

}  // namespace

std::string JsonReader::quote(std::string_view text) {
  return io::quote_input(text);
}

JsonReader::JsonReader(const nlohmann::json& object, std::string path, std::string source)
    : object_(&object), path_(std::move(path)), source_(std::move(source)) {
  if (!object.is_object())
    throw ConfigError(source_ + ": " + (path_.empty() ? "/" : path_) +
                      ": expected an object, got " + describe(object));
}

void JsonReader::fail(const std::string& key, const std::string& message) const {
  throw ConfigError(source_ + ": " + path_of(key) + ": " + message);
}

bool JsonReader::has(const std::string& key) const {
  auto it = object_->find(key);
  return it != object_->end() && !it->is_null();
}

const nlohmann::json* JsonReader::find(const std::string& key) {
  read_.insert(key);
  auto it = object_->find(key);
  if (it == object_->end() || it->is_null()) return nullptr;
  return &*it;
}

const nlohmann::json* JsonReader::raw(const std::string& key) {
  return find(key);
}

template <>
std::optional<std::string> JsonReader::maybe<std::string>(const std::string& key) {
  const auto* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) fail(key, "expected a string, got " + describe(*v));
  return v->get<std::string>();
}

template <>
std::optional<bool> JsonReader::maybe<bool>(const std::string& key) {
  const auto* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) fail(key, "expected true or false, got " + describe(*v));
  return v->get<bool>();
}

template <>
std::optional<int64_t> JsonReader::maybe<int64_t>(const std::string& key) {
  const auto* v = find(key);
  if (!v) return std::nullopt;
  if (v->is_number_unsigned()) {
    if (v->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      fail(key, "integer out of range");
    return static_cast<int64_t>(v->get<uint64_t>());
  }
  if (!v->is_number_integer()) fail(key, "expected an integer, got " + describe(*v));
  return v->get<int64_t>();
}

template <>
std::optional<int> JsonReader::maybe<int>(const std::string& key) {
  auto v = maybe<int64_t>(key);
  if (!v) return std::nullopt;
  if (*v < std::numeric_limits<int>::min() || *v > std::numeric_limits<int>::max())
    fail(key, "integer out of range");
  return static_cast<int>(*v);
}

template <>
std::optional<uint64_t> JsonReader::maybe<uint64_t>(const std::string& key) {
  auto v = maybe<int64_t>(key);
  if (!v) return std::nullopt;
  if (*v < 0) fail(key, "expected a non-negative integer, got " + std::to_string(*v));
  return static_cast<uint64_t>(*v);
}

template <>
std::optional<double> JsonReader::maybe<double>(const std::string& key) {
  const auto* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_number()) fail(key, "expected a number, got " + describe(*v));
  const double d = v->get<double>();
  if (!std::isfinite(d)) fail(key, "expected a finite number");
  return d;
}

template <>
std::optional<std::vector<std::string>> JsonReader::maybe<std::vector<std::string>>(
    const std::string& key) {
  const auto* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_array()) fail(key, "expected an array of strings, got " + describe(*v));
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string())
      fail(key + "/" + std::to_string(i), "expected a string, got " + describe((*v)[i]));
    out.push_back((*v)[i].get<std::string>());
  }
  return out;
}

template <>
std::optional<std::vector<int64_t>> JsonReader::maybe<std::vector<int64_t>>(
    const std::string& key) {
  const auto* v = find(key);
  if (!v) return std::nullopt;
  if (!v->is_array()) fail(key, "expected an array of integers, got " + describe(*v));
  std::vector<int64_t> out;
  for (std::size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_number_integer())
      fail(key + "/" + std::to_string(i), "expected an integer, got " + describe((*v)[i]));
    out.push_back((*v)[i].get<int64_t>());
  }
  return out;
}

template <class T>
T JsonReader::required(const std::string& key) {
  if (!has(key)) fail(key, "required key is missing");
  return *maybe<T>(key);
}

template std::string JsonReader::required<std::string>(const std::string&);
template int JsonReader::required<int>(const std::string&);
template int64_t JsonReader::required<int64_t>(const std::string&);
template double JsonReader::required<double>(const std::string&);
template bool JsonReader::required<bool>(const std::string&);

JsonReader JsonReader::child(const std::string& key) {
  const auto* v = find(key);
  if (!v) return JsonReader(empty_object(), path_of(key), source_);
  if (!v->is_object()) fail(key, "expected an object, got " + describe(*v));
  return JsonReader(*v, path_of(key), source_);
}

std::vector<JsonReader> JsonReader::children(const std::string& key) {
  const auto* v = find(key);
  std::vector<JsonReader> out;
  if (!v) return out;
  if (!v->is_array()) fail(key, "expected an array of objects, got " + describe(*v));
  for (std::size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_object())
      fail(key + "/" + std::to_string(i), "expected an object, got " + describe((*v)[i]));
    out.emplace_back((*v)[i], path_of(key) + "/" + std::to_string(i), source_);
  }
  return out;
}

void JsonReader::finish() const {
  std::string unknown;
  int count = 0;
  for (const auto& [key, value] : object_->items()) {
    if (read_.count(key)) continue;
    // A plain key is shown as a path; anything long or odd is quoted and shortened.
    const bool plain =
        key.size() <= 40 && io::is_valid_utf8(key) && io::control_char_at(key) == std::string::npos;
    if (++count <= 3)
      unknown += (unknown.empty() ? "" : ", ") + path_ + "/" + (plain ? key : quote(key));
  }
  if (count == 0) return;
  if (count > 3) unknown += " and " + std::to_string(count - 3) + " more";
  std::string known;
  for (const auto& k : read_) known += (known.empty() ? "" : ", ") + k;
  throw ConfigError(source_ + ": unknown key " + unknown + " (known here: " + known + ")");
}

}  // namespace swingpipe::pipeline
