#pragma once
// Recording metadata as JSON: the one shape used by write_json, run exports and `--json` output.
#include <nlohmann/json.hpp>

#include "swingpipe/host/library.hpp"
#include "swingpipe/host/recording.hpp"

namespace swingpipe::io {

/// Every RecordingMeta field, keys in the library's column order.
nlohmann::ordered_json meta_to_json(const RecordingMeta& meta);

/// One series value as JSON: a number, null for NaN (missing), "inf" / "-inf" for +-inf (JSON has
/// no infinity; read_json reads these back when infinities are allowed).
nlohmann::ordered_json value_to_json(double v);

/// The metadata plus sample_rate and channels; with `with_data`, "data": {channel: [values]}
/// (each value as value_to_json writes it). `library show --json` and the HTTP API print this.
nlohmann::ordered_json recording_to_json(const Recording& rec, bool with_data);

/// Library statistics (unknown averages as null): `library stats --json` and the HTTP API.
nlohmann::ordered_json stats_to_json(const LibraryStats& stats);

}  // namespace swingpipe::io
