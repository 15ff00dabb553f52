#include "storage/sqlite.hpp"

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

Stmt::Stmt(const Connection& c, std::string_view sql, std::string_view purpose)
    : c_(c), purpose_(purpose) {
  check(c_, sqlite3_prepare_v2(c_.db, sql.data(), static_cast<int>(sql.size()), &s_, nullptr),
        "preparing " + purpose_);
}

Stmt::~Stmt() {
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
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<std::size_t>(sqlite3_column_bytes(s_, col)));
}

std::string_view Stmt::blob(int col) const {
  const void* p = sqlite3_column_blob(s_, col);
  const int n = sqlite3_column_bytes(s_, col);
  if (!p || n <= 0) return {};
  return {static_cast<const char*>(p), static_cast<std::size_t>(n)};
}

Transaction::Transaction(const Connection& c, std::string_view purpose) : c_(c), purpose_(purpose) {
  exec(c_, "BEGIN IMMEDIATE", "beginning " + purpose_);
}

Transaction::~Transaction() {
  if (!done_) sqlite3_exec(c_.db, "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  exec(c_, "COMMIT", "committing " + purpose_);
  done_ = true;
}

}  // namespace swingpipe::storage
