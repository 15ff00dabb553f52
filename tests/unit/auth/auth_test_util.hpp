#pragma once
// Helpers for the auth tests: the Python fixture, a Python-suite keys database.
#include <sqlite3.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "test_support.hpp"

namespace swingpipe::test {

struct PythonKey {
  std::string key, hash, prefix_hash;
  int rounds = 0;
};

/// tests/unit/auth/fixtures/python_bcrypt.json: keys hashed by Python's bcrypt
/// (make_python_bcrypt.py).
inline std::vector<PythonKey> python_keys() {
  std::ifstream in(std::string(SWINGPIPE_SOURCE_DIR) +
                   "/tests/unit/auth/fixtures/python_bcrypt.json");
  if (!in) throw std::runtime_error("python_bcrypt.json is missing");
  const auto doc = nlohmann::json::parse(in);
  std::vector<PythonKey> out;
  for (const auto& k : doc.at("keys"))
    out.push_back({k.at("key"), k.at("hash"), k.at("prefix_hash"), k.at("rounds")});
  return out;
}

/// Runs SQL on a database file (fixtures only).
inline void sql(const std::filesystem::path& db, const std::string& text) {
  sqlite3* h = nullptr;
  if (sqlite3_open(db.c_str(), &h) != SQLITE_OK) throw std::runtime_error("open " + db.string());
  char* err = nullptr;
  const int rc = sqlite3_exec(h, text.c_str(), nullptr, nullptr, &err);
  const std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(h);
  if (rc != SQLITE_OK) throw std::runtime_error("sql: " + msg + "\n" + text);
}

/// A value bound to a `?` of a test query: never spliced into the SQL text.
using SqlParam = std::variant<int64_t, std::string>;

/// Runs one statement with bound parameters; returns the first column of its first row as text
/// ("" when there is no row or it is NULL). Throws naming the statement when SQLite refuses it.
inline std::string sql_bound(const std::filesystem::path& db, const std::string& query,
                             const std::vector<SqlParam>& params = {}) {
  sqlite3* h = nullptr;
  if (sqlite3_open(db.c_str(), &h) != SQLITE_OK) throw std::runtime_error("open " + db.string());
  sqlite3_stmt* s = nullptr;
  std::string out;
  int rc = sqlite3_prepare_v2(h, query.c_str(), -1, &s, nullptr);
  for (std::size_t i = 0; rc == SQLITE_OK && i < params.size(); ++i) {
    const int at = static_cast<int>(i) + 1;
    if (const auto* v = std::get_if<int64_t>(&params[i]))
      rc = sqlite3_bind_int64(s, at, *v);
    else
      rc = sqlite3_bind_text(s, at, std::get<std::string>(params[i]).c_str(), -1, SQLITE_TRANSIENT);
  }
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && sqlite3_column_text(s, 0))
      out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) rc = SQLITE_OK;
  }
  const std::string msg = rc == SQLITE_OK ? "" : sqlite3_errmsg(h);
  sqlite3_finalize(s);
  sqlite3_close(h);
  if (rc != SQLITE_OK) throw std::runtime_error("sql: " + msg + "\n" + query);
  return out;
}

/// One value of the first row of a query (as text), parameters bound.
inline std::string sql_value(const std::filesystem::path& db, const std::string& query,
                             const std::vector<SqlParam>& params = {}) {
  return sql_bound(db, query, params);
}

/// The Python suite's users and api_keys tables as SQLAlchemy creates them on SQLite (from
/// api/auth/models.py), without swingpipe's columns.
inline void create_python_suite_db(const std::filesystem::path& db) {
  sql(db, R"sql(
CREATE TABLE users (
  id INTEGER NOT NULL,
  email VARCHAR(255) NOT NULL,
  hashed_password VARCHAR(255) NOT NULL,
  full_name VARCHAR(255),
  organization VARCHAR(255),
  role VARCHAR(50) NOT NULL,
  is_active BOOLEAN NOT NULL,
  is_verified BOOLEAN NOT NULL,
  subscription_status VARCHAR(50) NOT NULL,
  subscription_id VARCHAR(255),
  customer_id VARCHAR(255),
  api_calls_this_month INTEGER NOT NULL,
  video_analyses_this_month INTEGER NOT NULL,
  simulations_this_month INTEGER NOT NULL,
  created_at DATETIME DEFAULT (CURRENT_TIMESTAMP),
  updated_at DATETIME,
  last_login DATETIME,
  PRIMARY KEY (id),
  CONSTRAINT valid_user_role CHECK (role IN ('free', 'professional', 'enterprise', 'admin'))
);
CREATE UNIQUE INDEX ix_users_email ON users (email);
CREATE INDEX ix_users_id ON users (id);
CREATE TABLE api_keys (
  id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  key_hash VARCHAR(255) NOT NULL,
  name VARCHAR(255) NOT NULL,
  is_active BOOLEAN NOT NULL,
  last_used DATETIME,
  usage_count INTEGER NOT NULL,
  created_at DATETIME DEFAULT (CURRENT_TIMESTAMP),
  expires_at DATETIME,
  PRIMARY KEY (id),
  CONSTRAINT non_negative_usage_count CHECK (usage_count >= 0),
  FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_api_keys_id ON api_keys (id);
CREATE INDEX ix_api_keys_user_id ON api_keys (user_id);
CREATE UNIQUE INDEX ix_api_keys_key_hash ON api_keys (key_hash);
)sql");
}

/// A Python-suite user row.
inline void add_python_user(const std::filesystem::path& db, int id, const std::string& email,
                            const std::string& role) {
  sql(db,
      "INSERT INTO users(id, email, hashed_password, role, is_active, is_verified, "
      "subscription_status, api_calls_this_month, video_analyses_this_month, "
      "simulations_this_month) VALUES (" +
          std::to_string(id) + ", '" + email + "', 'x', '" + role + "', 1, 1, 'active', 0, 0, 0)");
}

/// A Python-suite api_keys row (as SQLAlchemy writes it: no prefix hash).
inline void add_python_key(const std::filesystem::path& db, int id, int user_id,
                           const std::string& hash, const std::string& name, bool active) {
  sql(db,
      "INSERT INTO api_keys(id, user_id, key_hash, name, is_active, usage_count, created_at) "
      "VALUES (" +
          std::to_string(id) + ", " + std::to_string(user_id) + ", '" + hash + "', '" + name +
          "', " + (active ? "1" : "0") + ", 0, '2025-06-01 10:00:00.000000')");
}

}  // namespace swingpipe::test
