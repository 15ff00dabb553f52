#pragma once
// Small helpers for printing tables and JSON from subcommands.
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include "swingpipe/kernels/dtw.hpp"

namespace swingpipe::cli {

/// Prints rows as a left-aligned text table with a header.
inline void print_table(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows,
                        std::ostream& out = std::cout) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], r[i].size());
  auto line = [&](const std::vector<std::string>& r) {
    for (std::size_t i = 0; i < r.size(); ++i) {
      out << r[i];
      if (i + 1 < r.size()) out << std::string(width[i] - r[i].size() + 2, ' ');
    }
    out << "\n";
  };
  line(header);
  for (const auto& r : rows) line(r);
}

/// This process's peak resident memory in MiB (VmHWM of /proc/self/status: the peak of its own
/// address space, unlike getrusage, which Linux carries over from a large parent); NaN when the
/// system does not say.
inline double peak_memory_mib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      double kib = 0;
      if (status >> kib) return kib / 1024;
      break;
    }
    status.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return std::numeric_limits<double>::quiet_NaN();
}

/// A number for JSON: null when it is not finite.
inline nlohmann::json json_number(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

inline void print_json(const nlohmann::json& j) {
  // Text that is not UTF-8 (a file name from the command line) is replaced, never fatal.
  std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

/// The pruning counters of a k-NN search.
inline nlohmann::json knn_stats_json(const dtw::KnnStats& st) {
  return {{"candidates", st.candidates},
          {"pruned_kim", st.pruned_kim},
          {"pruned_keogh", st.pruned_keogh},
          {"abandoned", st.abandoned},
          {"full_dtw", st.full_dtw}};
}

}  // namespace swingpipe::cli
