// Hostile strings in every filter match literally and change nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

#include "storage_test_util.hpp"
#include "swingpipe/error.hpp"

namespace swingpipe {
namespace {

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

const std::vector<std::string> kHostile = {"'; DROP TABLE recordings; --",
                                           "%",
                                           "_",
                                           "\" OR 1=1 --",
                                           "O'Brien%",
                                           "O'Brien",
                                           "a_b",
                                           "100%",
                                           "back\\slash\\",
                                           "' OR '1'='1",
                                           "ünïcødé 高尔夫 ⛳",
                                           "Robert'); DELETE FROM series;--",
                                           "*",
                                           "[a-z]",
                                           "plain"};

TEST(LibraryInjection, HostileStringsMatchLiterallyInEveryFilter) {
  test::TempDir dir;
  RecordingLibrary lib(dir / "library.db");
  std::map<int64_t, std::string> value_of;
  for (std::size_t i = 0; i < kHostile.size(); ++i) {
    const std::string& s = kHostile[i];
    Recording r = test::deterministic_recording(s, i, 1, 2);
    r.meta.golfer_name = s;
    r.meta.club_type = s;
    r.meta.swing_type = s;
    r.meta.label = s;
    r.meta.date_recorded = s;
    r.meta.tags = {s};
    value_of[lib.add(r)] = s;
  }
  const int64_t count = lib.count();
  auto ids = [&](const SearchQuery& q) {
    std::vector<int64_t> out;
    for (const auto& m : lib.search(q)) out.push_back(m.id);
    return out;
  };
  for (const auto& s : kHostile) {
    SCOPED_TRACE(s);
    std::vector<int64_t> exact, containing, dated;
    for (const auto& [id, v] : value_of) {
      if (v == s) exact.push_back(id);
      if (lower(v).find(lower(s)) != std::string::npos) containing.push_back(id);
      if (v >= s && v.substr(0, s.size()) <= s) dated.push_back(id);
    }
    ASSERT_EQ(exact.size(), 1u);
    SearchQuery q;
    q.golfer = s;
    EXPECT_EQ(ids(q), containing);
    q = {};
    q.club_type = s;
    EXPECT_EQ(ids(q), exact);
    q = {};
    q.swing_type = s;
    EXPECT_EQ(ids(q), exact);
    q = {};
    q.label = s;
    EXPECT_EQ(ids(q), exact);
    q = {};
    q.tags = {s};
    EXPECT_EQ(ids(q), exact);
    q = {};
    q.date_from = s;
    q.date_to = s;
    EXPECT_EQ(ids(q), dated);
    EXPECT_EQ(lib.find_by_filename(s), exact.front());
    q = {};
    q.order_by = s;
    EXPECT_THROW(lib.search(q), InputError);
    EXPECT_TRUE(lib.completed(s, {s}).empty());
    EXPECT_TRUE(lib.results(s).empty());
  }
  // A golfer literally named O'Brien% is found by its exact substring, not by a wildcard.
  SearchQuery q;
  q.golfer = "o'brien%";
  ASSERT_EQ(lib.search(q).size(), 1u);
  EXPECT_EQ(lib.search(q).front().golfer_name, "O'Brien%");
  q.golfer = "O'Brien_";
  EXPECT_TRUE(lib.search(q).empty());
  EXPECT_EQ(lib.count(), count);
  EXPECT_EQ(lib.integrity_check(), "ok");
  for (const auto& [id, v] : value_of) EXPECT_EQ(lib.get(id).meta.golfer_name, v);
}

}  // namespace
}  // namespace swingpipe
