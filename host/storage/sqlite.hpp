#pragma once
// Private to host/storage: thin RAII over the SQLite 3 C API. Every return code is checked; a
// failure throws StorageError naming the database path, the statement's purpose and
// sqlite3_errmsg.
#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace swingpipe::storage {

/// One open connection plus the path it names in errors. A connection is used by one thread at a
/// time (a pool lease), so its statement cache needs no lock.
struct Connection {
  sqlite3* db = nullptr;
  std::string path;
  /// Idle prepared statements by SQL text, reused by Stmt (preparing costs more than most
  /// statements take to run); at most kMaxCached, finalized by finalize_cached() before closing.
  mutable std::unordered_map<std::string, sqlite3_stmt*> cached;
  static constexpr std::size_t kMaxCached = 64;
  /// A statement that bound or read more bytes than this is finalized, not cached: SQLite keeps
  /// a statement's register buffers at their largest size, and a cached statement that once held
  /// a large recording would keep that memory (and fragment the heap) for the connection's life.
  static constexpr std::size_t kMaxCachedBytes = 64 * 1024;
  void finalize_cached() const;
};

/// Throws StorageError "<path>: <purpose>: <errmsg> (code)" unless rc is one of the ok codes.
[[noreturn]] void fail(const Connection& c, int rc, std::string_view purpose);
inline void check(const Connection& c, int rc, std::string_view purpose) {
  if (rc != SQLITE_OK) fail(c, rc, purpose);
}

/// Runs SQL with no parameters and no rows (schema, pragmas, BEGIN/COMMIT).
void exec(const Connection& c, const char* sql, std::string_view purpose);

/// A prepared statement: taken from the connection's cache (or prepared) on construction, reset,
/// cleared of bindings and put back on destruction. The same SQL used twice at once on one
/// connection (nested) gets a statement of its own, finalized after use.
class Stmt {
 public:
  Stmt(const Connection& c, std::string_view sql, std::string_view purpose);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, int64_t v);
  Stmt& bind(int i, int v) { return bind(i, static_cast<int64_t>(v)); }
  Stmt& bind(int i, double v);
  Stmt& bind(int i, std::string_view v);
  Stmt& bind_null(int i);
  /// Binds bytes without copying: they must outlive the next step().
  Stmt& bind_blob(int i, const void* data, std::size_t size);

  /// true: a row is ready; false: done. Throws on any other code, except that a constraint
  /// violation returns its extended code through `constraint` when given.
  bool step(int* constraint = nullptr);
  /// Steps once more and expects SQLITE_DONE.
  void run(int* constraint = nullptr) { step(constraint); }
  void reset();

  bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  int64_t int64(int col) const { return sqlite3_column_int64(s_, col); }
  double real(int col) const { return sqlite3_column_double(s_, col); }
  std::string text(int col) const;  ///< "" for NULL
  std::string_view blob(int col) const;
  sqlite3_stmt* raw() { return s_; }

 private:
  const Connection& c_;
  sqlite3_stmt* s_ = nullptr;
  std::string sql_;
  std::string purpose_;
  mutable std::size_t bytes_ = 0;  ///< the largest value bound or read (see kMaxCachedBytes)
};

/// BEGIN IMMEDIATE (the write lock is taken up front, so no read-to-write upgrade can deadlock);
/// rolled back on destruction unless commit() ran.
class Transaction {
 public:
  Transaction(const Connection& c, std::string_view purpose);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  const Connection& c_;
  std::string purpose_;
  bool done_ = false;
};

}  // namespace swingpipe::storage
