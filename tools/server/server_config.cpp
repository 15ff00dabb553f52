#include "server_config.hpp"

#include <fstream>
#include <set>

#include "swingpipe/error.hpp"
#include "swingpipe/kernels/backend.hpp"
#include "swingpipe/pipeline/json_reader.hpp"

namespace swingpipe::server {

using pipeline::JsonReader;

namespace {

template <class T>
void read_range(JsonReader& r, const std::string& key, T& value, T lo, T hi) {
  value = r.optional<T>(key, value);
  if (value < lo || value > hi)
    r.fail(key, "must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " +
                    std::to_string(value));
}

void read_path(JsonReader& r, const std::string& key, std::string& value) {
  value = r.optional<std::string>(key, value);
  if (value.empty()) r.fail(key, "must not be empty");
}

}  // namespace

ServerConfig parse_server_config(const nlohmann::json& j, const std::string& source) {
  ServerConfig c;
  c.source = source;
  JsonReader r(j, "", source);
  {
    JsonReader l = r.child("listen");
    c.host = l.optional<std::string>("host", c.host);
    if (c.host.empty()) l.fail("host", "must not be empty");
    read_range(l, "port", c.port, 0, 65535);
    l.finish();
  }
  {
    JsonReader d = r.child("data");
    read_path(d, "library", c.library);
    read_path(d, "keys_database", c.keys_database);
    read_path(d, "tasks_database", c.tasks_database);
    read_path(d, "output_dir", c.output_dir);
    d.finish();
  }
  {
    JsonReader h = r.child("http");
    read_range(h, "threads", c.http_threads, 1, 1024);
    read_range<int64_t>(h, "max_body_bytes", c.max_body_bytes, 1, int64_t{1} << 40);
    read_range<int64_t>(h, "max_json_bytes", c.max_json_bytes, 1, int64_t{1} << 30);
    read_range<int64_t>(h, "max_header_bytes", c.max_header_bytes, 256, 1 << 20);
    read_range(h, "read_timeout_seconds", c.read_timeout_seconds, 1, 3600);
    read_range(h, "write_timeout_seconds", c.write_timeout_seconds, 1, 3600);
    read_range(h, "keep_alive_seconds", c.keep_alive_seconds, 1, 3600);
    read_range(h, "keep_alive_max_requests", c.keep_alive_max_requests, 1, 1000000000);
    read_range(h, "page_max", c.page_max, 1, 1000000);
    read_range(h, "rate_limit_per_second", c.rate_limit_per_second, 0.0, 1e9);
    read_range(h, "rate_limit_burst", c.rate_limit_burst, 1.0, 1e9);
    h.finish();
  }
  {
    JsonReader a = r.child("auth");
    read_range(a, "bcrypt_cost", c.bcrypt_cost, 4, 31);
    read_range<int64_t>(a, "key_cache_capacity", c.key_cache_capacity, 0, 100000000);
    read_range(a, "key_cache_ttl_seconds", c.key_cache_ttl_seconds, 1, 86400);
    read_range(a, "key_sync_seconds", c.key_sync_seconds, 1, 86400);
    a.finish();
  }
  {
    JsonReader t = r.child("tasks");
    read_range<int64_t>(t, "capacity", c.task_capacity, 1, 10000000);
    read_range(t, "ttl_seconds", c.task_ttl_seconds, 1, 365 * 86400);
    read_range(t, "retry_after_seconds", c.task_retry_after_seconds, 1, 86400);
    read_range(t, "retention_days", c.task_retention_days, 0, 36500);
    read_range(t, "workers", c.task_workers, 1, 256);
    read_range(t, "max_wait_seconds", c.max_wait_seconds, 0, 3600);
    t.finish();
  }
  {
    JsonReader u = r.child("runs");
    c.run_backend = u.optional<std::string>("backend", c.run_backend);
    try {
      parse_backend(c.run_backend);
    } catch (const InputError& e) {
      u.fail("backend", e.what());
    }
    read_range(u, "batch_size", c.run_batch_size, 1, 1000000);
    read_range(u, "threads", c.run_threads, 0, 4096);
    c.run_output_formats = u.optional<std::vector<std::string>>("formats", c.run_output_formats);
    static const std::set<std::string> kFormats{"json", "csv", "hdf5"};
    for (const auto& f : c.run_output_formats)
      if (!kFormats.count(f)) u.fail("formats", "unknown format '" + f + "' (json, csv, hdf5)");
    u.finish();
  }
  {
    JsonReader m = r.child("simulations");
    read_path(m, "models_dir", c.models_dir);
    read_range<int64_t>(m, "max_count", c.simulation_max_count, 1, 100000000);
    read_range(m, "threads", c.simulation_threads, 0, 4096);
    m.finish();
  }
  {
    JsonReader s = r.child("shutdown");
    read_range(s, "grace_seconds", c.shutdown_grace_seconds, 0, 86400);
    s.finish();
  }
  r.finish();
  return c;
}

ServerConfig load_server_config(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw NotFoundError("cannot read server config '" + path.string() + "'");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw ConfigError(path.string() + ": not valid JSON: " + e.what());
  }
  return parse_server_config(j, path.string());
}

nlohmann::ordered_json to_json(const ServerConfig& c) {
  nlohmann::ordered_json j{{"listen", {{"host", c.host}, {"port", c.port}}},
                           {"data",
                            {{"library", c.library},
                             {"keys_database", c.keys_database},
                             {"tasks_database", c.tasks_database},
                             {"output_dir", c.output_dir}}},
                           {"http",
                            {{"threads", c.http_threads},
                             {"max_body_bytes", c.max_body_bytes},
                             {"max_json_bytes", c.max_json_bytes},
                             {"max_header_bytes", c.max_header_bytes},
                             {"read_timeout_seconds", c.read_timeout_seconds},
                             {"write_timeout_seconds", c.write_timeout_seconds},
                             {"keep_alive_seconds", c.keep_alive_seconds},
                             {"keep_alive_max_requests", c.keep_alive_max_requests},
                             {"page_max", c.page_max},
                             {"rate_limit_per_second", c.rate_limit_per_second},
                             {"rate_limit_burst", c.rate_limit_burst}}},
                           {"auth",
                            {{"bcrypt_cost", c.bcrypt_cost},
                             {"key_cache_capacity", c.key_cache_capacity},
                             {"key_cache_ttl_seconds", c.key_cache_ttl_seconds},
                             {"key_sync_seconds", c.key_sync_seconds}}},
                           {"tasks",
                            {{"capacity", c.task_capacity},
                             {"ttl_seconds", c.task_ttl_seconds},
                             {"retry_after_seconds", c.task_retry_after_seconds},
                             {"retention_days", c.task_retention_days},
                             {"workers", c.task_workers},
                             {"max_wait_seconds", c.max_wait_seconds}}},
                           {"runs",
                            {{"backend", c.run_backend},
                             {"batch_size", c.run_batch_size},
                             {"threads", c.run_threads},
                             {"formats", c.run_output_formats}}},
                           {"simulations",
                            {{"models_dir", c.models_dir},
                             {"max_count", c.simulation_max_count},
                             {"threads", c.simulation_threads}}},
                           {"shutdown", {{"grace_seconds", c.shutdown_grace_seconds}}}};
  return j;
}

}  // namespace swingpipe::server
