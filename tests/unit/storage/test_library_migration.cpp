// A Python-suite library.db (user_version 0, one `recordings` table) upgrades in place.
#include <gtest/gtest.h>

#include "storage_test_util.hpp"
#include "swingpipe/error.hpp"

namespace swingpipe {
namespace {

// The Python suite's schema, verbatim.
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
INSERT INTO recordings(filename, golfer_name, date_recorded, club_type, model_name, swing_type,
                       rating, tags, notes, duration, peak_club_speed, num_frames, checksum)
VALUES ('swing_001.json', 'Tiger', '2023-05-01T10:00:00', 'driver', 'humanoid_cm', 'full', 5,
        'driver,range', 'first', 1.5, 48.25, 360, 'abc123'),
       ('swing_002.json', 'Annika', '2023-05-02', 'iron', 'humanoid_cm', 'half', 3,
        'range, lesson ,', NULL, 1.0, 0.0, 240, NULL),
       ('swing_003.json', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
)sql";

void expect_legacy_rows(RecordingLibrary& lib) {
  const RecordingMeta a = lib.get_meta(1);
  EXPECT_EQ(a.filename, "swing_001.json");
  EXPECT_EQ(a.golfer_name, "Tiger");
  EXPECT_EQ(a.date_recorded, "2023-05-01T10:00:00");
  EXPECT_EQ(a.club_type, "driver");
  EXPECT_EQ(a.model_name, "humanoid_cm");
  EXPECT_EQ(a.swing_type, "full");
  EXPECT_EQ(a.rating, 5);
  EXPECT_EQ(a.tags, (std::vector<std::string>{"driver", "range"}));
  EXPECT_EQ(a.notes, "first");
  EXPECT_EQ(a.duration, 1.5);
  EXPECT_EQ(a.peak_club_speed, 48.25);
  EXPECT_EQ(a.num_frames, 360);
  EXPECT_EQ(a.checksum, "abc123");  // the Python value, kept as it was
  EXPECT_EQ(a.label, "");
  const RecordingMeta b = lib.get_meta(2);
  EXPECT_EQ(b.golfer_name, "Annika");
  EXPECT_EQ(b.tags, (std::vector<std::string>{"range", "lesson"}));
  EXPECT_EQ(b.notes, "");
  EXPECT_EQ(b.num_frames, 240);
  const RecordingMeta c = lib.get_meta(3);
  EXPECT_EQ(c.filename, "swing_003.json");
  EXPECT_EQ(c.golfer_name, "");
  EXPECT_TRUE(c.tags.empty());
  // Legacy rows have no series: get() gives the metadata, no channels, no data.
  const Recording full = lib.get(1);
  EXPECT_EQ(full.meta.golfer_name, "Tiger");
  EXPECT_TRUE(full.channels.empty());
  EXPECT_TRUE(full.data.empty());
  EXPECT_EQ(full.sample_rate, 0);

  auto ids = [&](std::vector<std::string> tags) {
    SearchQuery q;
    q.tags = std::move(tags);
    std::vector<int64_t> out;
    for (const auto& m : lib.search(q)) out.push_back(m.id);
    return out;
  };
  EXPECT_EQ(ids({"range"}), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(ids({"driver"}), (std::vector<int64_t>{1}));
  EXPECT_EQ(ids({"lesson"}), (std::vector<int64_t>{2}));
  EXPECT_EQ(ids({"driver,range"}), (std::vector<int64_t>{}));  // a tag, not the column text
  EXPECT_EQ(ids({"rang"}), (std::vector<int64_t>{}));
  EXPECT_EQ(lib.integrity_check(), "ok");
}

TEST(LibraryMigration, UpgradesPythonLibraryInPlaceKeepingEveryRow) {
  test::TempDir dir;
  const auto path = dir / "library.db";
  {
    test::RawDb raw(path);
    raw.exec(kPythonSchema);
    ASSERT_EQ(raw.scalar("PRAGMA user_version"), 0);
  }
  {
    RecordingLibrary lib(path);
    EXPECT_EQ(lib.count(), 3);
    expect_legacy_rows(lib);
    // New recordings live beside the legacy ones.
    const int64_t id = lib.add(test::deterministic_recording("new.csv", 11));
    EXPECT_EQ(id, 4);
    EXPECT_EQ(lib.get(id).data, test::deterministic_recording("new.csv", 11).data);
  }
  {
    test::RawDb raw(path);
    EXPECT_EQ(raw.scalar("PRAGMA user_version"), RecordingLibrary::schema_version());
    // The Python suite still reads its table: same columns, tags still comma-separated.
    EXPECT_EQ(raw.scalar("SELECT count(*) FROM recordings WHERE tags = 'driver,range'"), 1);
    EXPECT_EQ(raw.scalar("SELECT count(*) FROM recording_tags"), 4);
    EXPECT_EQ(raw.scalar("SELECT count(*) FROM recordings WHERE checksum = 'abc123'"), 1);
  }
  for (int again = 0; again < 2; ++again) {  // reopening is idempotent
    RecordingLibrary lib(path);
    EXPECT_EQ(lib.count(), 4);
    expect_legacy_rows(lib);
    test::RawDb raw(path);
    EXPECT_EQ(raw.scalar("SELECT count(*) FROM recording_tags"), 4);
    EXPECT_EQ(raw.scalar("PRAGMA user_version"), RecordingLibrary::schema_version());
  }
}

TEST(LibraryMigration, FreshFileAndNewerVersion) {
  test::TempDir dir;
  {
    RecordingLibrary lib(dir / "fresh.db");
    EXPECT_EQ(lib.count(), 0);
  }
  {
    test::RawDb raw(dir / "fresh.db");
    EXPECT_EQ(raw.scalar("PRAGMA user_version"), 2);
    raw.exec("PRAGMA user_version = 99");
  }
  try {
    RecordingLibrary lib(dir / "fresh.db");
    FAIL() << "opened a newer schema";
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("99"), std::string::npos) << e.what();
  }
}

TEST(LibraryMigration, Version1GainsAttributesAndUnitsKeepingItsRows) {
  test::TempDir dir;
  const auto path = dir / "library.db";
  const Recording a = test::deterministic_recording("a.csv", 3);
  {
    RecordingLibrary lib(path);
    lib.add(a);
  }
  {  // back to version 1: the columns version 2 added are dropped
    test::RawDb raw(path);
    raw.exec(
        "ALTER TABLE recordings DROP COLUMN attributes; ALTER TABLE series DROP COLUMN units; "
        "PRAGMA user_version = 1");
  }
  RecordingLibrary lib(path);
  const Recording back = lib.get(1);
  EXPECT_EQ(back.data, a.data);
  EXPECT_TRUE(back.meta.attributes.empty());
  EXPECT_TRUE(back.units.empty());
  Recording b = test::deterministic_recording("b.c3d", 4, 2, 5);
  b.units = {"mm", ""};
  b.meta.attributes = {{"format", "C3D"}, {"first_frame", "705"}};
  const int64_t id = lib.add(b);
  const Recording got = lib.get(id);
  EXPECT_EQ(got.units, b.units);
  EXPECT_EQ(got.meta.attributes, b.meta.attributes);
  RecordingMeta m = lib.get_meta(id);
  m.rating = 4;
  lib.update_meta(m);
  EXPECT_EQ(lib.get_meta(id).attributes, b.meta.attributes);
  test::RawDb raw(path);
  EXPECT_EQ(raw.scalar("PRAGMA user_version"), 2);
  EXPECT_EQ(lib.integrity_check(), "ok");
}

TEST(LibraryMigration, ReadOnlyReadsButDoesNotWrite) {
  test::TempDir dir;
  const auto path = dir / "library.db";
  {
    RecordingLibrary lib(path);
    lib.add(test::deterministic_recording("a", 1));
  }
  RecordingLibrary::Options ro;
  ro.read_only = true;
  RecordingLibrary lib(path, ro);
  EXPECT_EQ(lib.count(), 1);
  EXPECT_THROW(lib.add(test::deterministic_recording("b", 2)), StorageError);
  EXPECT_EQ(lib.count(), 1);
}

}  // namespace
}  // namespace swingpipe
