#include "storage/pool.hpp"

#include <memory>

#include "swingpipe/error.hpp"

namespace swingpipe::storage {

Lease::~Lease() {
  pool_->give_back(conn_, generation_);
}

Pool::Pool(Settings settings)
    : settings_(std::move(settings)), path_text_(settings_.path.string()) {
  if (settings_.max_connections < 1)
    throw InputError(path_text_ + ": max_connections must be >= 1, got " +
                     std::to_string(settings_.max_connections));
  if (settings_.busy_timeout_ms < 0)
    throw InputError(path_text_ + ": busy_timeout_ms must be >= 0, got " +
                     std::to_string(settings_.busy_timeout_ms));
}

Pool::~Pool() {
  std::lock_guard lock(mutex_);
  for (auto* c : idle_) close_one(c);
  idle_.clear();
}

Lease Pool::lease() {
  std::unique_lock lock(mutex_);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(settings_.busy_timeout_ms);
  const bool ready = returned_.wait_until(
      lock, deadline, [&] { return !idle_.empty() || open_ < settings_.max_connections; });
  if (!ready)
    throw StorageError(
        path_text_ + ": no free connection: all " + std::to_string(settings_.max_connections) +
        " of the pool are in use after " + std::to_string(settings_.busy_timeout_ms) + " ms");
  if (!idle_.empty()) {
    Connection* c = idle_.back();
    idle_.pop_back();
    return Lease(*this, c, generation_);
  }
  ++open_;  // reserve the slot, then open outside the lock
  const uint64_t generation = generation_;
  lock.unlock();
  try {
    return Lease(*this, open_one(), generation);
  } catch (...) {
    lock.lock();
    --open_;
    returned_.notify_one();
    throw;
  }
}

Connection* Pool::open_one() {
  auto conn = std::make_unique<Connection>();
  conn->path = path_text_;
  const int flags =
      (settings_.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;  // a connection serves one lease (one thread) at a time
  const int rc = sqlite3_open_v2(path_text_.c_str(), &conn->db, flags, nullptr);
  try {
    if (rc != SQLITE_OK) fail(*conn, rc, "opening the database");
    check(*conn, sqlite3_extended_result_codes(conn->db, 1), "enabling extended result codes");
    check(*conn, sqlite3_busy_timeout(conn->db, settings_.busy_timeout_ms), "setting busy_timeout");
    if (!settings_.read_only) exec(*conn, "PRAGMA journal_mode=WAL", "setting journal_mode=WAL");
    // FULL: a commit that returned is on disk, even across power loss (NORMAL in WAL mode is
    // consistent but may drop the last commits on power loss). Writes are batched per
    // transaction, so the extra fsync per commit is cheap next to the blobs.
    if (settings_.synchronous_full)
      exec(*conn, "PRAGMA synchronous=FULL", "setting synchronous=FULL");
    else
      exec(*conn, "PRAGMA synchronous=NORMAL", "setting synchronous=NORMAL");
    exec(*conn, "PRAGMA foreign_keys=ON", "enabling foreign keys");
  } catch (...) {
    close_one(conn.get());
    throw;
  }
  return conn.release();
}

void Pool::give_back(Connection* conn, uint64_t generation) {
  std::lock_guard lock(mutex_);
  if (generation != generation_) {  // close_all() ran while it was leased
    close_one(conn);
    --open_;
  } else {
    idle_.push_back(conn);
  }
  returned_.notify_one();
}

void Pool::close_all() {
  std::lock_guard lock(mutex_);
  ++generation_;
  for (auto* c : idle_) close_one(c);
  open_ -= static_cast<int>(idle_.size());
  idle_.clear();
  returned_.notify_all();
}

int Pool::open_connections() const {
  std::lock_guard lock(mutex_);
  return open_;
}

void Pool::close_one(Connection* conn) {
  conn->finalize_cached();
  if (conn->db) sqlite3_close_v2(conn->db);
  delete conn;
}

}  // namespace swingpipe::storage
