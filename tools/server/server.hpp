#pragma once
// The HTTP front (cpp-httplib): composes the library (host/storage), API keys (host/auth), the
// task registry and executor (host/tasks) and the pipeline, like the CLI does. JSON in and out;
// errors as {"error": {"code", "message"}} with the codes of api_error.hpp. The routes, their
// scopes and query parameters are the table in server.cpp; openapi.json documents the same.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server_config.hpp"
#include "swingpipe/host/auth.hpp"

namespace swingpipe::server {

struct RouteInfo {
  std::string method, path;
  auth::Scopes scope = 0;  ///< 0: no key needed
  std::vector<std::string> query;
  bool body = false;
};

class Server {
 public:
  /// Opens the library, the keys and tasks databases (marking tasks an earlier process left
  /// unfinished as interrupted) and starts the task workers. Nothing listens yet.
  explicit Server(ServerConfig config);
  ~Server();  ///< shutdown() and wait
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds host:port (port 0: any free port) and returns the port. Error when it cannot.
  int bind();
  /// Serves until shutdown(); then lets running tasks finish for the grace period, checkpoints
  /// the rest (they end `interrupted`, resumable by run id) and writes pending key usage.
  void serve();
  /// Stops accepting requests; serve() returns once the drain is done. Thread-safe, idempotent.
  void shutdown();
  int port() const;
  int64_t interrupted_at_start() const;

  std::vector<RouteInfo> routes() const;
  /// The OpenAPI 3.1 document (tools/server/openapi.json, embedded at build time).
  static const std::string& openapi_document();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/// A key as the API and `swingpipe keys list --json` show it (never its hash or secret).
nlohmann::ordered_json key_json(const auth::KeyInfo& key);

}  // namespace swingpipe::server
