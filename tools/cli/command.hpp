#pragma once
// Subcommand registry: each cmd_<name>.cpp registers itself with SWINGPIPE_COMMAND, main.cpp adds
// them all to the CLI11 app in name order.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "swingpipe/error.hpp"

namespace swingpipe::cli {

/// Options every subcommand sees.
struct Globals {
  bool json = false;     ///< machine-readable output on stdout
  bool quiet = false;    ///< no progress bars or info logs
  bool verbose = false;  ///< debug logs
  std::string library;   ///< library database path (--library, $SWINGPIPE_LIBRARY, swingpipe.db)
};

/// The library of a command that only reads or changes existing recordings: NotFoundError when the
/// file does not exist (instead of silently creating an empty library).
inline const std::string& existing_library(const Globals& g) {
  if (!std::filesystem::exists(g.library))
    throw NotFoundError("library '" + g.library +
                        "' does not exist (create it with `swingpipe library init` or "
                        "`library import`, or name another with --library)");
  return g.library;
}

using Registrar = std::function<void(CLI::App& app, Globals& globals)>;

struct Command {
  std::string name;
  Registrar add;
};

std::vector<Command>& command_registry();

struct RegisterCommand {
  RegisterCommand(std::string name, Registrar add) {
    command_registry().push_back({std::move(name), std::move(add)});
  }
};

#define SWINGPIPE_COMMAND(name, fn)                                                    \
  static const ::swingpipe::cli::RegisterCommand swingpipe_command_registration_##fn { \
    name, fn                                                                           \
  }

}  // namespace swingpipe::cli
