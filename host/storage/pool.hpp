#pragma once
// Private to host/storage: a bounded pool of SQLite connections to one database file. A connection
// is leased for one operation (RAII); at most `max` are open; a thread past the bound waits on a
// condition variable until one is returned or the deadline passes (StorageError naming the pool
// size). close_all() closes every idle connection at once and marks the leased ones, which close
// when they come back; later leases reopen lazily.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <vector>

#include "storage/sqlite.hpp"

namespace swingpipe::storage {

class Pool;

/// One connection, for one operation; returned to the pool on destruction.
class Lease {
 public:
  Lease(Pool& pool, Connection* conn, uint64_t generation)
      : pool_(&pool), conn_(conn), generation_(generation) {}
  ~Lease();
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  const Connection& operator*() const { return *conn_; }
  const Connection* operator->() const { return conn_; }

 private:
  Pool* pool_;
  Connection* conn_;
  uint64_t generation_;
};

class Pool {
 public:
  struct Settings {
    std::filesystem::path path;
    int max_connections = 16;
    int busy_timeout_ms = 10000;  ///< SQLite's busy handler and the pool's wait deadline
    bool read_only = false;
    /// FULL: a returned commit survives power loss. NORMAL (WAL): it survives a killed process,
    /// and the last commits may be lost on power loss; for state that is cheap to lose.
    bool synchronous_full = true;
  };

  explicit Pool(Settings settings);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  Lease lease();
  void close_all();
  int open_connections() const;
  const Settings& settings() const { return settings_; }

 private:
  friend class Lease;
  Connection* open_one();
  void give_back(Connection* conn, uint64_t generation);
  static void close_one(Connection* conn);

  Settings settings_;
  std::string path_text_;
  mutable std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<Connection*> idle_;
  int open_ = 0;
  uint64_t generation_ = 0;  ///< bumped by close_all(): older leases close on return
};

}  // namespace swingpipe::storage
