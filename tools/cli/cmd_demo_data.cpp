// `swingpipe demo-data`: deterministic golf-like swings for the demo library.
#include <spdlog/spdlog.h>

#include <optional>

#include "command.hpp"
#include "output.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/demo_swing.hpp"
#include "swingpipe/host/io.hpp"
#include "swingpipe/host/library.hpp"
#include "swingpipe/pipeline/progress.hpp"

namespace swingpipe::cli {
namespace {

void add_demo_data(CLI::App& app, Globals& g) {
  auto opt = std::make_shared<demo::SwingOptions>();
  auto out_dir = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "demo-data",
      "Generate deterministic golf-like multi-joint swings (same seed, same data on every "
      "machine) into the library, or as CSV files with --out");
  cmd->add_option("--count", opt->count, "Number of swings")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--seed", opt->seed, "Random seed")->capture_default_str();
  cmd->add_option("--sample-rate", opt->sample_rate, "Hz")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--out", *out_dir, "Write CSV files into this folder instead of the library");
  cmd->callback([&g, opt, out_dir] {
    // Streamed: swings are made one at a time and stored in batches of kBatch (one transaction
    // each), so memory stays at one batch however many swings are asked for.
    constexpr std::size_t kBatch = 256;
    pipeline::Progress progress(
        "demo-data", opt->count,
        g.quiet ? pipeline::Progress::Mode::never : pipeline::Progress::Mode::automatic);
    std::vector<std::string> written;
    std::vector<int64_t> ids;
    std::optional<RecordingLibrary> lib;
    if (out_dir->empty()) {
      lib.emplace(g.library);
    } else {
      std::filesystem::create_directories(*out_dir);
    }
    std::vector<Recording> batch;
    auto store = [&] {
      const auto added = lib->add_all(batch);
      ids.insert(ids.end(), added.begin(), added.end());
      progress.advance(static_cast<int64_t>(batch.size()));
      batch.clear();
    };
    demo::generate_swings(*opt, [&](Recording&& s) {
      if (lib) {
        batch.push_back(std::move(s));
        if (batch.size() == kBatch) store();
        return;
      }
      auto path =
          std::filesystem::path(*out_dir) / std::filesystem::path(s.meta.filename).filename();
      path.replace_extension(".csv");
      io::write_csv(path, s);
      written.push_back(path.string());
      progress.advance();
    });
    if (lib && !batch.empty()) store();
    progress.finish();
    const std::size_t count = lib ? ids.size() : written.size();
    if (g.json) {
      print_json({{"count", count},
                  {"files", written},
                  {"ids", ids},
                  {"peak_memory_mib", json_number(peak_memory_mib())}});
    } else if (!out_dir->empty()) {
      spdlog::info("wrote {} swing(s) to {}", written.size(), *out_dir);
    } else {
      spdlog::info("added {} swing(s) to {}", ids.size(), g.library);
    }
  });
}

}  // namespace
SWINGPIPE_COMMAND("demo-data", add_demo_data);
}  // namespace swingpipe::cli
