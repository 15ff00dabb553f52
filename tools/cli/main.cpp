// swingpipe: golf-swing biomechanics batch pipeline. Subcommands live in cmd_*.cpp.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "command.hpp"
#include "swingpipe/error.hpp"

namespace swingpipe::cli {

std::vector<Command>& command_registry() {
  static std::vector<Command> registry;
  return registry;
}

}  // namespace swingpipe::cli

int main(int argc, char** argv) {
  using namespace swingpipe;
  CLI::App app{
      "swingpipe: turns golf-swing recordings into biomechanics results (DTW, statistics, ...)\n"
      "on CUDA when a GPU is present and on an optimized CPU backend otherwise."};
  app.require_subcommand(1);
  app.fallthrough();
  cli::Globals globals;
  if (const char* env = std::getenv("SWINGPIPE_LIBRARY")) globals.library = env;
  if (globals.library.empty()) globals.library = "swingpipe.db";
  app.add_flag("--json", globals.json, "Machine-readable JSON output on stdout");
  app.add_flag("-q,--quiet", globals.quiet, "No progress bars or informational logs");
  app.add_flag("-v,--verbose", globals.verbose, "Debug logs");
  app.add_option("--library", globals.library,
                 "Recording library (SQLite file); default $SWINGPIPE_LIBRARY or swingpipe.db");

  auto& registry = cli::command_registry();
  std::sort(registry.begin(), registry.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  for (auto& cmd : registry) cmd.add(app, globals);

  auto logger = spdlog::stderr_color_mt("swingpipe");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%^[%l]%$ %v");
  app.parse_complete_callback([&] {
    spdlog::set_level(globals.verbose ? spdlog::level::debug
                      : globals.quiet ? spdlog::level::warn
                                      : spdlog::level::info);
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, or the parse error and a hint
    return code == 0 ? 0 : 2;      // every command-line mistake is bad input
  } catch (const InputError& e) {
    std::cerr << "swingpipe: error: " << e.what() << "\n";
    return 2;
  } catch (const NotFoundError& e) {
    std::cerr << "swingpipe: error: " << e.what() << "\n";
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "swingpipe: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
