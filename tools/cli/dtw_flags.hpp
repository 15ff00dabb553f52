#pragma once
// The DTW flags `swingpipe dtw` and `swingpipe classify` share: --band / --band-fraction,
// --backend, --threads.
#include <fmt/format.h>

#include <string>

#include "command.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/kernels/dtw.hpp"

namespace swingpipe::cli {

struct DtwFlags {
  int64_t band = 0;
  double band_fraction = 0;
  std::string backend = "cpu";
  int threads = 0;
  CLI::Option* band_opt = nullptr;
  CLI::Option* fraction_opt = nullptr;

  void add_to(CLI::App* cmd, const std::string& fraction_help) {
    band_opt = cmd->add_option("--band", band, "Sakoe-Chiba radius in samples (default: full)");
    fraction_opt = cmd->add_option("--band-fraction", band_fraction, fraction_help);
    cmd->add_option("--backend", backend, "cpu, cuda or auto")->default_val("cpu");
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
    opt.backend = resolve_backend(parse_backend(backend));
    opt.threads = threads;
    return opt;
  }
};

}  // namespace swingpipe::cli
