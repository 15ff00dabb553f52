// `swingpipe dtw`: DTW distances, paths and nearest neighbours between recordings.
//
//   swingpipe dtw A B [--path]                 one distance (A, B: files or id:N library ids)
//   swingpipe dtw --all-pairs FILE [--out M]   symmetric matrix of every series in FILE
//   swingpipe dtw --query Q --refs R [--knn K] Q x R matrix, or the K nearest refs of each query
//
// Files are read with io::read_any (.csv/.npy/.json: one series; .tsv/.ts: many). Options: --band N
// samples or --band-fraction F (default full), --squared, --backend cpu|cuda|auto, --threads,
// --out FILE (.npy float64 or .csv matrix). Timings cover the DTW computation only (not I/O) and
// are reported with the in-band cell count and GCUPS.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "command.hpp"
#include "dtw_flags.hpp"
#include "inputs.hpp"
#include "output.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/io.hpp"
#include "swingpipe/host/library.hpp"
#include "swingpipe/kernels/dtw.hpp"

namespace swingpipe::cli {
namespace {

struct DtwCommandFlags {
  std::string a, b, all_pairs, query, refs, out;
  bool squared = false, path = false;
  int knn = 0;
  DtwFlags dtw;
};

struct Series {
  Batch<double> batch{1};
  std::vector<std::string> names;
};

/// A file (every series in it) or `id:N` (one library recording).
Series load(const std::string& spec, const Globals& g) {
  const std::vector<Recording> recs = load_input("dtw", spec, g);
  if (recs.empty()) throw InputError("dtw: '" + spec + "' holds no series");
  Series s;
  s.batch = Batch<double>(recs.front().channel_count());
  for (const Recording& r : recs) {
    if (r.channel_count() != s.batch.channels)
      throw InputError(fmt::format("dtw: '{}': series '{}' has {} channels, the first has {}", spec,
                                   r.meta.filename, r.channel_count(), s.batch.channels));
    s.batch.push_back(r.data, r.frames());
    s.names.push_back(r.meta.filename.empty() ? spec : r.meta.filename);
  }
  return s;
}

/// DTW compares frames channel by channel: both sides need the same channel count.
void require_same_channels(const std::string& a_spec, const Series& a, const std::string& b_spec,
                           const Series& b) {
  if (a.batch.channels != b.batch.channels)
    throw InputError(fmt::format(
        "dtw: '{}' has {} channel(s), '{}' has {} (DTW needs the same channels on both sides)",
        a_spec, a.batch.channels, b_spec, b.batch.channels));
}

dtw::Options options(const DtwCommandFlags& f) {
  dtw::Options opt = f.dtw.options("dtw");
  opt.squared = f.squared;
  return opt;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

nlohmann::json num_json(double v) {
  return std::isfinite(v) ? nlohmann::json(v)
                          : nlohmann::json(std::isnan(v) ? "nan"
                                           : v > 0       ? "inf"
                                                         : "-inf");
}

/// Row-major rows x cols float64 matrix to .npy or .csv (by extension), atomically.
void write_matrix(const std::string& path, const std::vector<double>& m, std::size_t rows,
                  std::size_t cols) {
  std::string out;
  if (path.size() >= 4 && path.compare(path.size() - 4, 4, ".npy") == 0) {
    std::string header =
        fmt::format("{{'descr': '<f8', 'fortran_order': False, 'shape': ({}, {}), }}", rows, cols);
    const std::size_t total = 10 + header.size() + 1;
    header.append((64 - total % 64) % 64, ' ');
    header.push_back('\n');
    out = std::string("\x93NUMPY\x01\x00", 8);
    out.push_back(static_cast<char>(header.size() & 0xff));
    out.push_back(static_cast<char>((header.size() >> 8) & 0xff));
    out += header;
    const std::size_t at = out.size();
    out.resize(at + m.size() * sizeof(double));
    std::memcpy(out.data() + at, m.data(), m.size() * sizeof(double));  // little-endian host
  } else if (path.size() >= 4 && path.compare(path.size() - 4, 4, ".csv") == 0) {
    for (std::size_t i = 0; i < rows; ++i)
      for (std::size_t j = 0; j < cols; ++j)
        out += fmt::format("{:.17g}{}", m[i * cols + j], j + 1 < cols ? "," : "\n");
  } else {
    throw InputError("dtw: --out '" + path + "' must end in .npy or .csv");
  }
  io::write_file_atomic(path, out);
}

int64_t cells_of(const BatchView<double>& a, const BatchView<double>& b, const dtw::Band& band,
                 bool symmetric) {
  int64_t cells = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    for (std::size_t j = symmetric ? i + 1 : 0; j < b.size(); ++j)
      cells += dtw::band_cells(a.length(i), b.length(j), band);
  return cells;
}

void print_matrix(const Globals& g, const DtwCommandFlags& f, const char* mode,
                  const Series& rows_s, const Series& cols_s, const std::vector<double>& m,
                  double secs, int64_t cells, const dtw::Options& opt) {
  const std::size_t R = rows_s.names.size(), C = cols_s.names.size();
  if (!f.out.empty()) write_matrix(f.out, m, R, C);
  const double gcups = secs > 0 ? static_cast<double>(cells) / secs * 1e-9 : 0.0;
  if (g.json) {
    nlohmann::json j{{"mode", mode},
                     {"rows", R},
                     {"cols", C},
                     {"backend", to_string(opt.backend)},
                     {"squared", opt.squared},
                     {"seconds", secs},
                     {"cells", cells},
                     {"gcups", gcups},
                     {"row_names", rows_s.names},
                     {"col_names", cols_s.names}};
    if (f.out.empty()) {
      nlohmann::json mat = nlohmann::json::array();
      for (std::size_t i = 0; i < R; ++i) {
        nlohmann::json row = nlohmann::json::array();
        for (std::size_t c = 0; c < C; ++c) row.push_back(num_json(m[i * C + c]));
        mat.push_back(row);
      }
      j["distances"] = mat;
    } else {
      j["out"] = f.out;
    }
    print_json(j);
    return;
  }
  if (f.out.empty()) {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> header{""};
    for (const auto& n : cols_s.names) header.push_back(n);
    for (std::size_t i = 0; i < R; ++i) {
      std::vector<std::string> row{rows_s.names[i]};
      for (std::size_t c = 0; c < C; ++c) row.push_back(fmt::format("{:.6g}", m[i * C + c]));
      rows.push_back(row);
    }
    print_table(header, rows);
  } else {
    std::cout << "wrote " << R << " x " << C << " matrix to " << f.out << "\n";
  }
  std::cout << fmt::format("{} x {} in {:.4f} s on {}: {} cells, {:.3f} GCUPS\n", R, C, secs,
                           to_string(opt.backend), cells, gcups);
}

void run_dtw(const DtwCommandFlags& f, const Globals& g) {
  const dtw::Options opt = options(f);
  const int modes = (!f.a.empty() ? 1 : 0) + (!f.all_pairs.empty() ? 1 : 0) +
                    (!f.query.empty() || !f.refs.empty() ? 1 : 0);
  if (modes != 1)
    throw InputError("dtw: give two series A B, or --all-pairs FILE, or --query FILE --refs FILE");
  if (f.path && f.a.empty()) throw InputError("dtw: --path needs two series A B");
  if (f.knn != 0 && f.query.empty()) throw InputError("dtw: --knn needs --query and --refs");
  if (f.knn < 0) throw InputError(fmt::format("dtw: --knn must be >= 1, got {}", f.knn));

  if (!f.a.empty()) {
    if (f.b.empty()) throw InputError("dtw: give two series A B");
    const Series a = load(f.a, g), b = load(f.b, g);
    if (a.names.size() != 1 || b.names.size() != 1)
      throw InputError(
          fmt::format("dtw: A and B must hold one series each ({} and {}); use "
                      "--all-pairs or --query/--refs for files with many",
                      a.names.size(), b.names.size()));
    require_same_channels(f.a, a, f.b, b);
    const SeriesRef<double> x = a.batch.view().series(0), y = b.batch.view().series(0);
    const auto t0 = std::chrono::steady_clock::now();
    dtw::Path p;
    if (f.path)
      p = dtw::path<double>(x, y, opt);
    else
      p.distance = dtw::distance<double>(x, y, opt);
    const double secs = seconds_since(t0);
    if (g.json) {
      nlohmann::json j{{"a", a.names[0]},
                       {"b", b.names[0]},
                       {"distance", num_json(p.distance)},
                       {"squared", opt.squared},
                       {"band_radius", opt.band.radius(x.length, y.length)},
                       {"backend", to_string(opt.backend)},
                       {"seconds", secs}};
      if (f.path) {
        nlohmann::json steps = nlohmann::json::array();
        for (const auto& [i, jj] : p.steps) steps.push_back({i, jj});
        j["path"] = steps;
      }
      print_json(j);
      return;
    }
    std::cout << fmt::format("{:.17g}\n", p.distance);
    if (f.path)
      for (const auto& [i, jj] : p.steps) std::cout << i << " " << jj << "\n";
    return;
  }

  if (!f.all_pairs.empty()) {
    const Series s = load(f.all_pairs, g);
    const std::size_t n = s.names.size();
    std::vector<double> m(n * n);
    const int64_t cells = cells_of(s.batch.view(), s.batch.view(), opt.band, true);
    const auto t0 = std::chrono::steady_clock::now();
    dtw::all_pairs<double>(s.batch.view(), m, opt);
    print_matrix(g, f, "all_pairs", s, s, m, seconds_since(t0), cells, opt);
    return;
  }

  if (f.query.empty() || f.refs.empty()) throw InputError("dtw: --query and --refs go together");
  const Series q = load(f.query, g), r = load(f.refs, g);
  require_same_channels(f.query, q, f.refs, r);
  if (f.knn == 0) {
    std::vector<double> m(q.names.size() * r.names.size());
    const int64_t cells = cells_of(q.batch.view(), r.batch.view(), opt.band, false);
    const auto t0 = std::chrono::steady_clock::now();
    dtw::cross<double>(q.batch.view(), r.batch.view(), m, opt);
    print_matrix(g, f, "cross", q, r, m, seconds_since(t0), cells, opt);
    return;
  }
  dtw::KnnStats st;
  const auto t0 = std::chrono::steady_clock::now();
  const auto nn = dtw::knn<double>(q.batch.view(), r.batch.view(), f.knn, opt, &st);
  const double secs = seconds_since(t0);
  if (g.json) {
    nlohmann::json res = nlohmann::json::array();
    for (std::size_t i = 0; i < nn.size(); ++i) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& n : nn[i])
        list.push_back({{"index", n.index},
                        {"name", r.names[static_cast<std::size_t>(n.index)]},
                        {"distance", num_json(n.distance)}});
      res.push_back({{"query", q.names[i]}, {"neighbors", list}});
    }
    print_json({{"mode", "knn"},
                {"k", f.knn},
                {"backend", to_string(opt.backend)},
                {"results", res},
                {"seconds", secs},
                {"stats", knn_stats_json(st)}});
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < nn.size(); ++i)
    for (std::size_t k = 0; k < nn[i].size(); ++k)
      rows.push_back({q.names[i], std::to_string(k + 1), std::to_string(nn[i][k].index),
                      r.names[static_cast<std::size_t>(nn[i][k].index)],
                      fmt::format("{:.6g}", nn[i][k].distance)});
  print_table({"query", "rank", "index", "name", "distance"}, rows);
  std::cout << fmt::format(
      "{} candidates: {} pruned by LB_Kim, {} by LB_Keogh, {} abandoned, {} full DTW ({:.4f} s)\n",
      st.candidates, st.pruned_kim, st.pruned_keogh, st.abandoned, st.full_dtw, secs);
}

void add_dtw(CLI::App& app, Globals& g) {
  auto f = std::make_shared<DtwCommandFlags>();
  auto* cmd = app.add_subcommand(
      "dtw",
      "Dynamic time warping: a distance (A B), a path, an all-pairs or query x refs matrix, "
      "or k nearest neighbours. Inputs: files (.csv .npy .json .tsv .ts) or id:N");
  cmd->add_option("a", f->a, "First series (file or id:N)");
  cmd->add_option("b", f->b, "Second series (file or id:N)");
  cmd->add_option("--all-pairs", f->all_pairs, "Matrix of every pair of series in FILE");
  cmd->add_option("--query", f->query, "Query series (file or id:N)");
  cmd->add_option("--refs", f->refs, "Reference series (file or id:N)");
  f->dtw.add_to(cmd, "Radius as a fraction of the longer length");
  cmd->add_flag("--squared", f->squared, "Accumulated squared cost (no square root)");
  cmd->add_flag("--path", f->path, "Also print the warping path (A B only)");
  cmd->add_option("--knn", f->knn, "K nearest refs of each query");
  cmd->add_option("--out", f->out, "Write the matrix to FILE (.npy float64 or .csv)");
  cmd->callback([f, &g] { run_dtw(*f, g); });
}

}  // namespace
SWINGPIPE_COMMAND("dtw", add_dtw);
}  // namespace swingpipe::cli
