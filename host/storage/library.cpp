#include "swingpipe/host/library.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <variant>

#include "storage/pool.hpp"
#include "storage/schema.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/io.hpp"
#include "swingpipe/host/untrusted.hpp"

namespace swingpipe {

using storage::Connection;
using storage::Stmt;
using storage::Transaction;

namespace {

// ---- metadata columns ------------------------------------------------------------------------

constexpr const char* kMetaColumns =
    "r.id, r.filename, r.golfer_name, r.date_recorded, r.club_type, r.model_name, r.swing_type, "
    "r.rating, r.tags, r.notes, r.duration, r.peak_club_speed, r.num_frames, r.checksum, r.label, "
    "r.attributes";
constexpr int kMetaColumnCount = 16;

/// The columns search() may order by.
constexpr std::array<const char*, 12> kOrderable = {
    "id",         "filename", "golfer_name", "date_recorded",   "club_type",  "model_name",
    "swing_type", "rating",   "duration",    "peak_club_speed", "num_frames", "label"};

std::map<std::string, std::string> parse_attributes(const std::string& json, int64_t id,
                                                    const std::string& path) {
  if (json.empty()) return {};
  try {
    return nlohmann::json::parse(json).get<std::map<std::string, std::string>>();
  } catch (const nlohmann::json::exception& e) {
    throw CorruptDataError(path + ": recording " + std::to_string(id) +
                           ": unreadable attributes: " + e.what());
  }
}

std::vector<std::string> parse_units(const std::string& json, const RecordingMeta& m,
                                     const std::string& path) {
  try {
    return nlohmann::json::parse(json).get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    throw CorruptDataError(path + ": recording " + std::to_string(m.id) +
                           ": unreadable units: " + e.what());
  }
}

std::string attributes_json(const std::map<std::string, std::string>& a) {
  return nlohmann::json(a).dump();
}

RecordingMeta read_meta(const Stmt& s, const std::string& path) {
  RecordingMeta m;
  m.id = s.int64(0);
  m.filename = s.text(1);
  m.golfer_name = s.text(2);
  m.date_recorded = s.text(3);
  m.club_type = s.text(4);
  m.model_name = s.text(5);
  m.swing_type = s.text(6);
  m.rating = static_cast<int>(s.int64(7));
  m.tags = storage::split_tags(s.text(8));
  m.notes = s.text(9);
  m.duration = s.real(10);
  m.peak_club_speed = s.real(11);
  m.num_frames = s.int64(12);
  m.checksum = s.text(13);
  m.label = s.text(14);
  m.attributes = parse_attributes(s.text(15), m.id, path);
  return m;
}

std::string describe(const RecordingMeta& m) {
  return "recording " + std::to_string(m.id) + " ('" + m.filename + "')";
}

std::string join_tags(const std::vector<std::string>& tags) {
  std::string out;
  for (const auto& t : tags) out += (out.empty() ? "" : ",") + t;
  return out;
}

/// Tags as stored: trimmed, no empties, no duplicates; InputError for a tag holding a comma (the
/// Python suite's column is comma-separated).
std::vector<std::string> normalise_tags(const std::vector<std::string>& tags,
                                        const std::string& what) {
  for (const auto& t : tags)
    if (t.find(',') != std::string::npos)
      throw InputError(what + ": tag '" + t + "' contains a comma");
  std::string joined;
  for (const auto& t : tags) joined += t + ",";
  return storage::split_tags(joined);
}

void validate_meta(const RecordingMeta& m, const std::string& what) {
  if (m.filename.empty()) throw InputError(what + ": empty filename");
  if (m.rating < 0 || m.rating > 5)
    throw InputError(what + ": rating must be 0..5, got " + std::to_string(m.rating));
}

// ---- series blob: float64 little-endian, channel-major ---------------------------------------

/// The series as stored. On a little-endian host that is the vector's own bytes (no copy: a large
/// import holds its data once, not twice); elsewhere a byte-swapped copy held in `swapped`.
std::string_view encode(const std::vector<double>& data, std::string& swapped) {
  const std::size_t bytes = data.size() * sizeof(double);
  if (bytes == 0) return {};
  if constexpr (std::endian::native == std::endian::little) {
    return {reinterpret_cast<const char*>(data.data()), bytes};
  } else {
    swapped.assign(bytes, '\0');
    std::memcpy(swapped.data(), data.data(), bytes);
    for (std::size_t i = 0; i < bytes; i += 8) std::reverse(&swapped[i], &swapped[i] + 8);
    return swapped;
  }
}

std::vector<double> decode(std::string_view blob) {
  std::vector<double> data(blob.size() / sizeof(double));
  if (data.empty()) return data;
  std::memcpy(data.data(), blob.data(), data.size() * sizeof(double));
  if constexpr (std::endian::native == std::endian::big) {
    auto* bytes = reinterpret_cast<char*>(data.data());
    for (std::size_t i = 0; i < blob.size(); i += 8) std::reverse(bytes + i, bytes + i + 8);
  }
  return data;
}

// ---- writes --------------------------------------------------------------------------------

/// The three inserts of add(), prepared once per transaction.
class Inserter {
 public:
  explicit Inserter(const Connection& c)
      : c_(c),
        meta_(c,
              "INSERT INTO recordings(filename, golfer_name, date_recorded, club_type, model_name, "
              "swing_type, rating, tags, notes, duration, peak_club_speed, num_frames, checksum, "
              "label, attributes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
              "?14, ?15)",
              "inserting recording metadata"),
        series_(c,
                "INSERT INTO series(recording_id, sample_rate, channels, data, checksum, units) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                "inserting a recording's series"),
        tags_(c, "INSERT INTO recording_tags(recording_id, tag) VALUES (?1, ?2)",
              "inserting recording tags") {}

  int64_t add(const Recording& rec) {
    const std::string what = "recording " + io::quote_input(rec.meta.filename);
    validate_meta(rec.meta, what);
    validate(rec, what);
    const auto tags = normalise_tags(rec.meta.tags, what);
    std::string swapped;
    const std::string_view blob = encode(rec.data, swapped);
    const std::string checksum = io::sha256_hex(blob.data(), blob.size());
    const auto& m = rec.meta;
    meta_.bind(1, m.filename).bind(2, m.golfer_name).bind(3, m.date_recorded);
    meta_.bind(4, m.club_type).bind(5, m.model_name).bind(6, m.swing_type).bind(7, m.rating);
    meta_.bind(8, join_tags(tags)).bind(9, m.notes).bind(10, m.duration);
    meta_.bind(11, m.peak_club_speed).bind(12, m.num_frames).bind(13, checksum).bind(14, m.label);
    meta_.bind(15, attributes_json(m.attributes));
    int constraint = 0;
    meta_.run(&constraint);
    meta_.reset();
    if (constraint == SQLITE_CONSTRAINT_UNIQUE)
      throw InputError(c_.path + ": duplicate filename " + io::quote_input(m.filename));
    if (constraint) storage::fail(c_, constraint, "inserting " + what);
    const int64_t id = sqlite3_last_insert_rowid(c_.db);
    series_.bind(1, id).bind(2, rec.sample_rate).bind(3, nlohmann::json(rec.channels).dump());
    series_.bind_blob(4, blob.data(), blob.size()).bind(5, checksum);
    if (rec.units.empty())
      series_.bind_null(6);
    else
      series_.bind(6, nlohmann::json(rec.units).dump());
    series_.run();
    series_.reset();
    insert_tags(tags_, id, tags);
    return id;
  }

  static void insert_tags(Stmt& s, int64_t id, const std::vector<std::string>& tags) {
    for (const auto& t : tags) {
      s.bind(1, id).bind(2, t).run();
      s.reset();
    }
  }

 private:
  const Connection& c_;
  Stmt meta_, series_, tags_;
};

// ---- search --------------------------------------------------------------------------------

/// A LIKE pattern matching `s` literally anywhere (escape character '\').
std::string contains_pattern(const std::string& s) {
  std::string p = "%";
  for (char ch : s) {
    if (ch == '%' || ch == '_' || ch == '\\') p += '\\';
    p += ch;
  }
  return p + "%";
}

/// SQL text plus the values to bind, in order.
struct Query {
  std::string sql;
  std::vector<std::variant<int64_t, std::string>> params;
  void add(const std::string& clause, std::variant<int64_t, std::string> v) {
    sql += clause;
    params.push_back(std::move(v));
  }
};

Query build_search(const SearchQuery& q, const std::string& path) {
  const auto col = std::find(kOrderable.begin(), kOrderable.end(), q.order_by);
  if (col == kOrderable.end())
    throw InputError(path + ": search: cannot order by '" + q.order_by + "' (not a column)");
  if (q.limit < -1) throw InputError(path + ": search: limit must be >= -1");
  if (q.offset < 0) throw InputError(path + ": search: offset must be >= 0");
  Query out;
  out.sql = std::string("SELECT ") + kMetaColumns + " FROM recordings r WHERE 1";
  if (q.golfer) out.add(" AND r.golfer_name LIKE ? ESCAPE '\\'", contains_pattern(*q.golfer));
  if (q.club_type) out.add(" AND r.club_type = ?", *q.club_type);
  if (q.swing_type) out.add(" AND r.swing_type = ?", *q.swing_type);
  if (q.min_rating) out.add(" AND r.rating >= ?", int64_t{*q.min_rating});
  if (q.date_from) out.add(" AND r.date_recorded >= ?", *q.date_from);
  if (q.date_to) {  // inclusive at the precision given: '2024-03-01' includes '2024-03-01T10:00'
    out.add(" AND substr(r.date_recorded, 1, length(?)) <= ?", *q.date_to);
    out.params.push_back(*q.date_to);
  }
  if (q.label) out.add(" AND r.label = ?", *q.label);
  std::vector<std::string> tags;
  for (const auto& t : q.tags) {
    if (std::find(tags.begin(), tags.end(), t) == tags.end()) tags.push_back(t);
  }
  if (!tags.empty()) {
    out.sql += " AND r.id IN (SELECT recording_id FROM recording_tags WHERE tag IN (";
    for (std::size_t i = 0; i < tags.size(); ++i) out.add(i ? ", ?" : "?", tags[i]);
    out.add(") GROUP BY recording_id HAVING count(*) = ?)", static_cast<int64_t>(tags.size()));
  }
  out.sql += std::string(" ORDER BY r.") + *col + (q.descending ? " DESC" : " ASC") + ", r.id";
  out.add(" LIMIT ?", q.limit);
  out.add(" OFFSET ?", q.offset);
  return out;
}

}  // namespace

// ---- the library -------------------------------------------------------------------------------

/// The last statistics and the data_version they were computed at. PRAGMA data_version changes
/// when another connection commits, so it is read on a connection of its own that never writes
/// (every pooled connection and every other process is "another connection" to it).
struct StatsCache {
  std::mutex mutex;
  std::unique_ptr<storage::Pool> pool;  ///< one connection, outside the library's pool
  std::unique_ptr<storage::Lease> lease;
  std::unique_ptr<Stmt> version;
  std::optional<int64_t> computed_at;
  LibraryStats stats;

  int64_t data_version(const std::filesystem::path& path, const RecordingLibrary::Options& o) {
    if (!version) {
      pool = std::make_unique<storage::Pool>(
          storage::Pool::Settings{path, 1, o.busy_timeout_ms, o.read_only});
      lease.reset(new storage::Lease(pool->lease()));
      version = std::make_unique<Stmt>(**lease, "PRAGMA data_version", "reading data_version");
    }
    version->step();
    const int64_t v = version->int64(0);
    version->reset();
    return v;
  }
  void close() {
    version.reset();
    lease.reset();
    pool.reset();
    computed_at.reset();
  }
};

struct RecordingLibrary::Impl {
  std::filesystem::path path;
  Options options;
  storage::Pool pool;
  StatsCache stats_cache;

  Impl(std::filesystem::path p, Options o)
      : path(std::move(p)),
        options(o),
        pool({path, o.max_connections, o.busy_timeout_ms, o.read_only}) {
    auto c = pool.lease();
    storage::migrate(*c, o.read_only);
  }
};

RecordingLibrary::RecordingLibrary(std::filesystem::path path)
    : RecordingLibrary(std::move(path), Options{}) {}

RecordingLibrary::RecordingLibrary(std::filesystem::path path, Options options)
    : impl_(std::make_unique<Impl>(std::move(path), options)) {}

RecordingLibrary::~RecordingLibrary() = default;

const std::filesystem::path& RecordingLibrary::path() const {
  return impl_->path;
}

int RecordingLibrary::schema_version() {
  return storage::kSchemaVersion;
}

int64_t RecordingLibrary::add(const Recording& rec) {
  return add_all({rec}).front();
}

std::vector<int64_t> RecordingLibrary::add_all(const std::vector<Recording>& recs) {
  auto c = impl_->pool.lease();
  Transaction tx(*c, "adding " + std::to_string(recs.size()) + " recording(s)");
  Inserter insert(*c);
  std::vector<int64_t> ids;
  ids.reserve(recs.size());
  for (const auto& r : recs) ids.push_back(insert.add(r));
  tx.commit();
  return ids;
}

Recording RecordingLibrary::get(int64_t id) const {
  auto c = impl_->pool.lease();
  Stmt s(*c,
         std::string("SELECT ") + kMetaColumns +
             ", s.sample_rate, s.channels, s.data, s.checksum, s.units FROM recordings r "
             "LEFT JOIN series s ON s.recording_id = r.id WHERE r.id = ?1",
         "reading recording " + std::to_string(id));
  s.bind(1, id);
  if (!s.step()) throw NotFoundError(impl_->path.string() + ": no recording " + std::to_string(id));
  Recording rec;
  rec.meta = read_meta(s, impl_->path.string());
  constexpr int k = kMetaColumnCount;
  if (s.is_null(k + 1)) return rec;  // a Python-suite row: metadata only, no series
  rec.sample_rate = s.real(k);
  const std::string_view blob = s.blob(k + 2);
  const std::string stored = s.text(k + 3);
  const std::string actual = io::sha256_hex(blob.data(), blob.size());
  if (actual != stored)
    throw CorruptDataError(impl_->path.string() + ": " + describe(rec.meta) +
                           ": series checksum mismatch (stored " + stored + ", computed " + actual +
                           ")");
  try {
    rec.channels = io::parse_json(s.text(k + 1), "channel names").get<std::vector<std::string>>();
  } catch (const InputError& e) {
    throw CorruptDataError(impl_->path.string() + ": " + describe(rec.meta) +
                           ": unreadable channel names: " + e.what());
  } catch (const nlohmann::json::exception& e) {
    throw CorruptDataError(impl_->path.string() + ": " + describe(rec.meta) +
                           ": unreadable channel names: " + e.what());
  }
  if (!s.is_null(k + 4)) rec.units = parse_units(s.text(k + 4), rec.meta, impl_->path.string());
  const auto expected = static_cast<std::size_t>(rec.meta.num_frames) * rec.channels.size();
  if (rec.meta.num_frames < 0 || blob.size() != expected * sizeof(double))
    throw CorruptDataError(impl_->path.string() + ": " + describe(rec.meta) + ": series has " +
                           std::to_string(blob.size()) + " bytes, expected " +
                           std::to_string(expected * sizeof(double)));
  rec.data = decode(blob);
  return rec;
}

RecordingMeta RecordingLibrary::get_meta(int64_t id) const {
  auto c = impl_->pool.lease();
  Stmt s(*c, std::string("SELECT ") + kMetaColumns + " FROM recordings r WHERE r.id = ?1",
         "reading metadata of recording " + std::to_string(id));
  s.bind(1, id);
  if (!s.step()) throw NotFoundError(impl_->path.string() + ": no recording " + std::to_string(id));
  return read_meta(s, impl_->path.string());
}

std::optional<int64_t> RecordingLibrary::find_by_filename(const std::string& filename) const {
  auto c = impl_->pool.lease();
  Stmt s(*c, "SELECT id FROM recordings WHERE filename = ?1",
         "finding recording '" + filename + "'");
  s.bind(1, filename);
  if (!s.step()) return std::nullopt;
  return s.int64(0);
}

std::vector<RecordingMeta> RecordingLibrary::search(const SearchQuery& q) const {
  const Query query = build_search(q, impl_->path.string());
  auto c = impl_->pool.lease();
  Stmt s(*c, query.sql, "searching recordings");
  for (std::size_t i = 0; i < query.params.size(); ++i) {
    const int slot = static_cast<int>(i) + 1;
    std::visit([&](const auto& v) { s.bind(slot, v); }, query.params[i]);
  }
  std::vector<RecordingMeta> out;
  while (s.step()) out.push_back(read_meta(s, impl_->path.string()));
  return out;
}

int64_t RecordingLibrary::count() const {
  auto c = impl_->pool.lease();
  Stmt s(*c, "SELECT count(*) FROM recordings", "counting recordings");
  s.step();
  return s.int64(0);
}

namespace {

std::vector<std::pair<std::string, int64_t>> read_counts(const std::string& json) {
  std::vector<std::pair<std::string, int64_t>> out;
  for (const auto& pair : nlohmann::json::parse(json))
    out.emplace_back(pair.at(0).is_null() ? "" : pair.at(0).get<std::string>(),
                     pair.at(1).get<int64_t>());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

LibraryStats RecordingLibrary::stats() const {
  // Cached while nothing was committed since (one cheap statement per call): a server answering
  // GET /v1/library/stats at thousands of requests a second runs the aggregate once per change.
  StatsCache& cache = impl_->stats_cache;
  std::lock_guard lock(cache.mutex);
  const int64_t version = cache.data_version(impl_->path, impl_->options);
  if (cache.computed_at == version) return cache.stats;
  cache.stats = compute_stats();
  cache.computed_at = version;
  return cache.stats;
}

LibraryStats RecordingLibrary::compute_stats() const {
  // One statement, one round trip: the aggregates over the table plus the two group counts as
  // JSON arrays of [name, count].
  static constexpr const char* kSql = R"sql(
SELECT count(*),
       avg(CASE WHEN rating > 0 THEN rating END),
       min(CASE WHEN peak_club_speed > 0 THEN peak_club_speed END),
       max(CASE WHEN peak_club_speed > 0 THEN peak_club_speed END),
       avg(CASE WHEN peak_club_speed > 0 THEN peak_club_speed END),
       coalesce(sum(num_frames), 0),
       (SELECT coalesce(json_group_array(json_array(k, n)), '[]') FROM
          (SELECT coalesce(club_type, '') AS k, count(*) AS n FROM recordings GROUP BY 1)),
       (SELECT coalesce(json_group_array(json_array(k, n)), '[]') FROM
          (SELECT coalesce(swing_type, '') AS k, count(*) AS n FROM recordings GROUP BY 1))
FROM recordings
)sql";
  auto c = impl_->pool.lease();
  Stmt s(*c, kSql, "computing library statistics");
  s.step();
  LibraryStats st;
  st.count = s.int64(0);
  st.avg_rating = s.is_null(1) ? std::numeric_limits<double>::quiet_NaN() : s.real(1);
  // NULL (no recording with a known speed) is NaN: missing, never 0.
  const auto real_or_nan = [&](int col) {
    return s.is_null(col) ? std::numeric_limits<double>::quiet_NaN() : s.real(col);
  };
  st.min_peak_club_speed = real_or_nan(2);
  st.max_peak_club_speed = real_or_nan(3);
  st.avg_peak_club_speed = real_or_nan(4);
  st.total_frames = s.int64(5);
  try {
    st.by_club_type = read_counts(s.text(6));
    st.by_swing_type = read_counts(s.text(7));
  } catch (const nlohmann::json::exception& e) {
    throw StorageError(impl_->path.string() + ": computing library statistics: " + e.what());
  }
  return st;
}

void RecordingLibrary::update_meta(const RecordingMeta& meta) {
  const std::string what = describe(meta);
  validate_meta(meta, what);
  const auto tags = normalise_tags(meta.tags, what);
  auto c = impl_->pool.lease();
  Transaction tx(*c, "updating " + what);
  Stmt s(*c,
         "UPDATE recordings SET filename = ?1, golfer_name = ?2, date_recorded = ?3, "
         "club_type = ?4, model_name = ?5, swing_type = ?6, rating = ?7, tags = ?8, notes = ?9, "
         "duration = ?10, peak_club_speed = ?11, label = ?12, attributes = ?14 WHERE id = ?13",
         "updating " + what);
  s.bind(1, meta.filename).bind(2, meta.golfer_name).bind(3, meta.date_recorded);
  s.bind(4, meta.club_type).bind(5, meta.model_name).bind(6, meta.swing_type);
  s.bind(7, meta.rating).bind(8, join_tags(tags)).bind(9, meta.notes).bind(10, meta.duration);
  s.bind(11, meta.peak_club_speed).bind(12, meta.label).bind(13, meta.id);
  s.bind(14, attributes_json(meta.attributes));
  int constraint = 0;
  s.run(&constraint);
  if (constraint == SQLITE_CONSTRAINT_UNIQUE)
    throw InputError(impl_->path.string() + ": duplicate filename '" + meta.filename + "'");
  if (constraint) storage::fail(*c, constraint, "updating " + what);
  if (sqlite3_changes(c->db) == 0)
    throw NotFoundError(impl_->path.string() + ": no recording " + std::to_string(meta.id));
  Stmt drop(*c, "DELETE FROM recording_tags WHERE recording_id = ?1", "replacing tags of " + what);
  drop.bind(1, meta.id).run();
  Stmt insert(*c, "INSERT INTO recording_tags(recording_id, tag) VALUES (?1, ?2)",
              "replacing tags of " + what);
  Inserter::insert_tags(insert, meta.id, tags);
  tx.commit();
}

bool RecordingLibrary::remove(int64_t id) {
  auto c = impl_->pool.lease();
  Transaction tx(*c, "removing recording " + std::to_string(id));
  Stmt s(*c, "DELETE FROM recordings WHERE id = ?1", "removing recording " + std::to_string(id));
  s.bind(1, id).run();
  const bool removed = sqlite3_changes(c->db) > 0;
  tx.commit();
  return removed;
}

void RecordingLibrary::put_results(const std::vector<ResultRow>& rows) {
  for (const auto& r : rows)
    if (!nlohmann::json::accept(r.payload_json))
      throw InputError(impl_->path.string() + ": result of run '" + r.run_id + "', recording " +
                       std::to_string(r.recording_id) + ", analysis '" + r.analysis +
                       "': payload is not JSON");
  auto c = impl_->pool.lease();
  Transaction tx(*c, "storing " + std::to_string(rows.size()) + " result(s)");
  Stmt s(*c,
         "INSERT INTO results(run_id, recording_id, analysis, payload) VALUES (?1, ?2, ?3, ?4) "
         "ON CONFLICT(run_id, recording_id, analysis) DO UPDATE SET payload = excluded.payload, "
         "created_at = excluded.created_at",
         "storing results");
  for (const auto& r : rows) {
    s.bind(1, r.run_id).bind(2, r.recording_id).bind(3, r.analysis).bind(4, r.payload_json);
    int constraint = 0;
    s.run(&constraint);
    if (constraint == SQLITE_CONSTRAINT_FOREIGNKEY)
      throw NotFoundError(impl_->path.string() + ": result of run '" + r.run_id +
                          "' names recording " + std::to_string(r.recording_id) +
                          ", which does not exist");
    if (constraint) storage::fail(*c, constraint, "storing results of run '" + r.run_id + "'");
    s.reset();
  }
  tx.commit();
}

std::vector<ResultRow> RecordingLibrary::results(const std::string& run_id) const {
  auto c = impl_->pool.lease();
  Stmt s(*c,
         "SELECT run_id, recording_id, analysis, payload FROM results WHERE run_id = ?1 "
         "ORDER BY recording_id, analysis",
         "reading results of run '" + run_id + "'");
  s.bind(1, run_id);
  std::vector<ResultRow> out;
  while (s.step()) out.push_back({s.text(0), s.int64(1), s.text(2), s.text(3)});
  return out;
}

std::vector<int64_t> RecordingLibrary::completed(const std::string& run_id,
                                                 const std::vector<std::string>& analyses) const {
  std::vector<std::string> wanted;
  for (const auto& a : analyses)
    if (std::find(wanted.begin(), wanted.end(), a) == wanted.end()) wanted.push_back(a);
  auto c = impl_->pool.lease();
  if (wanted.empty()) {  // every recording has all of no analyses
    Stmt s(*c, "SELECT id FROM recordings ORDER BY id", "listing recordings");
    std::vector<int64_t> out;
    while (s.step()) out.push_back(s.int64(0));
    return out;
  }
  std::string sql = "SELECT recording_id FROM results WHERE run_id = ?1 AND analysis IN (";
  for (std::size_t i = 0; i < wanted.size(); ++i) sql += (i ? ", ?" : "?") + std::to_string(i + 2);
  sql += ") GROUP BY recording_id HAVING count(*) = ?" + std::to_string(wanted.size() + 2) +
         " ORDER BY recording_id";
  Stmt s(*c, sql, "finding completed recordings of run '" + run_id + "'");
  s.bind(1, run_id);
  for (std::size_t i = 0; i < wanted.size(); ++i) s.bind(static_cast<int>(i) + 2, wanted[i]);
  s.bind(static_cast<int>(wanted.size()) + 2, static_cast<int64_t>(wanted.size()));
  std::vector<int64_t> out;
  while (s.step()) out.push_back(s.int64(0));
  return out;
}

std::string RecordingLibrary::integrity_check() const {
  auto c = impl_->pool.lease();
  std::string problems;
  Stmt s(*c, "PRAGMA integrity_check", "checking integrity");
  while (s.step()) {
    const std::string line = s.text(0);
    if (line != "ok") problems += (problems.empty() ? "" : "\n") + line;
  }
  Stmt fk(*c, "PRAGMA foreign_key_check", "checking foreign keys");
  while (fk.step())
    problems += (problems.empty() ? "" : "\n") + std::string("foreign key violation in ") +
                fk.text(0) + " row " + std::to_string(fk.int64(1)) + " -> " + fk.text(2);
  return problems.empty() ? "ok" : problems;
}

void RecordingLibrary::close_all() {
  impl_->pool.close_all();
  std::lock_guard lock(impl_->stats_cache.mutex);
  impl_->stats_cache.close();
}

int RecordingLibrary::open_connections() const {
  return impl_->pool.open_connections();
}

}  // namespace swingpipe
