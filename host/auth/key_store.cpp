// The keys database: the Python suite's users/api_keys tables plus swingpipe's columns.
#include <sqlite3.h>

#include <set>

#include "auth/key_store_impl.hpp"

namespace swingpipe::auth {

using storage::Connection;
using storage::Stmt;
using storage::Transaction;

namespace {

// The tables as SQLAlchemy creates them for the Python suite's models (api/auth/models.py), with
// defaults on the users columns a key-only database never fills.
constexpr const char* kPythonTables = R"sql(
CREATE TABLE IF NOT EXISTS users (
  id INTEGER NOT NULL PRIMARY KEY,
  email VARCHAR(255) NOT NULL UNIQUE,
  hashed_password VARCHAR(255) NOT NULL DEFAULT '',
  full_name VARCHAR(255),
  organization VARCHAR(255),
  role VARCHAR(50) NOT NULL DEFAULT 'free',
  is_active BOOLEAN NOT NULL DEFAULT 1,
  is_verified BOOLEAN NOT NULL DEFAULT 0,
  subscription_status VARCHAR(50) NOT NULL DEFAULT 'active',
  subscription_id VARCHAR(255),
  customer_id VARCHAR(255),
  api_calls_this_month INTEGER NOT NULL DEFAULT 0,
  video_analyses_this_month INTEGER NOT NULL DEFAULT 0,
  simulations_this_month INTEGER NOT NULL DEFAULT 0,
  created_at DATETIME DEFAULT (CURRENT_TIMESTAMP),
  updated_at DATETIME,
  last_login DATETIME
);
CREATE TABLE IF NOT EXISTS api_keys (
  id INTEGER NOT NULL PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key_hash VARCHAR(255) NOT NULL UNIQUE,
  name VARCHAR(255) NOT NULL,
  is_active BOOLEAN NOT NULL,
  last_used DATETIME,
  usage_count INTEGER NOT NULL CHECK (usage_count >= 0),
  created_at DATETIME DEFAULT (CURRENT_TIMESTAMP),
  expires_at DATETIME
);
CREATE INDEX IF NOT EXISTS ix_api_keys_user_id ON api_keys (user_id);
)sql";

/// What swingpipe adds to a Python-suite api_keys table (each only when missing).
struct AddedColumn {
  const char* name;
  const char* ddl;
};
constexpr AddedColumn kAddedColumns[] = {
    {"prefix_hash", "ALTER TABLE api_keys ADD COLUMN prefix_hash VARCHAR(64)"},
    {"scopes", "ALTER TABLE api_keys ADD COLUMN scopes TEXT NOT NULL DEFAULT 'read,run'"},
    {"revoked_at", "ALTER TABLE api_keys ADD COLUMN revoked_at INTEGER"},
};
constexpr const char* kAddedIndexes = R"sql(
CREATE INDEX IF NOT EXISTS ix_api_keys_prefix_hash ON api_keys (prefix_hash);
CREATE INDEX IF NOT EXISTS ix_api_keys_revoked_at ON api_keys (revoked_at)
  WHERE revoked_at IS NOT NULL;
)sql";

/// The Python suite's columns every statement here relies on.
constexpr const char* kRequiredColumns[] = {"id",          "user_id",    "key_hash",
                                            "name",        "is_active",  "last_used",
                                            "usage_count", "created_at", "expires_at"};

std::set<std::string> columns_of(const Connection& c, const char* table) {
  Stmt s(c, std::string("PRAGMA table_info(") + table + ")",
         std::string("reading the columns of ") + table);
  std::set<std::string> out;
  while (s.step()) out.insert(s.text(1));
  return out;
}

void check_python_columns(const Connection& c, const std::set<std::string>& have) {
  for (const char* col : kRequiredColumns)
    if (!have.count(col))
      throw StorageError(c.path + ": table api_keys has no column '" + col +
                         "' (not a swingpipe or Python-suite keys database)");
}

void ensure_schema(const Connection& c) {
  Transaction tx(c, "the keys schema");
  exec(c, kPythonTables, "creating the keys tables");
  const auto have = columns_of(c, "api_keys");
  check_python_columns(c, have);
  for (const auto& col : kAddedColumns)
    if (!have.count(col.name)) exec(c, col.ddl, std::string("adding api_keys.") + col.name);
  exec(c, kAddedIndexes, "indexing api_keys");
  tx.commit();
}

Scopes scopes_or_none(const std::string& text) {
  try {
    return parse_scopes(text);
  } catch (const InputError&) {
    return 0;  // an unreadable scopes cell grants nothing
  }
}

std::optional<int64_t> time_or_null(const Stmt& s, int col, bool* unreadable = nullptr) {
  if (s.is_null(col)) return std::nullopt;
  const std::string text = s.text(col);
  if (text.empty()) return std::nullopt;
  auto t = parse_utc(text);
  if (!t && unreadable) *unreadable = true;
  return t;
}

constexpr const char* kInfoColumns =
    "k.id, k.user_id, coalesce(u.email, ''), k.name, k.scopes, k.is_active, k.expires_at, "
    "k.last_used, k.usage_count, coalesce(k.created_at, ''), k.prefix_hash IS NULL, k.key_hash "
    "FROM api_keys k LEFT JOIN users u ON u.id = k.user_id";

KeyInfo read_info(const Stmt& s) {
  KeyInfo k;
  k.id = s.int64(0);
  k.user_id = s.int64(1);
  k.user_email = s.text(2);
  k.name = s.text(3);
  k.scopes = scopes_or_none(s.text(4));
  k.active = s.int64(5) != 0;
  k.expires_at = time_or_null(s, 6);
  k.last_used = time_or_null(s, 7);
  k.usage_count = s.int64(8);
  k.created_at = s.text(9);
  k.legacy = s.int64(10) != 0;
  k.bcrypt = is_bcrypt_hash(s.text(11));
  return k;
}

}  // namespace

KeyStore::Impl::Impl(std::filesystem::path p, KeyStore::Options o)
    : path(std::move(p)),
      options(o),
      pool({path, o.max_connections, o.busy_timeout_ms, o.read_only}) {
  if ((o.must_exist || o.read_only) && !std::filesystem::exists(path))
    throw NotFoundError("keys database '" + path.string() + "' does not exist");
  auto c = pool.lease();
  if (o.read_only) {
    check_python_columns(*c, columns_of(*c, "api_keys"));
    if (!columns_of(*c, "users").count("email"))
      throw StorageError(path.string() + ": no users table with an email column");
  } else {
    ensure_schema(*c);
  }
}

int64_t KeyStore::Impl::user_id_for(const Connection& c, const std::string& email) {
  {
    Stmt find(c, "SELECT id FROM users WHERE email = ?1", "finding user '" + email + "'");
    find.bind(1, email);
    if (find.step()) return find.int64(0);
  }
  Stmt insert(c, "INSERT INTO users(email) VALUES (?1)", "adding user '" + email + "'");
  insert.bind(1, email);
  int constraint = 0;
  insert.run(&constraint);
  if (constraint)
    throw NotFoundError(path.string() + ": user '" + email +
                        "' does not exist and cannot be added here (the table needs fields "
                        "swingpipe does not know; add the user with the Python suite)");
  return sqlite3_last_insert_rowid(c.db);
}

KeyStore::KeyStore(std::filesystem::path path) : KeyStore(std::move(path), Options{}) {}

KeyStore::KeyStore(std::filesystem::path path, Options options)
    : impl_(std::make_unique<Impl>(std::move(path), options)) {}

KeyStore::~KeyStore() = default;

const std::filesystem::path& KeyStore::path() const {
  return impl_->path;
}

KeyStore::Created KeyStore::create(const std::string& name, Scopes scopes,
                                   std::optional<int64_t> expires_at, const std::string& user_email,
                                   int cost) {
  if (name.empty()) throw InputError("a key needs a name");
  if (name.size() > 255) throw InputError("key name longer than 255 characters");
  if (user_email.empty()) throw InputError("a key needs a user (e-mail)");
  if (scopes == 0) throw InputError("a key needs at least one scope (read, run, admin)");
  Created out;
  out.secret = generate_key();
  const std::string hash = bcrypt_hash(out.secret, cost);  // slow: outside the transaction
  auto c = impl_->pool.lease();
  Transaction tx(*c, "creating key '" + name + "'");
  const int64_t user_id = impl_->user_id_for(*c, user_email);
  Stmt s(*c,
         "INSERT INTO api_keys(user_id, key_hash, name, is_active, usage_count, created_at, "
         "expires_at, prefix_hash, scopes) VALUES (?1, ?2, ?3, 1, 0, ?4, ?5, ?6, ?7)",
         "creating key '" + name + "'");
  s.bind(1, user_id).bind(2, hash).bind(3, name).bind(4, format_utc(now_unix()));
  if (expires_at)
    s.bind(5, format_utc(*expires_at));
  else
    s.bind_null(5);
  s.bind(6, prefix_hash(out.secret)).bind(7, scopes_to_string(scopes)).run();
  const int64_t id = sqlite3_last_insert_rowid(c->db);
  tx.commit();
  out.info = *find(id);
  return out;
}

std::vector<KeyInfo> KeyStore::list() const {
  auto c = impl_->pool.lease();
  Stmt s(*c, std::string("SELECT ") + kInfoColumns + " ORDER BY k.id", "listing keys");
  std::vector<KeyInfo> out;
  while (s.step()) out.push_back(read_info(s));
  return out;
}

std::optional<KeyInfo> KeyStore::find(int64_t id) const {
  auto c = impl_->pool.lease();
  Stmt s(*c, std::string("SELECT ") + kInfoColumns + " WHERE k.id = ?1",
         "reading key " + std::to_string(id));
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_info(s);
}

bool KeyStore::revoke(int64_t id) {
  auto c = impl_->pool.lease();
  Stmt s(*c, "UPDATE api_keys SET is_active = 0, revoked_at = ?2 WHERE id = ?1",
         "revoking key " + std::to_string(id));
  s.bind(1, id).bind(2, now_unix()).run();
  return sqlite3_changes(c->db) > 0;
}

std::vector<Candidate> KeyStore::candidates(const std::string& prefix_hash) const {
  // Indexed rows with this prefix first (any state, so that a revoked or expired key is told
  // apart from a wrong one), then the active legacy bcrypt rows. Both halves use the prefix_hash
  // index (SQLite indexes NULLs too).
  static constexpr const char* kSql = R"sql(
SELECT k.id, k.key_hash, k.name, k.scopes, k.is_active, coalesce(u.is_active, 0), k.expires_at,
       0 AS legacy
  FROM api_keys k LEFT JOIN users u ON u.id = k.user_id
 WHERE k.prefix_hash = ?1
UNION ALL
SELECT k.id, k.key_hash, k.name, k.scopes, k.is_active, coalesce(u.is_active, 0), k.expires_at,
       1 AS legacy
  FROM api_keys k LEFT JOIN users u ON u.id = k.user_id
 WHERE k.prefix_hash IS NULL AND k.is_active = 1 AND k.key_hash LIKE '$2%'
 ORDER BY legacy, 1
)sql";
  auto c = impl_->pool.lease();
  Stmt s(*c, kSql, "finding key candidates");
  s.bind(1, prefix_hash);
  std::vector<Candidate> out;
  while (s.step()) {
    Candidate k;
    k.id = s.int64(0);
    k.key_hash = s.text(1);
    k.name = s.text(2);
    k.scopes = scopes_or_none(s.text(3));
    k.active = s.int64(4) != 0;
    k.user_active = s.int64(5) != 0;
    k.expires_at = time_or_null(s, 6, &k.expiry_unreadable);
    k.legacy = s.int64(7) != 0;
    out.push_back(std::move(k));
  }
  return out;
}

void KeyStore::set_prefix_hash(int64_t id, const std::string& prefix_hash) {
  auto c = impl_->pool.lease();
  Stmt s(*c, "UPDATE api_keys SET prefix_hash = ?2 WHERE id = ?1 AND prefix_hash IS NULL",
         "indexing legacy key " + std::to_string(id));
  s.bind(1, id).bind(2, prefix_hash).run();
}

void KeyStore::record_usage(const std::vector<UsageDelta>& deltas) {
  if (deltas.empty()) return;
  auto c = impl_->pool.lease();
  Transaction tx(*c, "recording key usage");
  Stmt s(*c, "UPDATE api_keys SET usage_count = usage_count + ?2, last_used = ?3 WHERE id = ?1",
         "recording key usage");
  for (const auto& d : deltas) {
    s.bind(1, d.key_id).bind(2, d.count).bind(3, format_utc(d.last_used)).run();
    s.reset();
  }
  tx.commit();
}

std::vector<int64_t> KeyStore::revoked_since(int64_t since) const {
  auto c = impl_->pool.lease();
  Stmt s(*c, "SELECT id FROM api_keys WHERE revoked_at >= ?1", "reading revocations");
  s.bind(1, since);
  std::vector<int64_t> out;
  while (s.step()) out.push_back(s.int64(0));
  return out;
}

int64_t KeyStore::insert_legacy(const std::string& key_hash, const std::string& name,
                                const std::string& user_email, bool active,
                                std::optional<int64_t> expires_at) {
  auto c = impl_->pool.lease();
  Transaction tx(*c, "adding a legacy key");
  const int64_t user_id = impl_->user_id_for(*c, user_email);
  Stmt s(*c,
         "INSERT INTO api_keys(user_id, key_hash, name, is_active, usage_count, expires_at) "
         "VALUES (?1, ?2, ?3, ?4, 0, ?5)",
         "adding a legacy key");
  s.bind(1, user_id).bind(2, key_hash).bind(3, name).bind(4, active ? 1 : 0);
  if (expires_at)
    s.bind(5, format_utc(*expires_at));
  else
    s.bind_null(5);
  s.run();
  const int64_t id = sqlite3_last_insert_rowid(c->db);
  tx.commit();
  return id;
}

}  // namespace swingpipe::auth
