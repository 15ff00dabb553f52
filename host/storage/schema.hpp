#pragma once
// Private to host/storage: the library's schema and its forward migrations, versioned with
// PRAGMA user_version.
//   0  the Python suite's `library.db` (one `recordings` table), or an empty file
//   1  + recordings.label, series (blob, channels, sample rate, checksum), recording_tags
//      (one row per normalised tag), results (pipeline runs), indexes
//   2  + recordings.attributes (JSON object of facts from the source file), series.units (JSON
//      array, one unit per channel; NULL when none is known)
#include <string>
#include <vector>

#include "storage/sqlite.hpp"

namespace swingpipe::storage {

inline constexpr int kSchemaVersion = 2;

/// Brings the database to kSchemaVersion in one IMMEDIATE transaction (all steps or none). A
/// read-only library only checks the version. StorageError for a version newer than this build.
void migrate(const Connection& c, bool read_only);

/// Splits a comma-separated tag string, trims ASCII whitespace, drops empties and duplicates.
std::vector<std::string> split_tags(const std::string& csv);

}  // namespace swingpipe::storage
