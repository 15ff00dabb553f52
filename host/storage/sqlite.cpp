#include "storage/sqlite.hpp"

#include <algorithm>

#include "swingpipe/error.hpp"

namespace swingpipe::storage {

void fail(const Connection& c, int rc, std::string_view purpose) {
  std::string msg = c.path + ": " + std::string(purpose) + ": ";
  msg += c.db ? sqlite3_errmsg(c.db) : sqlite3_errstr(rc);
  msg += " (sqlite code " + std::to_string(rc) + ")";
  throw StorageError(msg);
}

void exec(const Connection& c, const char* sql, std::string_view purpose) {
  char* err = nullptr;
  const int rc = sqlite3_exec(c.db, sql, nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return;
  std::string msg = c.path + ": " + std::string(purpose) + ": " + (err ? err : sqlite3_errstr(rc)) +
                    " (sqlite code " + std::to_string(rc) + ")";
  sqlite3_free(err);
  throw StorageError(msg);
}

void Connection::finalize_cached() const {
  for (auto& [sql, stmt] : cached) sqlite3_finalize(stmt);
  cached.clear();
}

Stmt::Stmt(const Connection& c, std::string_view sql, std::string_view purpose)
    : c_(c), sql_(sql), purpose_(purpose) {
  if (auto it = c_.cached.find(sql_); it != c_.cached.end()) {
    s_ = it->second;  // in use now: a nested Stmt with the same SQL prepares its own
    c_.cached.erase(it);
    return;
  }
  check(c_,
        sqlite3_prepare_v3(c_.db, sql.data(), static_cast<int>(sql.size()),
                           SQLITE_PREPARE_PERSISTENT, &s_, nullptr),
        "preparing " + purpose_);
}

Stmt::~Stmt() {
  if (!s_) return;
  // Reset (ending any read it holds) and unbind (no pointer to freed bytes stays) before reuse.
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
  if (bytes_ <= Connection::kMaxCachedBytes && c_.cached.size() < Connection::kMaxCached &&
      !c_.cached.contains(sql_))
    c_.cached.emplace(std::move(sql_), s_);
  else
    sqlite3_finalize(s_);
}

Stmt& Stmt::bind(int i, int64_t v) {
  check(c_, sqlite3_bind_int64(s_, i, v), "binding " + purpose_);
  return *this;
}

Stmt& Stmt::bind(int i, double v) {
  check(c_, sqlite3_bind_double(s_, i, v), "binding " + purpose_);
  return *this;
}

Stmt& Stmt::bind(int i, std::string_view v) {
  bytes_ = std::max(bytes_, v.size());
  check(c_, sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
        "binding " + purpose_);
  return *this;
}

Stmt& Stmt::bind_null(int i) {
  check(c_, sqlite3_bind_null(s_, i), "binding " + purpose_);
  return *this;
}

Stmt& Stmt::bind_blob(int i, const void* data, std::size_t size) {
  static const char empty = 0;  // a null pointer would bind NULL, not an empty blob
  bytes_ = std::max(bytes_, size);
  check(c_, sqlite3_bind_blob64(s_, i, size ? data : &empty, size, SQLITE_STATIC),
        "binding " + purpose_);
  return *this;
}

bool Stmt::step(int* constraint) {
  const int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  if (constraint && (rc & 0xff) == SQLITE_CONSTRAINT) {
    *constraint = rc;
    return false;
  }
  fail(c_, rc, purpose_);
}

void Stmt::reset() {
  // sqlite3_reset repeats the code of the last step, which step() has already judged.
  sqlite3_reset(s_);
  check(c_, sqlite3_clear_bindings(s_), "clearing " + purpose_);
}

std::string Stmt::text(int col) const {
  const auto* p = sqlite3_column_text(s_, col);
  if (!p) return {};
  const auto n = static_cast<std::size_t>(sqlite3_column_bytes(s_, col));
  bytes_ = std::max(bytes_, n);
  return std::string(reinterpret_cast<const char*>(p), n);
}

std::string_view Stmt::blob(int col) const {
  const void* p = sqlite3_column_blob(s_, col);
  const int n = sqlite3_column_bytes(s_, col);
  if (!p || n <= 0) return {};
  bytes_ = std::max(bytes_, static_cast<std::size_t>(n));
  return {static_cast<const char*>(p), static_cast<std::size_t>(n)};
}

// BEGIN, COMMIT and ROLLBACK are cached statements like any other (sqlite3_exec would prepare
// them on every transaction).
Transaction::Transaction(const Connection& c, std::string_view purpose) : c_(c), purpose_(purpose) {
  Stmt(c_, "BEGIN IMMEDIATE", "beginning " + purpose_).run();
}

Transaction::~Transaction() {
  if (done_) return;
  try {
    Stmt(c_, "ROLLBACK", "rolling back " + purpose_).run();
  } catch (...) {  // nothing to roll back (SQLite ended it already), or the database is gone
  }
}

void Transaction::commit() {
  Stmt(c_, "COMMIT", "committing " + purpose_).run();
  done_ = true;
}

}  // namespace swingpipe::storage
