// RecordingLibrary: round trips, edges, search, stats, updates and results.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "storage_test_util.hpp"
#include "swingpipe/error.hpp"

namespace swingpipe {
namespace {

using test::deterministic_recording;
using test::same_bits;
using test::TempDir;

TEST(Library, RoundTripKeepsEveryFieldAndVerifiesChecksum) {
  TempDir dir;
  RecordingLibrary lib(dir / "library.db");
  auto rng = test::fresh_rng();
  Recording r = test::random_recording(rng, "swing-1.csv", 4, 123);
  r.meta.tags = {" driver", "range ", "driver"};  // normalised: trimmed, deduplicated
  r.meta.notes = "windy";
  r.meta.model_name = "humanoid";
  r.meta.duration = 1.25;
  r.meta.peak_club_speed = 44.5;
  r.meta.label = "good";
  const int64_t id = lib.add(r);
  EXPECT_GT(id, 0);
  const Recording back = lib.get(id);
  EXPECT_EQ(back.meta.id, id);
  EXPECT_EQ(back.meta.filename, "swing-1.csv");
  EXPECT_EQ(back.meta.golfer_name, r.meta.golfer_name);
  EXPECT_EQ(back.meta.date_recorded, r.meta.date_recorded);
  EXPECT_EQ(back.meta.club_type, r.meta.club_type);
  EXPECT_EQ(back.meta.model_name, "humanoid");
  EXPECT_EQ(back.meta.swing_type, "full");
  EXPECT_EQ(back.meta.rating, r.meta.rating);
  EXPECT_EQ(back.meta.tags, (std::vector<std::string>{"driver", "range"}));
  EXPECT_EQ(back.meta.notes, "windy");
  EXPECT_EQ(back.meta.duration, 1.25);
  EXPECT_EQ(back.meta.peak_club_speed, 44.5);
  EXPECT_EQ(back.meta.num_frames, 123);
  EXPECT_EQ(back.meta.label, "good");
  EXPECT_EQ(back.meta.checksum.size(), 64u);
  EXPECT_EQ(back.sample_rate, 240);
  EXPECT_EQ(back.channels, r.channels);
  EXPECT_TRUE(same_bits(back.data, r.data));
  EXPECT_EQ(lib.get_meta(id).checksum, back.meta.checksum);
  EXPECT_EQ(lib.find_by_filename("swing-1.csv"), id);
  EXPECT_EQ(lib.find_by_filename("nope"), std::nullopt);
  EXPECT_EQ(lib.count(), 1);
  EXPECT_EQ(RecordingLibrary::schema_version(), 2);
}

TEST(Library, EdgeSizesAndNaNRoundTripBitExactly) {
  TempDir dir;
  RecordingLibrary lib(dir / "library.db");
  Recording empty = deterministic_recording("empty", 1, 3, 0);
  Recording one = deterministic_recording("one", 2, 5, 1);
  Recording nans = deterministic_recording("nans", 3, 2, 4);
  nans.data[0] = std::numeric_limits<double>::quiet_NaN();
  nans.data[1] = -std::numeric_limits<double>::quiet_NaN();
  nans.data[2] = std::numeric_limits<double>::infinity();
  nans.data[3] = -0.0;
  nans.data[4] = std::numeric_limits<double>::denorm_min();
  Recording no_channels = deterministic_recording("none", 4, 0, 0);
  Recording huge = deterministic_recording("huge", 5, 4, 500'000);  // 2M values, 16 MB
  for (const auto* r : {&empty, &one, &nans, &no_channels, &huge}) {
    const Recording back = lib.get(lib.add(*r));
    EXPECT_EQ(back.meta.num_frames, r->meta.num_frames) << r->meta.filename;
    EXPECT_EQ(back.channels, r->channels) << r->meta.filename;
    EXPECT_TRUE(same_bits(back.data, r->data)) << r->meta.filename;
  }
  EXPECT_EQ(lib.stats().total_frames, 0 + 1 + 4 + 0 + 500'000);
}

TEST(Library, ErrorsNameTheInput) {
  TempDir dir;
  RecordingLibrary lib(dir / "library.db");
  EXPECT_THROW(lib.get(42), NotFoundError);
  EXPECT_THROW(lib.get_meta(42), NotFoundError);
  RecordingMeta ghost;
  ghost.id = 42;
  ghost.filename = "ghost";
  EXPECT_THROW(lib.update_meta(ghost), NotFoundError);
  EXPECT_FALSE(lib.remove(42));
  SearchQuery q;
  q.order_by = "rating; DROP TABLE recordings";
  try {
    lib.search(q);
    FAIL() << "bad order_by accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("rating; DROP TABLE recordings"), std::string::npos);
  }
  lib.add(deterministic_recording("a.csv", 1));
  try {
    lib.add(deterministic_recording("a.csv", 2));
    FAIL() << "duplicate accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("a.csv"), std::string::npos) << e.what();
  }
  Recording bad = deterministic_recording("bad.csv", 3);
  bad.data.pop_back();
  EXPECT_THROW(lib.add(bad), InputError);
  Recording comma = deterministic_recording("comma.csv", 3);
  comma.meta.tags = {"a,b"};
  EXPECT_THROW(lib.add(comma), InputError);
  EXPECT_EQ(lib.count(), 1);
}

TEST(Library, AddAllIsAllOrNothing) {
  TempDir dir;
  RecordingLibrary lib(dir / "library.db");
  lib.add(deterministic_recording("taken", 1));
  std::vector<Recording> batch;
  for (int i = 0; i < 5; ++i) batch.push_back(deterministic_recording("b" + std::to_string(i), i));
  batch.push_back(deterministic_recording("taken", 9));
  try {
    lib.add_all(batch);
    FAIL() << "duplicate accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'taken'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(lib.count(), 1);
  EXPECT_EQ(lib.find_by_filename("b0"), std::nullopt);
  batch.pop_back();
  const auto ids = lib.add_all(batch);
  ASSERT_EQ(ids.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(lib.get(ids[i]).meta.filename, "b" + std::to_string(i));
  EXPECT_EQ(lib.count(), 6);
  EXPECT_EQ(lib.integrity_check(), "ok");
}

TEST(Library, SearchFilters) {
  TempDir dir;
  RecordingLibrary lib(dir / "library.db");
  auto make = [&](const std::string& name, const std::string& golfer, const std::string& date,
                  const std::string& club, int rating, std::vector<std::string> tags) {
    Recording r = deterministic_recording(name, name.size(), 1, 3);
    r.meta.golfer_name = golfer;
    r.meta.date_recorded = date;
    r.meta.club_type = club;
    r.meta.rating = rating;
    r.meta.tags = std::move(tags);
    return lib.add(r);
  };
  const int64_t a = make("a", "Ann Smith", "2024-03-01", "driver", 5, {"driver", "range"});
  const int64_t b = make("b", "Bob SMITHERS", "2024-03-01T18:30:00", "iron", 3, {"range"});
  const int64_t c = make("c", "Cy", "2024-03-02", "driver", 1, {"driver-fit"});
  const int64_t d = make("d", "Dee", "2024-02-28", "putter", 0, {});
  auto ids = [&](const SearchQuery& q) {
    std::vector<int64_t> out;
    for (const auto& m : lib.search(q)) out.push_back(m.id);
    return out;
  };
  using V = std::vector<int64_t>;
  SearchQuery q;
  EXPECT_EQ(ids(q), (V{a, b, c, d}));
  q.golfer = "smith";  // case-insensitive substring
  EXPECT_EQ(ids(q), (V{a, b}));
  q = {};
  q.date_from = "2024-03-01";
  q.date_to = "2024-03-01";  // inclusive: takes the evening of the 1st too
  EXPECT_EQ(ids(q), (V{a, b}));
  q = {};
  q.tags = {"driver"};  // exact tag: not "driver-fit"
  EXPECT_EQ(ids(q), (V{a}));
  q.tags = {"driver", "range"};
  EXPECT_EQ(ids(q), (V{a}));
  q.tags = {"range"};
  EXPECT_EQ(ids(q), (V{a, b}));
  q = {};
  q.club_type = "driver";
  q.min_rating = 2;
  EXPECT_EQ(ids(q), (V{a}));
  q = {};
  q.order_by = "rating";
  q.descending = true;
  EXPECT_EQ(ids(q), (V{a, b, c, d}));
  q.limit = 2;
  q.offset = 1;
  EXPECT_EQ(ids(q), (V{b, c}));
  q = {};
  q.order_by = "date_recorded";
  EXPECT_EQ(ids(q), (V{d, a, b, c}));
}

TEST(Library, StatsInOneStatement) {
  TempDir dir;
  RecordingLibrary lib(dir / "library.db");
  LibraryStats empty = lib.stats();
  EXPECT_EQ(empty.count, 0);
  EXPECT_TRUE(std::isnan(empty.avg_rating));
  EXPECT_TRUE(std::isnan(empty.min_peak_club_speed));
  EXPECT_TRUE(std::isnan(empty.max_peak_club_speed));
  EXPECT_TRUE(std::isnan(empty.avg_peak_club_speed));
  EXPECT_EQ(empty.total_frames, 0);
  EXPECT_TRUE(empty.by_club_type.empty());
  EXPECT_TRUE(empty.by_swing_type.empty());

  auto rng = test::fresh_rng();
  std::uniform_int_distribution<int> rating(0, 5), frames(0, 30), pick(0, 2);
  std::uniform_real_distribution<double> speed(0, 60);
  const std::vector<std::string> clubs = {"driver", "iron", "wedge"}, swings = {"full", "chip", ""};
  int64_t total = 0, rated = 0, rating_sum = 0, fast = 0;
  double lo = 1e9, hi = 0, speed_sum = 0;
  std::map<std::string, int64_t> by_club, by_swing;
  const int n = 40;
  for (int i = 0; i < n; ++i) {
    Recording r = deterministic_recording("s" + std::to_string(i), rng(), 2, frames(rng));
    r.meta.rating = rating(rng);
    r.meta.peak_club_speed = i % 4 == 0 ? 0 : speed(rng);
    r.meta.club_type = clubs[pick(rng)];
    r.meta.swing_type = swings[pick(rng)];
    lib.add(r);
    total += r.meta.num_frames;
    if (r.meta.rating > 0) ++rated, rating_sum += r.meta.rating;
    if (r.meta.peak_club_speed > 0) {
      ++fast;
      lo = std::min(lo, r.meta.peak_club_speed);
      hi = std::max(hi, r.meta.peak_club_speed);
      speed_sum += r.meta.peak_club_speed;
    }
    ++by_club[r.meta.club_type];
    ++by_swing[r.meta.swing_type];
  }
  const LibraryStats s = lib.stats();
  EXPECT_EQ(s.count, n);
  EXPECT_DOUBLE_EQ(s.avg_rating, static_cast<double>(rating_sum) / static_cast<double>(rated));
  EXPECT_EQ(s.min_peak_club_speed, lo);
  EXPECT_EQ(s.max_peak_club_speed, hi);
  EXPECT_NEAR(s.avg_peak_club_speed, speed_sum / static_cast<double>(fast), 1e-12);
  EXPECT_EQ(s.total_frames, total);
  EXPECT_EQ(s.by_club_type,
            (std::vector<std::pair<std::string, int64_t>>(by_club.begin(), by_club.end())));
  EXPECT_EQ(s.by_swing_type,
            (std::vector<std::pair<std::string, int64_t>>(by_swing.begin(), by_swing.end())));
}

TEST(Library, UpdateMetaAndRemove) {
  TempDir dir;
  RecordingLibrary lib(dir / "library.db");
  const Recording r = deterministic_recording("u.csv", 7);
  const int64_t id = lib.add(r);
  lib.add(deterministic_recording("other.csv", 8));
  RecordingMeta m = lib.get_meta(id);
  m.golfer_name = "New Name";
  m.tags = {"lesson"};
  m.rating = 4;
  lib.update_meta(m);
  const Recording back = lib.get(id);
  EXPECT_EQ(back.meta.golfer_name, "New Name");
  EXPECT_EQ(back.meta.rating, 4);
  EXPECT_TRUE(same_bits(back.data, r.data));
  SearchQuery q;
  q.tags = {"lesson"};
  ASSERT_EQ(lib.search(q).size(), 1u);
  m.filename = "other.csv";
  EXPECT_THROW(lib.update_meta(m), InputError);
  lib.put_results({{"run", id, "dtw", "{}"}});
  EXPECT_TRUE(lib.remove(id));
  EXPECT_FALSE(lib.remove(id));
  EXPECT_THROW(lib.get(id), NotFoundError);
  EXPECT_TRUE(lib.search(q).empty());
  EXPECT_TRUE(lib.results("run").empty());
  EXPECT_EQ(lib.count(), 1);
  EXPECT_EQ(lib.integrity_check(), "ok");
}

TEST(Library, ResultsUpsertAndCompleted) {
  TempDir dir;
  RecordingLibrary lib(dir / "library.db");
  std::vector<int64_t> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(lib.add(deterministic_recording(std::to_string(i), i)));
  lib.put_results({{"r1", ids[0], "dtw", R"({"d":1})"},
                   {"r1", ids[0], "cwt", R"({"p":[1,2]})"},
                   {"r1", ids[1], "dtw", R"({"d":2})"},
                   {"r2", ids[2], "dtw", R"({"d":3})"}});
  lib.put_results({{"r1", ids[1], "dtw", R"({"d":20})"}});  // upsert
  const auto rows = lib.results("r1");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2].recording_id, ids[1]);
  EXPECT_EQ(rows[2].payload_json, R"({"d":20})");
  EXPECT_EQ(lib.completed("r1", {"dtw", "cwt"}), (std::vector<int64_t>{ids[0]}));
  EXPECT_EQ(lib.completed("r1", {"dtw"}), (std::vector<int64_t>{ids[0], ids[1]}));
  EXPECT_EQ(lib.completed("r1", {"dtw", "dtw"}), (std::vector<int64_t>{ids[0], ids[1]}));
  EXPECT_EQ(lib.completed("r3", {"dtw"}), (std::vector<int64_t>{}));
  EXPECT_THROW(lib.put_results({{"r1", ids[0], "x", "not json"}}), InputError);
  EXPECT_THROW(lib.put_results({{"r1", ids[0], "rqa", "{}"}, {"r1", 999, "rqa", "{}"}}),
               NotFoundError);
  EXPECT_TRUE(lib.completed("r1", {"rqa"}).empty());  // nothing of the failed batch stored
}

}  // namespace
}  // namespace swingpipe

namespace swingpipe {
namespace {

TEST(Library, UnitsMustBeOnePerChannelOrNone) {
  test::TempDir dir;
  RecordingLibrary lib(dir / "library.db");
  Recording r = test::deterministic_recording("u.csv", 5, 3, 4);
  r.units = {"mm"};
  EXPECT_THROW(lib.add(r), InputError);
  EXPECT_EQ(lib.count(), 0);
  r.units = {"mm", "mm", "deg"};
  EXPECT_EQ(lib.get(lib.add(r)).units, r.units);
}

// Statements are prepared once per connection and reused (host/storage/sqlite.cpp): a reused
// statement must not keep an old snapshot (it is reset after use), must not keep old bindings,
// and must survive failed transactions and close_all().
TEST(Library, ReusedStatementsSeeOtherWritersAndKeepNoState) {
  TempDir dir;
  RecordingLibrary a(dir / "library.db", {.max_connections = 1});
  RecordingLibrary b(dir / "library.db", {.max_connections = 1});
  auto rng = test::fresh_rng();
  std::vector<int64_t> ids;
  for (int round = 0; round < 20; ++round) {
    const Recording r =
        test::random_recording(rng, "r" + std::to_string(round) + ".csv", 1 + round % 3, 5 + round);
    const int64_t id = a.add(r);
    const Recording back = a.get(id);  // the same cached SELECT, new binding each round
    EXPECT_EQ(back.meta.filename, r.meta.filename);
    EXPECT_TRUE(test::same_bits(back.data, r.data));
    // The other library's write is seen at once: no cached statement of `a` holds a read.
    const Recording other = test::random_recording(rng, "b" + std::to_string(round) + ".csv", 2, 4);
    const int64_t other_id = b.add(other);
    EXPECT_EQ(a.count(), static_cast<int64_t>(ids.size()) + 2);
    EXPECT_EQ(a.get(other_id).meta.filename, other.meta.filename);
    EXPECT_TRUE(b.remove(other_id));
    // A refused add (duplicate filename) rolls back and leaves the statements usable.
    EXPECT_THROW(a.add_all({r}), InputError);
    EXPECT_EQ(a.count(), static_cast<int64_t>(ids.size()) + 1);
    if (round % 5 == 4) a.close_all();  // cached statements are finalized with the connection
    ids.push_back(id);
  }
  for (const int64_t id : ids) EXPECT_TRUE(a.remove(id));
  EXPECT_FALSE(a.remove(ids.front()));  // the cached DELETE, bound again: nothing left
  EXPECT_EQ(a.count(), 0);
  EXPECT_EQ(b.count(), 0);
  EXPECT_EQ(a.integrity_check(), "ok");
}

}  // namespace
}  // namespace swingpipe
