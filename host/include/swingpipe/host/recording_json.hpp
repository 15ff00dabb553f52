#pragma once
// Recording metadata as JSON: the one shape used by write_json, run exports and `--json` output.
#include <nlohmann/json.hpp>

#include "swingpipe/host/recording.hpp"

namespace swingpipe::io {

/// Every RecordingMeta field, keys in the library's column order.
nlohmann::ordered_json meta_to_json(const RecordingMeta& meta);

}  // namespace swingpipe::io
