#include "storage/schema.hpp"

#include <algorithm>

#include "swingpipe/error.hpp"

namespace swingpipe::storage {
namespace {

// Exactly the Python suite's table, so that a fresh library and an upgraded one share one path.
constexpr const char* kPythonSchema = R"sql(
CREATE TABLE IF NOT EXISTS recordings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  filename TEXT UNIQUE NOT NULL,
  golfer_name TEXT,
  date_recorded TEXT,
  club_type TEXT,
  model_name TEXT,
  swing_type TEXT,
  rating INTEGER,
  tags TEXT,
  notes TEXT,
  duration REAL,
  peak_club_speed REAL,
  num_frames INTEGER,
  checksum TEXT
);
)sql";

constexpr const char* kVersion1 = R"sql(
ALTER TABLE recordings ADD COLUMN label TEXT NOT NULL DEFAULT '';
CREATE TABLE series (
  recording_id INTEGER PRIMARY KEY REFERENCES recordings(id) ON DELETE CASCADE,
  sample_rate REAL NOT NULL,
  channels TEXT NOT NULL,  -- JSON array of names
  data BLOB NOT NULL,      -- float64 little-endian, channel-major
  checksum TEXT NOT NULL   -- hex SHA-256 of data
);
CREATE TABLE recording_tags (
  recording_id INTEGER NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  PRIMARY KEY (recording_id, tag)
) WITHOUT ROWID;
CREATE INDEX recording_tags_by_tag ON recording_tags(tag, recording_id);
CREATE TABLE results (
  run_id TEXT NOT NULL,
  recording_id INTEGER NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
  analysis TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (run_id, recording_id, analysis)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS recordings_by_golfer ON recordings(golfer_name);
CREATE INDEX IF NOT EXISTS recordings_by_date ON recordings(date_recorded);
CREATE INDEX IF NOT EXISTS recordings_by_club ON recordings(club_type);
-- The Python suite deletes without foreign keys enabled: clean up after it.
CREATE TRIGGER recordings_delete_children AFTER DELETE ON recordings BEGIN
  DELETE FROM series WHERE recording_id = OLD.id;
  DELETE FROM recording_tags WHERE recording_id = OLD.id;
  DELETE FROM results WHERE recording_id = OLD.id;
END;
)sql";

constexpr const char* kVersion2 = R"sql(
ALTER TABLE recordings ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';
ALTER TABLE series ADD COLUMN units TEXT;
)sql";

int user_version(const Connection& c) {
  Stmt s(c, "PRAGMA user_version", "reading the schema version");
  if (!s.step()) fail(c, SQLITE_ERROR, "reading the schema version: no row");
  return static_cast<int>(s.int64(0));
}

/// Fills recording_tags from the comma-separated `tags` column of every row.
void index_legacy_tags(const Connection& c) {
  Stmt rows(c, "SELECT id, tags FROM recordings WHERE tags IS NOT NULL AND tags <> ''",
            "reading legacy tags");
  Stmt insert(c, "INSERT OR IGNORE INTO recording_tags(recording_id, tag) VALUES (?1, ?2)",
              "indexing legacy tags");
  while (rows.step()) {
    const int64_t id = rows.int64(0);
    for (const auto& tag : split_tags(rows.text(1))) {
      insert.bind(1, id).bind(2, tag).run();
      insert.reset();
    }
  }
}

void migrate_to_1(const Connection& c) {
  exec(c, kPythonSchema, "creating the recordings table");
  exec(c, kVersion1, "migrating the schema to version 1");
  index_legacy_tags(c);
}

}  // namespace

std::vector<std::string> split_tags(const std::string& csv) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= csv.size()) {
    std::size_t end = csv.find(',', start);
    if (end == std::string::npos) end = csv.size();
    std::string tag = csv.substr(start, end - start);
    const auto first = tag.find_first_not_of(" \t\r\n");
    const auto last = tag.find_last_not_of(" \t\r\n");
    tag = first == std::string::npos ? "" : tag.substr(first, last - first + 1);
    if (!tag.empty() && std::find(out.begin(), out.end(), tag) == out.end()) out.push_back(tag);
    start = end + 1;
  }
  return out;
}

void migrate(const Connection& c, bool read_only) {
  if (read_only) {
    const int v = user_version(c);
    if (v != kSchemaVersion)
      throw StorageError(c.path + ": schema version " + std::to_string(v) + ", this build needs " +
                         std::to_string(kSchemaVersion) +
                         " and a read-only library cannot migrate");
    return;
  }
  Transaction tx(c, "the schema migration");
  const int v = user_version(c);  // read inside the write lock: one process migrates
  if (v > kSchemaVersion)
    throw StorageError(c.path + ": schema version " + std::to_string(v) +
                       " is newer than this build's " + std::to_string(kSchemaVersion));
  if (v == kSchemaVersion) return;  // nothing to do; the destructor ends the transaction
  if (v < 1) migrate_to_1(c);
  if (v < 2) exec(c, kVersion2, "migrating the schema to version 2");
  exec(c, ("PRAGMA user_version=" + std::to_string(kSchemaVersion)).c_str(),
       "setting the schema version");
  tx.commit();
}

}  // namespace swingpipe::storage
