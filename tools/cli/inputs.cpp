#include "inputs.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <stdexcept>

#include "swingpipe/host/io.hpp"
#include "swingpipe/host/library.hpp"

namespace swingpipe::cli {

bool is_id_input(const std::string& spec) {
  return spec.rfind("id:", 0) == 0;
}

std::vector<Recording> load_input(const std::string& command, const std::string& spec,
                                  const Globals& g) {
  if (is_id_input(spec)) {
    int64_t id = 0;
    try {
      std::size_t used = 0;
      id = std::stoll(spec.substr(3), &used);
      if (used != spec.size() - 3) id = 0;
    } catch (const std::exception&) {
      id = 0;
    }
    if (id < 1)
      throw InputError(command + ": '" + spec + "' is not a recording id (expected id:N, N >= 1)");
    RecordingLibrary lib(existing_library(g));
    std::vector<Recording> one;
    one.push_back(lib.get(id));
    return one;
  }
  if (!std::filesystem::exists(spec))
    throw NotFoundError(command + ": '" + spec + "' does not exist");
  return io::read_any(spec);
}

Recording load_one_input(const std::string& command, const std::string& spec, const Globals& g) {
  auto recs = load_input(command, spec, g);
  if (recs.size() != 1)
    throw InputError(fmt::format("{}: '{}' holds {} series; give a file with one (or id:N)",
                                 command, spec, recs.size()));
  if (recs[0].meta.filename.empty()) recs[0].meta.filename = spec;
  return std::move(recs[0]);
}

}  // namespace swingpipe::cli
