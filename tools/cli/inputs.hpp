#pragma once
// The inputs of the analysis commands (dtw, cwt, lag, rqa): a file or `id:N`, a library recording.
#include <string>
#include <vector>

#include "command.hpp"
#include "swingpipe/host/recording.hpp"

namespace swingpipe::cli {

/// True when `spec` names a library recording (`id:...`).
bool is_id_input(const std::string& spec);

/// The recordings `spec` names: `id:N` (N >= 1) is that recording of the library (which must
/// exist); anything else is a file, every series in it. Errors start with `command`: InputError
/// for a malformed id, NotFoundError for a missing file, recording or library.
std::vector<Recording> load_input(const std::string& command, const std::string& spec,
                                  const Globals& g);

/// The one recording `spec` names: as load_input, InputError when a file holds several series or
/// none. A file's recording without a filename is given `spec` as one.
Recording load_one_input(const std::string& command, const std::string& spec, const Globals& g);

}  // namespace swingpipe::cli
