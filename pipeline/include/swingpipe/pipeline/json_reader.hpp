#pragma once
// Strict reading of JSON run configs: every key is type-checked, every key must be read, and
// errors name the JSON path ("/analyses/0/window: expected an integer, got string \"11\"").
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace swingpipe::pipeline {

class JsonReader {
 public:
  /// `path` is the JSON pointer of `object` ("" for the root); `source` names the file.
  JsonReader(const nlohmann::json& object, std::string path, std::string source);

  bool has(const std::string& key) const;
  /// Throws ConfigError when missing or of the wrong type.
  template <class T>
  T required(const std::string& key);
  /// The value, or `fallback` when the key is absent or null.
  template <class T>
  T optional(const std::string& key, T fallback) {
    auto v = maybe<T>(key);
    return v ? *v : fallback;
  }
  template <class T>
  std::optional<T> maybe(const std::string& key);
  /// A nested object (ConfigError when not an object); absent → an empty object.
  JsonReader child(const std::string& key);
  /// Elements of an array of objects.
  std::vector<JsonReader> children(const std::string& key);
  /// Marks a key as known without reading it (it is passed on raw).
  const nlohmann::json* raw(const std::string& key);

  /// Throws ConfigError naming every key that was never read.
  void finish() const;

  std::string path_of(const std::string& key) const { return path_ + "/" + key; }
  const std::string& path() const { return path_; }
  const std::string& source() const { return source_; }
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;
  /// Input text for a message: quoted, shortened, escaped (io::quote_input).
  static std::string quote(std::string_view text);

 private:
  const nlohmann::json* find(const std::string& key);

  const nlohmann::json* object_;
  std::string path_;
  std::string source_;
  std::set<std::string> read_;
};

}  // namespace swingpipe::pipeline
