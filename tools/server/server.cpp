// The server: wiring of cpp-httplib, the route table, dispatch, authentication, lifecycle.
//
// Requests without a body are routed in cpp-httplib's pre-routing handler (before it would read
// any content: a DELETE without Content-Length is answered at once instead of waiting for a body
// until the read timeout). Requests with a body go to one content-reader handler per method,
// which reads the body under the route's limit and drains what is over it, so the connection
// stays in step.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "request_body.hpp"
#include "server_impl.hpp"
#include "swingpipe/error.hpp"

namespace swingpipe::server {

namespace {

using httplib::Request;
using httplib::Response;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void write_error(Response& res, int status, std::string_view code, const std::string& message,
                 int retry_after = 0) {
  reply(res, status,
        nlohmann::json{{"error", {{"code", std::string(code)}, {"message", message}}}});
  if (retry_after > 0) res.set_header("Retry-After", std::to_string(retry_after));
  if (status == 401) res.set_header("WWW-Authenticate", "Bearer realm=\"swingpipe\"");
}

/// Content-Length (0 when absent or unreadable; cpp-httplib refuses those itself).
uint64_t content_length(const Request& req) {
  const std::string v = req.get_header_value("Content-Length");
  return v.empty() ? 0 : std::strtoull(v.c_str(), nullptr, 10);
}

/// Methods whose content cpp-httplib reads, with a body announced.
bool has_body(const Request& req) {
  const auto& m = req.method;
  if (m != "POST" && m != "PUT" && m != "PATCH" && m != "DELETE") return false;
  if (req.has_header("Transfer-Encoding")) return true;
  return content_length(req) > 0;
}

void create_parent(const std::string& path) {
  const std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
}

auth::KeyStore open_keys(const ServerConfig& c) {
  create_parent(c.keys_database);
  return auth::KeyStore(c.keys_database);
}

RecordingLibrary open_library(const ServerConfig& c) {
  create_parent(c.library);
  return RecordingLibrary(c.library);
}

}  // namespace

// ---- helpers shared by the handlers
// ---------------------------------------------------------------

void reply(Response& res, int status, const nlohmann::json& j) {
  res.status = status;
  res.set_content(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

void reply(Response& res, int status, const nlohmann::ordered_json& j) {
  res.status = status;
  res.set_content(j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace),
                  "application/json");
}

const std::string& Call::path_param(const std::string& name) const {
  for (const auto& [k, v] : path)
    if (k == name) return v;
  throw std::logic_error("route has no path parameter '" + name + "'");
}

std::optional<std::string> Call::query(const std::string& name) const {
  const auto n = req.get_param_value_count(name.c_str());
  if (n == 0) return std::nullopt;
  if (n > 1)
    throw ApiError(400, "invalid_parameter", "query parameter '" + name + "' is given twice");
  return req.get_param_value(name.c_str());
}

int64_t parse_integer(const std::string& name, const std::string& text, int64_t lo, int64_t hi) {
  int64_t v = 0;
  bool ok = !text.empty() && text.size() <= 18;  // no overflow below 10^18
  std::size_t i = 0;
  bool negative = false;
  if (ok && text[0] == '-') {
    negative = true;
    i = 1;
    ok = text.size() > 1;
  }
  for (; ok && i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') ok = false;
    v = v * 10 + (text[i] - '0');
  }
  if (negative) v = -v;
  if (!ok)
    throw ApiError(400, "invalid_parameter",
                   "'" + name + "' must be an integer, got '" + text + "'");
  if (v < lo || v > hi)
    throw ApiError(400, "invalid_parameter",
                   "'" + name + "' must be " + std::to_string(lo) + ".." + std::to_string(hi) +
                       ", got " + text);
  return v;
}

double parse_number(const std::string& name, const std::string& text) {
  std::size_t pos = 0;
  double v = 0;
  try {
    v = std::stod(text, &pos);
  } catch (const std::exception&) {
    pos = 0;
  }
  if (text.empty() || pos != text.size() || !std::isfinite(v))
    throw ApiError(400, "invalid_parameter", "'" + name + "' must be a number, got '" + text + "'");
  return v;
}

bool parse_flag(const std::string& name, const std::string& text) {
  if (text == "1" || text == "true") return true;
  if (text == "0" || text == "false") return false;
  throw ApiError(400, "invalid_parameter",
                 "'" + name + "' must be 1, 0, true or false, got '" + text + "'");
}

nlohmann::json parse_json_body(const Call& call) {
  return parse_json_body(call.body ? std::string_view(*call.body) : std::string_view());
}

// ---- the server --------------------------------------------------------------------------------

Server::Impl::Impl(ServerConfig cfg)
    : config(std::move(cfg)),
      library(open_library(config)),
      keys(open_keys(config)),
      verifier(keys, {static_cast<std::size_t>(config.key_cache_capacity),
                      std::chrono::seconds(config.key_cache_ttl_seconds),
                      std::chrono::seconds(config.key_sync_seconds)}),
      registry({config.tasks_database, static_cast<std::size_t>(config.task_capacity),
                std::chrono::seconds(config.task_ttl_seconds), config.task_retry_after_seconds,
                config.task_retention_days}),
      executor(registry, config.task_workers),
      limiter(config.rate_limit_per_second, config.rate_limit_burst) {
  add_routes();
  configure_http();
}

void Server::Impl::add_routes() {
  using auth::kAdmin;
  using auth::kRead;
  using auth::kRun;
  auto h = [this](void (Impl::*fn)(Call&)) { return [this, fn](Call& c) { (this->*fn)(c); }; };
  router.add({"GET", "/health", 0, {}, Body::none, h(&Impl::health)});
  router.add({"GET", "/openapi.json", 0, {}, Body::none, h(&Impl::openapi)});
  router.add({"GET",
              "/v1/recordings",
              kRead,
              {"golfer", "club_type", "swing_type", "min_rating", "date_from", "date_to", "label",
               "tag", "order_by", "descending", "limit", "offset"},
              Body::none,
              h(&Impl::list_recordings)});
  router.add({"POST",
              "/v1/recordings",
              kRun,
              {"filename", "golfer", "club_type", "swing_type", "date", "rating", "tags", "notes",
               "model", "sample_rate"},
              Body::upload,
              h(&Impl::upload_recording)});
  router.add({"GET", "/v1/recordings/{id}", kRead, {"data"}, Body::none, h(&Impl::get_recording)});
  router.add({"GET", "/v1/library/stats", kRead, {}, Body::none, h(&Impl::library_stats)});
  router.add({"POST", "/v1/runs", kRun, {}, Body::json, h(&Impl::submit_run)});
  router.add({"POST", "/v1/simulations", kRun, {}, Body::json, h(&Impl::submit_simulation)});
  router.add({"GET", "/v1/tasks/{id}", kRead, {"wait"}, Body::none, h(&Impl::get_task)});
  router.add({"GET",
              "/v1/tasks/{id}/results",
              kRead,
              {"format", "analysis"},
              Body::none,
              h(&Impl::task_results)});
  router.add({"DELETE", "/v1/tasks/{id}", kRun, {}, Body::none, h(&Impl::cancel_task)});
  router.add({"GET", "/v1/keys", kAdmin, {}, Body::none, h(&Impl::list_keys)});
  router.add({"POST", "/v1/keys", kAdmin, {}, Body::json, h(&Impl::create_key)});
  router.add({"DELETE", "/v1/keys/{id}", kAdmin, {}, Body::none, h(&Impl::revoke_key)});
}

void Server::Impl::configure_http() {
  using httplib::ContentReader;
  http.new_task_queue = [this] {
    auto* pool = new httplib::ThreadPool(static_cast<std::size_t>(config.http_threads));
    // Called by the accept loop as it starts: from here on stop() reaches it.
    bool stop_now = false;
    {
      std::lock_guard lock(lifecycle_mutex);
      listening = true;
      stop_now = stop_requested;
    }
    if (stop_now) http.stop();
    return pool;
  };
  http.set_read_timeout(config.read_timeout_seconds, 0);
  http.set_write_timeout(config.write_timeout_seconds, 0);
  http.set_keep_alive_timeout(config.keep_alive_seconds);
  http.set_keep_alive_max_count(static_cast<std::size_t>(config.keep_alive_max_requests));
  http.set_payload_max_length(
      static_cast<std::size_t>(std::max(config.max_body_bytes, config.max_json_bytes)));
  http.set_tcp_nodelay(true);  // headers and body go out as two writes: no Nagle delay

  http.set_pre_routing_handler([this](const Request& req, Response& res) {
    if (has_body(req)) return httplib::Server::HandlerResponse::Unhandled;
    dispatch(req, res, nullptr);
    return httplib::Server::HandlerResponse::Handled;
  });
  auto with_body = [this](const Request& req, Response& res, const ContentReader& reader) {
    const Match m = router.match(req.method, req.path);
    const int64_t limit =
        m.route && m.route->body == Body::upload ? config.max_body_bytes : config.max_json_bytes;
    // Past the limit the body is read and dropped (so the connection stays in step), up to twice
    // the largest limit; a client sending more than that is cut off.
    const int64_t drain_limit = 2 * std::max(config.max_body_bytes, config.max_json_bytes);
    std::string body;
    const uint64_t announced = content_length(req);
    if (announced > 0 && static_cast<int64_t>(announced) <= limit)
      body.reserve(static_cast<std::size_t>(announced));
    int64_t received = 0;
    bool too_large = false;
    auto receive = [&](const char* data, std::size_t n) {
      received += static_cast<int64_t>(n);
      if (received > drain_limit) {  // a chunked body without end: give up on the connection
        too_large = true;
        return false;
      }
      if (received > limit) {  // drain the rest, so the next request on this connection parses
        too_large = true;
        return true;
      }
      body.append(data, n);
      return true;
    };
    if (req.is_multipart_form_data()) {  // read and dropped: uploads are the file's bytes
      reader([](const httplib::MultipartFormData&) { return true; },
             [&](const char* data, std::size_t n) { return receive(data, n); });
      write_error(res, 415, "unsupported_format",
                  "multipart/form-data is not taken: send the file itself as the body "
                  "(curl --data-binary @swing.csv) and its name as ?filename=");
      return;
    }
    const bool ok = reader(receive);
    if (too_large || (!ok && res.status == 413)) {
      write_error(
          res, 413, "payload_too_large",
          "the body is larger than this endpoint's limit of " + std::to_string(limit) + " bytes");
    } else if (!ok) {
      write_error(res, 400, "incomplete_body",
                  "the body ended before its announced length (or was not valid chunked "
                  "encoding), or the client was silent for " +
                      std::to_string(config.read_timeout_seconds) + " s");
    } else {
      dispatch(req, res, &body);
    }
  };
  http.Post(".*", with_body);
  http.Put(".*", with_body);
  http.Patch(".*", with_body);
  http.Delete(".*", with_body);
  http.set_expect_100_continue_handler([this](const Request& req, Response& res) {
    const Match m = router.match(req.method, req.path);
    const int64_t limit =
        m.route && m.route->body == Body::upload ? config.max_body_bytes : config.max_json_bytes;
    if (static_cast<int64_t>(content_length(req)) > limit) {
      write_error(
          res, 413, "payload_too_large",
          "the body is larger than this endpoint's limit of " + std::to_string(limit) + " bytes");
      return 413;
    }
    return 100;
  });
  // What cpp-httplib answers itself (a request line it cannot parse, a URI over its limit, a
  // body over the payload limit) gets the same JSON error shape.
  http.set_error_handler(httplib::Server::HandlerWithResponse([](const Request&, Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    switch (res.status) {
      case 413:
        write_error(res, 413, "payload_too_large", "the body is larger than the server accepts");
        break;
      case 414:
        write_error(res, 414, "uri_too_long", "the request line is too long");
        break;
      case 404:
        write_error(res, 404, "route_not_found", "no such endpoint");
        break;
      case 500:
        write_error(res, 500, "internal_error", "internal error");
        break;
      default:
        write_error(res, res.status >= 400 && res.status < 500 ? res.status : 400, "bad_request",
                    "the request could not be read as HTTP/1.1");
    }
    return httplib::Server::HandlerResponse::Handled;
  }));
  http.set_exception_handler([](const Request&, Response& res, std::exception_ptr) {
    write_error(res, 500, "internal_error", "internal error");
  });
}

void Server::Impl::check_headers(const Request& req) const {
  // cpp-httplib adds REMOTE_ADDR, REMOTE_PORT, LOCAL_ADDR and LOCAL_PORT itself: not counted.
  int64_t bytes = 0;
  std::size_t count = 0;
  for (const auto& [k, v] : req.headers) {
    if (k == "REMOTE_ADDR" || k == "REMOTE_PORT" || k == "LOCAL_ADDR" || k == "LOCAL_PORT")
      continue;
    bytes += static_cast<int64_t>(k.size() + v.size() + 4);
    ++count;
  }
  if (bytes > config.max_header_bytes || count > 100)
    throw ApiError(431, "headers_too_large",
                   "the request headers (" + std::to_string(count) + ", " + std::to_string(bytes) +
                       " bytes) exceed the limit of 100 headers and " +
                       std::to_string(config.max_header_bytes) + " bytes");
}

void Server::Impl::check_query(const Request& req, const Route& route) const {
  for (const auto& [k, v] : req.params) {
    if (std::find(route.query.begin(), route.query.end(), k) != route.query.end()) continue;
    std::string known;
    for (const auto& q : route.query) known += (known.empty() ? "" : ", ") + q;
    throw ApiError(400, "unknown_parameter",
                   "unknown query parameter '" + k + "' for " + route.method + " " + route.path +
                       (known.empty() ? " (it takes none)" : " (known: " + known + ")"));
  }
}

void Server::Impl::authenticate(Call& c, auth::Scopes needed) {
  std::string_view key;
  const auto& headers = c.req.headers;
  if (auto it = headers.find("Authorization"); it != headers.end()) {
    const std::string_view v = trim(it->second);
    if (iequals(v, "Bearer")) {  // "Bearer " with nothing after it: no key
      key = {};
    } else if (v.size() < 7 || !iequals(v.substr(0, 7), "Bearer "))
      throw ApiError(401, "malformed_key",
                     "the Authorization header must be 'Bearer <API key>' (the key is gms_ "
                     "followed by 43 URL-safe characters)");
    else
      key = trim(v.substr(7));
  } else if (auto k = headers.find("X-API-Key"); k != headers.end()) {
    key = trim(k->second);
  }
  const auth::Verdict v = verifier.verify(key);
  switch (v.outcome) {
    case auth::Outcome::ok:
      break;
    case auth::Outcome::missing:
      throw ApiError(401, "missing_key",
                     "this endpoint needs an API key: send 'Authorization: Bearer <key>'");
    case auth::Outcome::malformed:
      throw ApiError(401, "malformed_key",
                     "the API key is malformed: expected gms_ followed by 43 URL-safe characters");
    case auth::Outcome::invalid:
      throw ApiError(401, "invalid_key", "the API key is not valid");
    case auth::Outcome::revoked:
      throw ApiError(401, "key_revoked", "the API key was revoked");
    case auth::Outcome::expired:
      throw ApiError(401, "key_expired", "the API key has expired");
  }
  if (!auth::allows(v.principal.scopes, needed))
    throw ApiError(403, "insufficient_scope",
                   "this endpoint needs the '" + auth::scopes_to_string(needed) +
                       "' scope; the key has '" + auth::scopes_to_string(v.principal.scopes) + "'");
  if (const int wait = limiter.acquire(v.principal.key_id))
    throw ApiError(429, "rate_limited",
                   "too many requests with this API key (" +
                       std::to_string(config.rate_limit_per_second) + "/s); retry in " +
                       std::to_string(wait) + " s",
                   wait);
  c.principal = v.principal;
}

void Server::Impl::dispatch(const Request& req, Response& res, const std::string* body) {
  try {
    check_headers(req);
    const Match m = router.match(req.method, req.path);
    if (!m.route) {
      if (m.allow.empty()) throw ApiError(404, "route_not_found", "no endpoint " + req.path);
      res.set_header("Allow", m.allow);
      throw ApiError(405, "method_not_allowed",
                     req.method + " is not allowed on " + req.path + " (allowed: " + m.allow + ")");
    }
    const Route& route = *m.route;
    Call call{req, res, body, m.params, {}};
    if (route.scope) authenticate(call, route.scope);  // first: tell strangers nothing more
    if (body && route.body == Body::none)
      throw ApiError(400, "unexpected_body", route.method + " " + route.path + " takes no body");
    check_query(req, route);
    route.handler(call);
  } catch (const ApiError& e) {
    write_error(res, e.status(), e.code(), e.what(), e.retry_after_seconds());
  } catch (const tasks::RegistryFullError& e) {
    write_error(res, 429, "registry_full", e.what(), e.retry_after_seconds());
  } catch (const InputError& e) {  // ConfigError too: the path of the bad key is in the message
    write_error(res, 400, "invalid_request", e.what());
  } catch (const NotFoundError& e) {
    write_error(res, 404, "not_found", e.what());
  } catch (const CorruptDataError& e) {
    spdlog::error("{} {}: {}", req.method, req.path, e.what());
    write_error(res, 500, "corrupt_data", e.what());
  } catch (const StorageError& e) {
    spdlog::error("{} {}: {}", req.method, req.path, e.what());
    write_error(res, 503, "storage_error", "the database is unavailable; try again", 1);
  } catch (const std::exception& e) {
    spdlog::error("{} {}: {}", req.method, req.path, e.what());
    write_error(res, 500, "internal_error", "internal error (logged by the server)");
  }
}

// ---- Server -------------------------------------------------------------------------------------

Server::Server(ServerConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Server::~Server() {
  shutdown();
}

int Server::bind() {
  auto& i = *impl_;
  int port = i.config.port;
  if (port == 0) {
    port = i.http.bind_to_any_port(i.config.host);
    if (port < 0) port = -1;
  } else if (!i.http.bind_to_port(i.config.host, port)) {
    port = -1;
  }
  if (port < 0)
    throw Error("cannot listen on " + i.config.host + ":" + std::to_string(i.config.port) +
                " (the port is in use, or the host is not an address of this machine)");
  i.bound_port = port;
  return port;
}

void Server::serve() {
  auto& i = *impl_;
  if (i.bound_port < 0) throw Error("Server::serve: bind() first");
  bool skip = false;
  {
    std::lock_guard lock(i.lifecycle_mutex);
    skip = i.stop_requested;
  }
  if (!skip) i.http.listen_after_bind();
  // Stopped: the accept loop and every connection are done. Drain the tasks.
  const auto running = i.executor.running();
  if (running > 0)
    spdlog::info("shutting down: {} running task(s) get {} s to finish, then stop at a checkpoint",
                 running, i.config.shutdown_grace_seconds);
  i.executor.shutdown(std::chrono::seconds(i.config.shutdown_grace_seconds));
  try {
    i.verifier.sync();
  } catch (const std::exception& e) {
    spdlog::error("API key usage could not be written: {}", e.what());
  }
  std::lock_guard lock(i.lifecycle_mutex);
  i.drained = true;
}

void Server::shutdown() {
  auto& i = *impl_;
  bool stop_now = false;
  {
    std::lock_guard lock(i.lifecycle_mutex);
    if (i.stop_requested) return;
    i.stop_requested = true;
    stop_now = i.listening;
  }
  if (stop_now) i.http.stop();
}

int Server::port() const {
  return impl_->bound_port;
}

int64_t Server::interrupted_at_start() const {
  return impl_->registry.interrupted_at_open();
}

std::vector<RouteInfo> Server::routes() const {
  std::vector<RouteInfo> out;
  for (const auto& r : impl_->router.routes())
    out.push_back({r.method, r.path, r.scope, r.query, r.body != Body::none});
  return out;
}

}  // namespace swingpipe::server
