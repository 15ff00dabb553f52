#pragma once
// Private to tools/server: the server's state and the handlers (server.cpp wires and dispatches,
// handlers_*.cpp answer).
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "api_error.hpp"
#include "rate_limiter.hpp"
#include "router.hpp"
#include "server.hpp"
#include "swingpipe/host/auth.hpp"
#include "swingpipe/host/library.hpp"
#include "swingpipe/host/tasks.hpp"

namespace swingpipe::server {

/// One request, as a handler sees it.
struct Call {
  const httplib::Request& req;
  httplib::Response& res;
  const std::string* body = nullptr;  ///< nullptr: the request had none
  PathParams path;
  auth::Principal principal;  ///< set when the route needs a key

  const std::string& path_param(const std::string& name) const;
  /// The query parameter given once, or nullopt; invalid_parameter when given twice.
  std::optional<std::string> query(const std::string& name) const;
  bool admin() const { return principal.scopes & auth::kAdmin; }
  std::string owner() const { return std::to_string(principal.key_id); }
};

/// Writes `j` as the response body (application/json) with `status`.
void reply(httplib::Response& res, int status, const nlohmann::json& j);
void reply(httplib::Response& res, int status, const nlohmann::ordered_json& j);

// Strict parsing of request values; ApiError(400, invalid_parameter) naming the parameter.
int64_t parse_integer(const std::string& name, const std::string& text, int64_t lo, int64_t hi);
double parse_number(const std::string& name, const std::string& text);
bool parse_flag(const std::string& name, const std::string& text);
/// A JSON request body (object); invalid_json when it is not JSON, invalid_request when not an
/// object.
nlohmann::json parse_json_body(const Call& call);

struct Server::Impl {
  explicit Impl(ServerConfig cfg);

  ServerConfig config;
  RecordingLibrary library;
  auth::KeyStore keys;
  auth::Verifier verifier;
  tasks::Registry registry;
  tasks::Executor executor;
  RateLimiter limiter;
  Router router;
  httplib::Server http;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  std::mutex lifecycle_mutex;
  bool listening = false;       ///< the accept loop has started
  bool stop_requested = false;  ///< shutdown() was called
  bool drained = false;
  int bound_port = -1;
  std::mutex runs_mutex;   ///< one run id submitted at a time (the in-progress check)
  std::mutex stats_mutex;  ///< the last statistics and their JSON, reused while they are equal
  LibraryStats last_stats;
  std::string last_stats_body;

  void add_routes();
  void configure_http();
  /// Routes a request (body: nullptr when it has none) and answers it; never throws.
  void dispatch(const httplib::Request& req, httplib::Response& res, const std::string* body);
  void authenticate(Call& call, auth::Scopes needed);
  void check_query(const httplib::Request& req, const Route& route) const;
  void check_headers(const httplib::Request& req) const;

  // handlers_library.cpp
  void health(Call& c);
  void openapi(Call& c);
  void list_recordings(Call& c);
  void upload_recording(Call& c);
  void get_recording(Call& c);
  void library_stats(Call& c);
  // handlers_tasks.cpp
  void submit_run(Call& c);
  void get_task(Call& c);
  void task_results(Call& c);
  void cancel_task(Call& c);
  // handlers_simulations.cpp
  void submit_simulation(Call& c);
  // handlers_keys.cpp
  void list_keys(Call& c);
  void create_key(Call& c);
  void revoke_key(Call& c);

  /// The task if it exists and the caller may see it (its owner or an admin); task_not_found
  /// otherwise.
  tasks::Task visible_task(const Call& c, const std::string& id);
  nlohmann::ordered_json task_json(const tasks::Task& t) const;
};

}  // namespace swingpipe::server
