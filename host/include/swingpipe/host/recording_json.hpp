#pragma once
// Recording metadata as JSON: the one shape used by write_json, run exports and `--json` output.
#include <nlohmann/json.hpp>

#include "swingpipe/host/library.hpp"
#include "swingpipe/host/recording.hpp"

namespace swingpipe::io {

/// Every RecordingMeta field, keys in the library's column order.
nlohmann::ordered_json meta_to_json(const RecordingMeta& meta);

/// The metadata plus sample_rate and channels; with `with_data`, "data": {channel: [values]}
/// (NaN as null). `library show --json` and the HTTP API print this.
nlohmann::ordered_json recording_to_json(const Recording& rec, bool with_data);

/// Library statistics (unknown averages as null): `library stats --json` and the HTTP API.
nlohmann::ordered_json stats_to_json(const LibraryStats& stats);

}  // namespace swingpipe::io
