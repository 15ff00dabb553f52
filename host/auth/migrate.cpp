// `keys migrate`: new keys for a Python-suite database in two statements (one read of every key
// with its user, one transaction of updates), the secrets written once to a 0600 file first.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <mutex>
#include <set>
#include <thread>

#include "auth/key_store_impl.hpp"

namespace swingpipe::auth {

using storage::Stmt;
using storage::Transaction;

namespace {

/// Counts the distinct SQL statements run on a connection (transaction control excluded), from
/// SQLite's own trace: the evidence for "two queries in total".
class StatementCounter {
 public:
  explicit StatementCounter(sqlite3* db) : db_(db) {
    sqlite3_trace_v2(db_, SQLITE_TRACE_STMT, &StatementCounter::on_statement, this);
  }
  ~StatementCounter() { sqlite3_trace_v2(db_, 0, nullptr, nullptr); }
  StatementCounter(const StatementCounter&) = delete;
  StatementCounter& operator=(const StatementCounter&) = delete;
  int distinct() const { return static_cast<int>(texts_.size()); }

 private:
  static int on_statement(unsigned, void* self, void* stmt, void*) {
    const char* sql = sqlite3_sql(static_cast<sqlite3_stmt*>(stmt));
    const std::string text = sql ? sql : "";
    if (text.rfind("BEGIN", 0) != 0 && text.rfind("COMMIT", 0) != 0 &&
        text.rfind("ROLLBACK", 0) != 0)
      static_cast<StatementCounter*>(self)->texts_.insert(text);
    return 0;
  }
  sqlite3* db_;
  std::set<std::string> texts_;
};

struct Row {
  int64_t id = 0;
  std::string name, email, role, key_hash;
  bool active = false;
};

struct Reissued {
  int64_t id = 0;
  std::string secret, hash, prefix_hash;
  Scopes scopes = kDefaultScopes;
};

/// bcrypt is slow (cost 12: ~0.25 s a key): hash on every core.
void hash_all(std::vector<Reissued>& keys, int cost) {
  const unsigned threads = std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(),
                                                           static_cast<unsigned>(keys.size())));
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (std::size_t i = next++; i < keys.size(); i = next++) {
        try {
          keys[i].hash = bcrypt_hash(keys[i].secret, cost);
        } catch (...) {
          std::lock_guard lock(failure_mutex);
          if (!failure) failure = std::current_exception();
        }
      }
    });
  for (auto& th : pool) th.join();
  if (failure) std::rethrow_exception(failure);
}

/// Creates the file (it must not exist) with mode 0600 and writes every secret, fsynced.
void write_secrets(const std::filesystem::path& file, const std::vector<MigrationRow>& rows,
                   const std::vector<Reissued>& keys) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    throw StorageError(file.string() + ": cannot create the secrets file: " + std::strerror(errno) +
                       (errno == EEXIST ? " (it is written once; move the old one away)" : ""));
  std::string text =
      "# swingpipe keys migrate, " + format_utc(now_unix()) +
      " UTC: the new API keys, shown once. Give each to its owner, then delete this file.\n"
      "# key_id\tuser\tname\tsecret\n";
  for (std::size_t i = 0; i < rows.size(); ++i)
    text += std::to_string(rows[i].id) + "\t" + rows[i].user_email + "\t" + rows[i].name + "\t" +
            keys[i].secret + "\n";
  bool ok = ::fchmod(fd, 0600) == 0;  // whatever the umask
  std::size_t done = 0;
  while (ok && done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) {
    std::filesystem::remove(file);
    throw StorageError(file.string() + ": writing the secrets file failed: " + std::strerror(err));
  }
}

}  // namespace

MigrationReport KeyStore::migrate(const MigrationOptions& options) {
  if (!options.dry_run && options.secrets_file.empty())
    throw InputError("keys migrate: name the file for the new secrets (--output)");
  if (!options.dry_run && std::filesystem::exists(options.secrets_file))
    throw InputError(options.secrets_file.string() +
                     ": exists; the secrets file is written once (move the old one away)");
  if (options.cost < 4 || options.cost > 31)
    throw InputError("bcrypt cost must be 4..31, got " + std::to_string(options.cost));
  MigrationReport report;
  report.dry_run = options.dry_run;
  auto c = impl_->pool.lease();
  StatementCounter counter(c->db);

  // Statement 1: every key with its user, at once (no query per key).
  std::vector<Row> rows;
  {
    Stmt s(*c,
           "SELECT k.id, k.name, coalesce(u.email, ''), coalesce(u.role, ''), k.key_hash, "
           "k.is_active FROM api_keys k LEFT JOIN users u ON u.id = k.user_id ORDER BY k.id",
           "reading every key with its user");
    while (s.step())
      rows.push_back({s.int64(0), s.text(1), s.text(2), s.text(3), s.text(4), s.int64(5) != 0});
  }

  std::vector<Reissued> keys;
  for (const auto& r : rows) {
    if (!r.active) {
      ++report.skipped_inactive;
      continue;
    }
    const bool bcrypt = is_bcrypt_hash(r.key_hash);
    if (bcrypt && !options.all) {
      ++report.kept_bcrypt;
      continue;
    }
    MigrationRow m;
    m.id = r.id;
    m.user_email = r.email;
    m.name = r.name;
    m.reason = bcrypt ? "reissued (--all)" : "not a bcrypt hash (SHA-256)";
    m.scopes = kDefaultScopes | (r.role == "admin" ? kAdmin : 0u);
    report.migrated.push_back(m);
    Reissued k;
    k.id = r.id;
    k.secret = generate_key();
    k.prefix_hash = prefix_hash(k.secret);
    k.scopes = m.scopes;
    keys.push_back(std::move(k));
  }
  if (options.dry_run || keys.empty()) {
    report.statements = counter.distinct();
    return report;
  }

  hash_all(keys, options.cost);
  // The secrets reach the disk before the hashes change: a failed write changes nothing, and a
  // failed transaction removes the file again.
  write_secrets(options.secrets_file, report.migrated, keys);
  try {
    // Statement 2: one transaction of updates.
    Transaction tx(*c, "migrating " + std::to_string(keys.size()) + " key(s)");
    Stmt s(*c,
           "UPDATE api_keys SET key_hash = ?2, prefix_hash = ?3, scopes = ?4, revoked_at = NULL "
           "WHERE id = ?1",
           "migrating keys");
    for (const auto& k : keys) {
      s.bind(1, k.id).bind(2, k.hash).bind(3, k.prefix_hash).bind(4, scopes_to_string(k.scopes));
      s.run();
      s.reset();
    }
    tx.commit();
  } catch (...) {
    std::filesystem::remove(options.secrets_file);
    throw;
  }
  report.statements = counter.distinct();
  return report;
}

}  // namespace swingpipe::auth
