#pragma once
// Helpers for the HTTP tests: a server in this process on a free loopback port, a `swingpipe
// serve` child process, raw sockets for misbehaving clients, library snapshots.
#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "server.hpp"
#include "swingpipe/host/auth.hpp"
#include "swingpipe/host/demo_swing.hpp"
#include "swingpipe/host/library.hpp"
#include "test_support.hpp"

extern char** environ;

namespace swingpipe::test {

using Clock = std::chrono::steady_clock;

/// A config for tests: loopback, any free port, files in `dir`, fast bcrypt, CPU backend.
inline server::ServerConfig test_config(const std::filesystem::path& dir) {
  server::ServerConfig c;
  c.host = "127.0.0.1";
  c.port = 0;
  c.library = (dir / "library.db").string();
  c.keys_database = (dir / "keys.db").string();
  c.tasks_database = (dir / "tasks.db").string();
  c.output_dir = (dir / "out").string();
  c.http_threads = 8;
  c.bcrypt_cost = 4;
  c.rate_limit_per_second = 0;  // unlimited unless a test sets it
  c.read_timeout_seconds = 2;
  c.keep_alive_seconds = 1;
  c.run_backend = "cpu";
  c.run_batch_size = 2;
  c.run_threads = 1;
  c.shutdown_grace_seconds = 5;
  return c;
}

/// Adds `count` deterministic demo swings to the library file.
inline void seed_library(const std::string& path, int count) {
  RecordingLibrary lib(path);
  demo::SwingOptions o;
  o.count = count;
  lib.add_all(demo::generate_swings(o));
}

/// A key in the keys database (cost 4).
inline auth::KeyStore::Created make_key(const std::string& keys_db, auth::Scopes scopes,
                                        std::optional<int64_t> expires = std::nullopt,
                                        const std::string& name = "test") {
  auth::KeyStore store(keys_db);
  return store.create(name, scopes, expires, "tester@example.org", 4);
}

/// A server in this process: constructed, bound to a free port and serving on a thread.
class InProcessServer {
 public:
  explicit InProcessServer(server::ServerConfig config) : config_(std::move(config)) {
    srv_ = std::make_unique<server::Server>(config_);
    port_ = srv_->bind();
    thread_ = std::thread([this] { srv_->serve(); });
  }
  ~InProcessServer() { stop(); }
  void stop() {
    if (!srv_) return;
    srv_->shutdown();
    thread_.join();
    srv_.reset();
  }
  int port() const { return port_; }
  server::Server& server() { return *srv_; }
  const server::ServerConfig& config() const { return config_; }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    c.set_connection_timeout(10, 0);
    return c;
  }

 private:
  server::ServerConfig config_;
  std::unique_ptr<server::Server> srv_;
  int port_ = 0;
  std::thread thread_;
};

inline httplib::Headers bearer(const std::string& key) {
  return {{"Authorization", "Bearer " + key}};
}

inline nlohmann::json json_of(const httplib::Result& r) {
  if (!r) return nlohmann::json();
  try {
    return nlohmann::json::parse(r->body);
  } catch (const std::exception&) {
    return nlohmann::json();
  }
}

/// The error code of an error response ("" when it is none).
inline std::string error_code(const httplib::Result& r) {
  const auto j = json_of(r);
  if (!j.is_object() || !j.contains("error")) return "";
  return j["error"].value("code", "");
}

/// Everything that identifies the library's content: ids, checksums, row counts, integrity.
inline std::string library_snapshot(const std::string& path) {
  RecordingLibrary lib(path);
  std::string out = "count=" + std::to_string(lib.count()) + ";";
  for (const auto& m : lib.search({})) out += std::to_string(m.id) + ":" + m.checksum + ";";
  out += "integrity=" + lib.integrity_check();
  return out;
}

/// A raw TCP connection to the server, for clients that misbehave on purpose.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("connect failed");
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  void send(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return;  // the server may have closed the connection already
      done += static_cast<std::size_t>(n);
    }
  }
  /// Everything the server sends until it closes the connection, a response is complete
  /// (headers + Content-Length body), or the deadline passes.
  std::string receive(Clock::time_point deadline) {
    std::string out;
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return out;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) return out;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return out;  // closed
      out.append(buf, static_cast<std::size_t>(n));
      if (complete(out)) return out;
    }
  }

 private:
  static bool complete(const std::string& r) {
    const auto end = r.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    const auto cl = r.find("Content-Length: ");
    if (cl == std::string::npos || cl > end) return true;
    const auto len = std::stoul(r.substr(cl + 16));
    return r.size() >= end + 4 + len;
  }
  int fd_ = -1;
};

/// `swingpipe --json serve --config FILE` as a child process; the port comes from its first
/// line of output.
class ChildServer {
 public:
  ChildServer(const server::ServerConfig& config, const std::filesystem::path& dir,
              const std::vector<std::string>& extra_env = {}) {
    const auto cfg = dir / "server.json";
    std::ofstream(cfg) << server::to_json(config).dump(2);
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe");
    log_ = dir / ("server-" + std::to_string(++starts_) + ".log");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    posix_spawn_file_actions_addopen(&fa, 2, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<std::string> args{SWINGPIPE_CLI, "--json", "serve", "--config", cfg.string()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_strings(extra_env);
    for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    const int rc = posix_spawn(&pid_, SWINGPIPE_CLI, &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    ::close(out[1]);
    if (rc != 0) throw std::runtime_error("posix_spawn failed");
    // The first line on stdout: {"url": ..., "port": N, ...}.
    std::string line;
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (line.find('\n') == std::string::npos) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      pollfd p{out[0], POLLIN, 0};
      if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) break;
      char buf[256];
      const ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<std::size_t>(n));
    }
    ::close(out[0]);
    try {
      const auto j = nlohmann::json::parse(line.substr(0, line.find('\n')));
      port_ = j.at("port").get<int>();
      interrupted_ = j.at("interrupted_tasks").get<int64_t>();
    } catch (const std::exception&) {
      ::kill(pid_, SIGKILL);
      wait_exit(std::chrono::seconds(30));
      throw std::runtime_error("the server did not start: '" + line + "'; log: " + log());
    }
  }
  ~ChildServer() {
    if (!exited_) {
      ::kill(pid_, SIGKILL);
      wait_exit(std::chrono::seconds(30));
    }
  }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  int64_t interrupted_at_start() const { return interrupted_; }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    return c;
  }
  /// Waits for the child to end (blocking waitpid on a helper thread, bounded by `limit`).
  /// Returns the raw wait status, or -1 on timeout.
  int wait_exit(std::chrono::seconds limit) {
    auto f = std::async(std::launch::async, [pid = pid_] {
      int status = 0;
      ::waitpid(pid, &status, 0);
      return status;
    });
    if (f.wait_for(limit) != std::future_status::ready) {
      ::kill(pid_, SIGKILL);
      f.wait();
      exited_ = true;
      return -1;
    }
    exited_ = true;
    return f.get();
  }
  std::string log() const {
    std::ifstream in(log_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int64_t interrupted_ = 0;
  bool exited_ = false;
  std::filesystem::path log_;
  static inline int starts_ = 0;
};

/// Holds SQLite's write lock on a database until released: a run that needs to write waits.
class WriteLock {
 public:
  explicit WriteLock(const std::string& path) {
    sqlite3_open(path.c_str(), &db_);
    sqlite3_busy_timeout(db_, 10000);
    if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK)
      throw std::runtime_error("could not take the write lock on " + path);
  }
  ~WriteLock() { release(); }
  void release() {
    if (!db_) return;
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db_);
    db_ = nullptr;
  }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace swingpipe::test
