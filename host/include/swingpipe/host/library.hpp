#pragma once
// The recording library (host/storage): SQLite in WAL mode, versioned schema with forward
// migrations (a Python-suite `library.db` is upgraded in place), one pooled connection per thread,
// bound parameters only, statistics in one round trip.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "swingpipe/host/recording.hpp"

namespace swingpipe {

struct SearchQuery {
  std::optional<std::string> golfer;  ///< substring of golfer_name (literal, case-insensitive)
  std::optional<std::string> club_type;
  std::optional<std::string> swing_type;
  std::optional<int> min_rating;
  std::optional<std::string> date_from;  ///< inclusive, ISO 8601
  std::optional<std::string> date_to;    ///< inclusive, ISO 8601
  std::vector<std::string> tags;         ///< every tag must be present (exact tag match)
  std::optional<std::string> label;
  std::string order_by = "id";  ///< whitelisted column name; InputError otherwise
  bool descending = false;
  int64_t limit = -1;  ///< -1 = no limit
  int64_t offset = 0;
};

struct LibraryStats {
  int64_t count = 0;
  double avg_rating = 0;  ///< over rating > 0; NaN when none
  /// Over recordings with a known speed (> 0); NaN when there is none.
  double min_peak_club_speed = std::numeric_limits<double>::quiet_NaN();
  double max_peak_club_speed = std::numeric_limits<double>::quiet_NaN();
  double avg_peak_club_speed = std::numeric_limits<double>::quiet_NaN();
  int64_t total_frames = 0;
  std::vector<std::pair<std::string, int64_t>> by_club_type;   ///< sorted by name
  std::vector<std::pair<std::string, int64_t>> by_swing_type;  ///< sorted by name
  bool operator==(const LibraryStats&) const = default;  ///< (a NaN average never compares equal)
};

/// Stored analysis results: one row per (run, recording, analysis), JSON payload.
struct ResultRow {
  std::string run_id;
  int64_t recording_id = 0;
  std::string analysis;
  std::string payload_json;
};

class RecordingLibrary {
 public:
  struct Options {
    int max_connections = 16;  ///< pool bound; a thread past it waits for a free connection
    int busy_timeout_ms = 10000;
    bool read_only = false;
  };

  /// Opens (creating when absent) and migrates the schema to the current version.
  explicit RecordingLibrary(std::filesystem::path path);
  RecordingLibrary(std::filesystem::path path, Options options);
  ~RecordingLibrary();
  RecordingLibrary(const RecordingLibrary&) = delete;
  RecordingLibrary& operator=(const RecordingLibrary&) = delete;

  const std::filesystem::path& path() const;
  static int schema_version();  ///< the version this build migrates to

  /// Inserts one recording (metadata + series + checksum); returns its id. A duplicate filename
  /// throws InputError naming it.
  int64_t add(const Recording& rec);
  /// All-or-nothing: every recording or none, in one transaction. Returns ids in order.
  std::vector<int64_t> add_all(const std::vector<Recording>& recs);

  /// Metadata + series; verifies the checksum (CorruptDataError on mismatch). NotFoundError when
  /// the id does not exist.
  Recording get(int64_t id) const;
  RecordingMeta get_meta(int64_t id) const;
  std::optional<int64_t> find_by_filename(const std::string& filename) const;
  std::vector<RecordingMeta> search(const SearchQuery& q) const;
  int64_t count() const;
  /// One SQL statement; the result is kept until another connection or process commits
  /// (checked with PRAGMA data_version on every call, on a connection of its own).
  LibraryStats stats() const;
  /// Updates metadata fields (not the series); NotFoundError when absent.
  void update_meta(const RecordingMeta& meta);
  bool remove(int64_t id);

  // Results of pipeline runs.
  void put_results(const std::vector<ResultRow>& rows);  ///< one transaction
  std::vector<ResultRow> results(const std::string& run_id) const;
  /// Recording ids that already have every one of `analyses` stored for run_id (resume).
  std::vector<int64_t> completed(const std::string& run_id,
                                 const std::vector<std::string>& analyses) const;

  /// "ok" or the problems PRAGMA integrity_check reports.
  std::string integrity_check() const;
  /// Closes every pooled connection (all threads'), not only the caller's.
  void close_all();
  int open_connections() const;

 private:
  LibraryStats compute_stats() const;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace swingpipe
