#pragma once
// Helpers for the storage tests: deterministic and random recordings, raw SQL on the file.
#include <sqlite3.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "swingpipe/host/library.hpp"
#include "test_support.hpp"

namespace swingpipe::test {

/// A recording whose every value follows from `seed` (so a reader can check it knowing only that).
inline Recording deterministic_recording(const std::string& filename, uint64_t seed,
                                         int channels = 3, int64_t frames = 50) {
  Recording r;
  r.meta.filename = filename;
  r.meta.golfer_name = "golfer " + std::to_string(seed % 7);
  r.meta.date_recorded =
      "2024-01-" + std::string(seed % 28 + 1 < 10 ? "0" : "") + std::to_string(seed % 28 + 1);
  r.meta.club_type = seed % 2 ? "driver" : "iron";
  r.meta.swing_type = "full";
  r.meta.rating = static_cast<int>(seed % 6);
  r.meta.num_frames = frames;
  r.sample_rate = 240;
  for (int c = 0; c < channels; ++c) r.channels.push_back("q[" + std::to_string(c) + "]");
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> d(-10, 10);
  r.data.resize(static_cast<std::size_t>(channels * frames));
  for (auto& x : r.data) x = d(gen);
  return r;
}

inline Recording random_recording(std::mt19937_64& rng, const std::string& filename,
                                  int channels = 2, int64_t frames = 40) {
  return deterministic_recording(filename, rng(), channels, frames);
}

/// Bitwise equality (NaN payloads included).
inline bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

/// A raw connection for tests that must step around the library.
class RawDb {
 public:
  explicit RawDb(const std::filesystem::path& p) {
    if (sqlite3_open(p.string().c_str(), &db_) != SQLITE_OK)
      throw std::runtime_error("open " + p.string());
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error(sql + ": " + msg);
    }
  }
  int64_t scalar(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
      throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
    int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    return v;
  }
  sqlite3* get() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace swingpipe::test
