#pragma once
// The DTW flags `swingpipe dtw` and `swingpipe classify` share: --band / --band-fraction,
// --backend (default auto, like run configs: CUDA when a device is visible, else the CPU with a
// log line saying why), --threads.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <string>

#include "command.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/dtw.hpp"

namespace swingpipe::cli {

struct DtwFlags {
  int64_t band = 0;
  double band_fraction = 0;
  std::string backend = "auto";
  int threads = 0;
  CLI::Option* band_opt = nullptr;
  CLI::Option* fraction_opt = nullptr;

  void add_to(CLI::App* cmd, const std::string& fraction_help) {
    band_opt = cmd->add_option("--band", band, "Sakoe-Chiba radius in samples (default: full)");
    fraction_opt = cmd->add_option("--band-fraction", band_fraction, fraction_help);
    cmd->add_option("--backend", backend,
                    "cpu, cuda or auto (CUDA when a device is visible, else the CPU)")
        ->default_val("auto");
    cmd->add_option("--threads", threads, "CPU threads (0 = all)");
  }

  bool band_given() const { return band_opt->count() > 0 || fraction_opt->count() > 0; }

  /// "full", "N samples" or "fraction F".
  std::string describe_band() const {
    if (band_opt->count() > 0) return fmt::format("{} samples", band);
    if (fraction_opt->count() > 0) return fmt::format("fraction {}", band_fraction);
    return "full";
  }

  /// Band, backend (resolved) and threads; InputError naming `command` and the flag.
  dtw::Options options(const std::string& command) const {
    dtw::Options opt;
    if (band_opt->count() > 0 && fraction_opt->count() > 0)
      throw InputError(command + ": give --band or --band-fraction, not both");
    if (band_opt->count() > 0) {
      if (band < 0) throw InputError(fmt::format("{}: --band must be >= 0, got {}", command, band));
      opt.band = dtw::Band::samples(band);
    }
    if (fraction_opt->count() > 0) {
      if (!(band_fraction >= 0 && band_fraction <= 1))
        throw InputError(
            fmt::format("{}: --band-fraction must be in [0, 1], got {}", command, band_fraction));
      opt.band = dtw::Band::fraction(band_fraction);
    }
    const Backend requested = parse_backend(backend);
    opt.backend = resolve_backend(requested);
    if (requested == Backend::automatic) log_auto_choice(command, opt.backend);
    opt.threads = threads;
    return opt;
  }

  /// The log line of `auto`: the device it found, or why it runs on the CPU.
  static void log_auto_choice(const std::string& command, Backend chosen) {
    const DeviceInfo dev = cuda_device_info();
    if (chosen == Backend::cuda)
      spdlog::info("{}: backend auto: CUDA device '{}'", command, dev.name);
    else
      spdlog::info("{}: backend auto: no usable CUDA device ({}); running on the CPU", command,
                   dev.reason);
  }
};

}  // namespace swingpipe::cli
