#pragma once
// `swingpipe serve --config configs/server.json`: the server's settings. Strict like run configs:
// unknown keys and wrong types are rejected with their JSON path; configs/server.json lists every
// key with its default.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace swingpipe::server {

struct ServerConfig {
  std::string source = "<config>";

  // listen
  std::string host = "127.0.0.1";
  int port = 8750;  ///< 0 = any free port (printed on start)

  // data
  std::string library = "swingpipe.db";
  std::string keys_database = "swingpipe-keys.db";
  std::string tasks_database = "swingpipe-tasks.db";
  std::string output_dir = "swingpipe-output";  ///< run exports: <output_dir>/<run_id>/

  // http
  int http_threads = 16;  ///< worker pool; each keep-alive connection holds one while open
  int64_t max_body_bytes = 64 << 20;  ///< uploads
  int64_t max_json_bytes = 1 << 20;   ///< JSON request bodies
  int64_t max_header_bytes = 16384;   ///< all request headers together (a line: at most 8192)
  int read_timeout_seconds = 5;       ///< per read: a client silent this long is dropped
  int write_timeout_seconds = 5;
  int keep_alive_seconds = 2;           ///< idle keep-alive connections close after this
  int keep_alive_max_requests = 10000;  ///< requests per connection
  int page_max = 1000;                  ///< largest `limit` of a listing
  double rate_limit_per_second = 50;    ///< per API key; 0 = unlimited
  double rate_limit_burst = 100;

  // auth
  int bcrypt_cost = 12;  ///< for keys created through the API
  int64_t key_cache_capacity = 10000;
  int key_cache_ttl_seconds = 60;
  int key_sync_seconds = 5;  ///< usage written, other processes' revocations read, this often

  // tasks
  int64_t task_capacity = 1000;
  int task_ttl_seconds = 3600;
  int task_retry_after_seconds = 5;
  int task_retention_days = 30;
  int task_workers = 1;       ///< runs at once
  int max_wait_seconds = 60;  ///< longest GET /v1/tasks/{id}?wait=

  // runs
  std::string run_backend = "auto";
  int run_batch_size = 64;
  int run_threads = 0;  ///< kernel threads, 0 = all cores
  std::vector<std::string> run_output_formats{"json", "csv"};

  // simulations (POST /v1/simulations): models are named, never given as paths
  std::string models_dir = "configs/models";  ///< <models_dir>/<name>.xml
  int64_t simulation_max_count = 10000;       ///< swings per request
  int simulation_threads = 0;                 ///< 0 = all cores

  // shutdown
  int shutdown_grace_seconds = 30;  ///< running tasks get this long to finish, then checkpoint
};

/// ConfigError naming the source and JSON path of the first problem.
ServerConfig parse_server_config(const nlohmann::json& j, const std::string& source);
ServerConfig load_server_config(const std::filesystem::path& path);
/// Every key with its value (configs/server.json is this for the defaults).
nlohmann::ordered_json to_json(const ServerConfig& c);

}  // namespace swingpipe::server
