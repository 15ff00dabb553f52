// `swingpipe keys create|list|revoke|migrate`: API keys of the HTTP server (host/auth).
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>

#include "command.hpp"
#include "output.hpp"
#include "server.hpp"
#include "server_config.hpp"
#include "swingpipe/host/auth.hpp"

namespace swingpipe::cli {
namespace {

struct KeysFlags {
  std::string keys_db;
  std::string config;
  // create
  std::string name, scopes = "read,run", user;
  int expires_in_days = 0;
  int cost = auth::kDefaultCost;
  // revoke
  int64_t id = 0;
  // migrate
  std::string output;
  bool dry_run = false, all = false;
};

/// --keys-db, else the server config's data.keys_database, else $SWINGPIPE_KEYS_DB, else the
/// server's default.
std::string keys_path(const KeysFlags& f) {
  if (!f.keys_db.empty()) return f.keys_db;
  if (!f.config.empty()) return server::load_server_config(f.config).keys_database;
  if (const char* env = std::getenv("SWINGPIPE_KEYS_DB")) return env;
  return server::ServerConfig{}.keys_database;
}

std::string default_user() {
  const char* u = std::getenv("USER");
  return std::string(u && *u ? u : "swingpipe") + "@localhost";
}

void create(const Globals& g, const KeysFlags& f) {
  std::optional<int64_t> expires;
  if (f.expires_in_days > 0) expires = auth::now_unix() + int64_t{f.expires_in_days} * 86400;
  auth::KeyStore store(keys_path(f));
  const auto created = store.create(f.name, auth::parse_scopes(f.scopes), expires,
                                    f.user.empty() ? default_user() : f.user, f.cost);
  if (g.json) {  // as POST /v1/keys answers
    std::cout << nlohmann::ordered_json{{"key", server::key_json(created.info)},
                                        {"secret", created.secret}}
                     .dump(2)
              << "\n";
    return;
  }
  std::cout << "key " << created.info.id << " '" << created.info.name << "' for "
            << created.info.user_email << " (scopes " << auth::scopes_to_string(created.info.scopes)
            << (expires ? ", expires " + auth::format_utc(*expires).substr(0, 19) + " UTC" : "")
            << ")\n"
            << "secret (shown this once; only its bcrypt hash is stored):\n"
            << created.secret << "\n";
}

void list(const Globals& g, const KeysFlags& f) {
  auth::KeyStore store(keys_path(f), {.must_exist = true});
  const auto keys = store.list();
  if (g.json) {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const auto& k : keys) arr.push_back(server::key_json(k));
    std::cout << arr.dump(2) << "\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& k : keys) {
    std::string state = k.active ? "active" : "revoked";
    if (k.active && k.expires_at && *k.expires_at <= auth::now_unix()) state = "expired";
    if (!k.bcrypt) state += " (sha256: migrate)";
    rows.push_back({std::to_string(k.id), k.name, k.user_email, auth::scopes_to_string(k.scopes),
                    state, k.expires_at ? auth::format_utc(*k.expires_at).substr(0, 19) : "-",
                    k.last_used ? auth::format_utc(*k.last_used).substr(0, 19) : "-",
                    std::to_string(k.usage_count), k.legacy ? "legacy" : "indexed"});
  }
  print_table({"id", "name", "user", "scopes", "state", "expires (UTC)", "last used (UTC)", "uses",
               "prefix"},
              rows);
  std::cout << keys.size() << " key(s)\n";
}

void revoke(const Globals& g, const KeysFlags& f) {
  auth::KeyStore store(keys_path(f), {.must_exist = true});
  if (!store.revoke(f.id))
    throw NotFoundError("no API key " + std::to_string(f.id) + " in " + store.path().string());
  if (g.json)
    print_json({{"revoked", f.id}});
  else
    std::cout << "key " << f.id
              << " revoked (a running server drops it within auth.key_sync_seconds)\n";
}

void migrate(const Globals& g, const KeysFlags& f) {
  auth::KeyStore::Options opt;
  opt.must_exist = true;
  opt.read_only = f.dry_run;
  auth::KeyStore store(keys_path(f), opt);
  auth::MigrationOptions m;
  m.dry_run = f.dry_run;
  m.all = f.all;
  m.cost = f.cost;
  m.secrets_file = f.output;
  const auto report = store.migrate(m);
  if (g.json) {
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (const auto& r : report.migrated)
      rows.push_back({{"id", r.id},
                      {"user", r.user_email},
                      {"name", r.name},
                      {"reason", r.reason},
                      {"scopes", auth::scopes_to_string(r.scopes)}});
    nlohmann::ordered_json j{{"dry_run", report.dry_run},
                             {"migrated", rows},
                             {"skipped_inactive", report.skipped_inactive},
                             {"kept_bcrypt", report.kept_bcrypt},
                             {"statements", report.statements}};
    if (!report.dry_run && !report.migrated.empty()) j["secrets_file"] = f.output;
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : report.migrated)
    rows.push_back(
        {std::to_string(r.id), r.user_email, r.name, r.reason, auth::scopes_to_string(r.scopes)});
  print_table({"id", "user", "name", "why", "scopes"}, rows);
  std::cout << (report.dry_run ? "dry run: would reissue " : "reissued ") << report.migrated.size()
            << " key(s); " << report.skipped_inactive << " inactive skipped, " << report.kept_bcrypt
            << " bcrypt key(s) kept (--all reissues them too); " << report.statements
            << " SQL statement(s)\n";
  if (!report.dry_run && !report.migrated.empty())
    std::cout << "the new secrets are in " << f.output
              << " (mode 0600, written once): hand them out, then delete the file\n";
}

void add_keys(CLI::App& app, Globals& g) {
  auto f = std::make_shared<KeysFlags>();
  auto* keys = app.add_subcommand(
      "keys",
      "API keys of the HTTP server: gms_ + 43 URL-safe characters, stored as bcrypt hashes in the "
      "keys database (the Python suite's api_keys table, which swingpipe reads and upgrades).");
  keys->require_subcommand(1);
  keys->add_option("--keys-db", f->keys_db,
                   "Keys database; default: --config's data.keys_database, $SWINGPIPE_KEYS_DB, or "
                   "swingpipe-keys.db");
  keys->add_option("--config", f->config, "Take the keys database from this server config");

  auto* c = keys->add_subcommand("create", "Create a key; prints its secret once");
  c->add_option("--name", f->name, "A name for the key")->required();
  c->add_option("--scopes", f->scopes, "Comma-separated: read, run, admin (default read,run)");
  c->add_option("--user", f->user, "The key's user (e-mail); default $USER@localhost");
  c->add_option("--expires-in-days", f->expires_in_days, "Expire after this many days")
      ->check(CLI::Range(1, 36500));
  c->add_option("--cost", f->cost, "bcrypt cost (default 12)")->check(CLI::Range(4, 31));
  c->callback([&g, f] { create(g, *f); });

  keys->add_subcommand("list", "List keys (never a hash or a secret)")->callback([&g, f] {
    list(g, *f);
  });

  auto* r = keys->add_subcommand("revoke", "Revoke a key");
  r->add_option("id", f->id, "Key id")->required()->check(CLI::PositiveNumber);
  r->callback([&g, f] { revoke(g, *f); });

  auto* m = keys->add_subcommand(
      "migrate",
      "Reissue the keys of a Python-suite database whose hashes are not bcrypt (old SHA-256): "
      "one query reads every key with its user, one transaction updates them; the new secrets "
      "are written once to --output (mode 0600) before anything changes.");
  m->add_option("--output", f->output, "File for the new secrets (must not exist)");
  m->add_flag("--dry-run", f->dry_run, "Show what would be reissued; change nothing");
  m->add_flag("--all", f->all, "Reissue every active key, bcrypt ones too");
  m->add_option("--cost", f->cost, "bcrypt cost (default 12)")->check(CLI::Range(4, 31));
  m->callback([&g, f] {
    if (!f->dry_run && f->output.empty())
      throw InputError("keys migrate: --output FILE is required (or --dry-run)");
    migrate(g, *f);
  });
}

}  // namespace
SWINGPIPE_COMMAND("keys", add_keys);
}  // namespace swingpipe::cli
