#pragma once
// API keys (host/auth), compatible with the Python suite's `api_keys` table.
//
// A key is "gms_" + 43 URL-safe characters (Python's secrets.token_urlsafe(32)). The table stores
// a bcrypt hash of the whole key ($2b$, libxcrypt's crypt_rn; cost 12 by default; hashes made by
// Python's `bcrypt` verify unchanged) and, in an indexed column, the prefix hash: SHA-256 hex of
// the 8 characters after "gms_". Verification loads only the rows with the key's prefix hash (one
// bcrypt on average, whatever the number of keys); rows without a prefix hash (legacy rows of the
// Python suite) are tried only when no indexed row matches, and get their prefix hash written on
// first successful use. Verified keys are cached (bounded, short TTL, keyed by the SHA-256 of the
// whole key, dropped at once on revoke), so repeated requests skip bcrypt. Comparisons of secrets
// and digests are constant-time. Usage (last_used, usage_count) is counted in memory and written
// in batches.
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "swingpipe/error.hpp"

namespace swingpipe::auth {

// ---- keys ---------------------------------------------------------------------------------------

inline constexpr std::string_view kKeyPrefix = "gms_";
inline constexpr std::size_t kKeyBodyLength = 43;  ///< base64url of 32 random bytes, no padding
inline constexpr std::size_t kPrefixLength = 8;    ///< characters after "gms_" that are indexed

/// "gms_" + 43 characters of [A-Za-z0-9_-].
bool is_well_formed(std::string_view key);
/// A fresh key from 32 bytes of OpenSSL's CSPRNG.
std::string generate_key();
/// SHA-256 hex of the 8 characters after "gms_" (the indexed column). InputError when malformed.
std::string prefix_hash(std::string_view key);

using Digest = std::array<unsigned char, 32>;
/// SHA-256 of the whole key: the verified-key cache's key (the key itself is never kept).
Digest key_digest(std::string_view key);
/// Constant-time equality (OpenSSL CRYPTO_memcmp); different lengths compare unequal.
bool constant_time_equal(std::string_view a, std::string_view b);

// ---- bcrypt (libxcrypt) -------------------------------------------------------------------------

inline constexpr int kDefaultCost = 12;
/// A $2b$ hash of `secret` with a fresh 16-byte salt. InputError for a cost outside 4..31.
std::string bcrypt_hash(std::string_view secret, int cost = kDefaultCost);
/// true when `hash` ($2a$, $2b$ or $2y$) is a hash of `secret`; false for a mismatch or for a
/// string that is not a bcrypt hash. The comparison is constant-time.
bool bcrypt_verify(std::string_view secret, std::string_view hash);
/// "$2a$", "$2b$" or "$2y$", a two-digit cost and 53 characters.
bool is_bcrypt_hash(std::string_view hash);

// ---- scopes -------------------------------------------------------------------------------------

enum Scope : unsigned { kRead = 1u, kRun = 2u, kAdmin = 4u };
using Scopes = unsigned;
inline constexpr Scopes kDefaultScopes = kRead | kRun;
/// "read,run" → kRead|kRun. InputError naming an unknown scope; "" is no scope at all.
Scopes parse_scopes(std::string_view text);
std::string scopes_to_string(Scopes s);  ///< "read,run,admin" order
/// Admin holds every scope.
inline bool allows(Scopes held, Scopes needed) {
  return (held & kAdmin) || (held & needed) == needed;
}

// ---- time stamps --------------------------------------------------------------------------------

/// Unix seconds (UTC) from "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS[.ffffff]]" or the same with 'T',
/// optionally ending in 'Z' or ±HH:MM (SQLAlchemy writes "YYYY-MM-DD HH:MM:SS.ffffff" in UTC).
/// std::nullopt when the text is not such a time.
std::optional<int64_t> parse_utc(std::string_view text);
/// "YYYY-MM-DD HH:MM:SS.000000" (the Python suite's storage format), UTC.
std::string format_utc(int64_t unix_seconds);
int64_t now_unix();

// ---- the keys table -----------------------------------------------------------------------------

struct KeyInfo {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string user_email;  ///< "" when the user row is missing
  std::string name;
  Scopes scopes = kDefaultScopes;
  bool active = true;                 ///< false once revoked
  std::optional<int64_t> expires_at;  ///< Unix seconds
  std::optional<int64_t> last_used;   ///< Unix seconds
  int64_t usage_count = 0;
  std::string created_at;  ///< as stored
  bool legacy = false;     ///< no prefix hash yet (found by the fallback until first use)
  bool bcrypt = true;      ///< false: an old SHA-256 hash of the Python suite (needs `migrate`)
};

/// A row that may hold the presented key: what verification needs.
struct Candidate {
  int64_t id = 0;
  std::string key_hash;
  std::string name;
  Scopes scopes = kDefaultScopes;
  bool active = true;
  bool user_active = true;
  std::optional<int64_t> expires_at;
  bool expiry_unreadable = false;  ///< expires_at holds text that is not a time: refused
  bool legacy = false;
};

struct UsageDelta {
  int64_t key_id = 0;
  int64_t count = 0;
  int64_t last_used = 0;  ///< Unix seconds
};

struct MigrationOptions {
  bool dry_run = false;
  bool all = false;  ///< reissue every active key (the Python script's behaviour), not only the
                     ///< rows whose hash is not bcrypt
  int cost = kDefaultCost;
  std::filesystem::path secrets_file;  ///< created with mode 0600; must not exist
};

struct MigrationRow {
  int64_t id = 0;
  std::string user_email;
  std::string name;
  std::string reason;  ///< "sha256 hash" or "reissued (--all)"
  Scopes scopes = kDefaultScopes;
};

struct MigrationReport {
  std::vector<MigrationRow> migrated;  ///< (or, in a dry run, to be migrated)
  int64_t skipped_inactive = 0;
  int64_t kept_bcrypt = 0;  ///< bcrypt rows left alone (without --all)
  int statements = 0;       ///< SQL statements run, counted by SQLite's trace (1 read + 1 write)
  bool dry_run = false;
};

/// The keys database: the Python suite's `users` and `api_keys` tables, plus the columns swingpipe
/// adds to `api_keys` on open (prefix_hash, indexed; scopes; revoked_at). A fresh file gets the
/// Python suite's tables. Every statement binds its parameters.
class KeyStore {
 public:
  struct Options {
    int max_connections = 4;
    int busy_timeout_ms = 10000;
    bool must_exist = false;  ///< NotFoundError instead of creating a missing file
    bool read_only = false;   ///< no schema changes, no writes (a dry run)
  };
  explicit KeyStore(std::filesystem::path path);
  KeyStore(std::filesystem::path path, Options options);
  ~KeyStore();
  KeyStore(const KeyStore&) = delete;
  KeyStore& operator=(const KeyStore&) = delete;

  const std::filesystem::path& path() const;

  struct Created {
    KeyInfo info;
    std::string secret;  ///< the key itself: shown once, never stored
  };
  /// A new key for the user with `user_email` (created when absent and the table allows it).
  Created create(const std::string& name, Scopes scopes, std::optional<int64_t> expires_at,
                 const std::string& user_email, int cost = kDefaultCost);
  std::vector<KeyInfo> list() const;
  std::optional<KeyInfo> find(int64_t id) const;
  /// Marks the key inactive (revoked_at = now). false when there is no such key.
  bool revoke(int64_t id);

  /// Rows whose prefix hash is `prefix_hash` (any state), then active legacy bcrypt rows (no
  /// prefix hash): one query.
  std::vector<Candidate> candidates(const std::string& prefix_hash) const;
  /// Writes the prefix hash of a legacy row (first successful use).
  void set_prefix_hash(int64_t id, const std::string& prefix_hash);
  /// Adds the counts and sets last_used, all rows in one transaction.
  void record_usage(const std::vector<UsageDelta>& deltas);
  /// Ids of keys revoked at or after `since` (Unix seconds), for servers that cache keys.
  std::vector<int64_t> revoked_since(int64_t since) const;

  /// Reissues keys of a Python-suite database: one query reads every key with its user, then
  /// (unless dry_run) the new secrets are written to a 0600 file and all rows updated in one
  /// transaction (the file is removed again if the transaction fails).
  MigrationReport migrate(const MigrationOptions& options);

  /// Test hook: a row as the Python suite writes it (bcrypt or SHA-256 hash, no prefix hash).
  int64_t insert_legacy(const std::string& key_hash, const std::string& name,
                        const std::string& user_email, bool active = true,
                        std::optional<int64_t> expires_at = std::nullopt);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---- verification -------------------------------------------------------------------------------

enum class Outcome { ok, missing, malformed, invalid, revoked, expired };
const char* to_string(Outcome o);

struct Principal {
  int64_t key_id = 0;
  std::string name;
  Scopes scopes = 0;
};

struct Verdict {
  Outcome outcome = Outcome::invalid;
  Principal principal;  ///< set when ok
  bool cached = false;  ///< answered from the cache (no database, no bcrypt)
};

class Verifier {
 public:
  struct Options {
    std::size_t cache_capacity = 10000;  ///< verified keys kept (0 = no cache)
    std::chrono::milliseconds cache_ttl{60000};
    /// Usage counts and remote revocations are synchronised this often (0 = only by flush()).
    std::chrono::milliseconds sync_interval{5000};
  };
  Verifier(KeyStore& store, Options options);
  ~Verifier();  ///< flushes usage
  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;

  /// Checks a presented key ("" = none was presented). A successful check is counted as a use.
  Verdict verify(std::string_view key);
  /// Revokes in the store and drops the key from the cache at once.
  bool revoke(int64_t key_id);
  /// Drops a key from the cache (a revocation seen in the database).
  void forget(int64_t key_id);
  /// Writes pending usage counts and drops keys revoked elsewhere (another process) from the cache.
  void sync();
  std::size_t cached_keys() const;
  int64_t bcrypt_calls() const;  ///< bcrypt verifications run so far (tests, benchmarks)

 private:
  struct Cache;
  struct Usage;
  void sync_loop();

  KeyStore& store_;
  Options options_;
  std::unique_ptr<Cache> cache_;
  std::unique_ptr<Usage> usage_;
  std::mutex sync_mutex_;  ///< guards stopping_ (the timer's condition)
  std::condition_variable sync_cv_;
  std::mutex sync_run_mutex_;  ///< one sync() at a time
  bool stopping_ = false;
  int64_t revocations_checked_at_ = 0;
  std::thread sync_thread_;
};

}  // namespace swingpipe::auth
