// `swingpipe lag INPUT...`: the lag matrix (and with --sequence the kinematic sequence) of each
// recording. INPUT: files (.csv .npy .json; .tsv/.ts hold many series) or id:N library ids.
//
//   swingpipe lag swing.csv                         lags (s) and peak correlations, as tables
//   swingpipe lag id:3 --channels a,b,c --max-lag-s 0.25 --json
//   swingpipe lag id:3 --sequence                   + the kinematic sequence (default segments)
//   swingpipe lag a.csv --sequence --segment pelvis=pelvis_rot_vel --segment club=club_vel
//   swingpipe lag a.npy --sample-rate 240 --out lags.json
//   swingpipe lag id:1 id:2 --out lags.h5        HDF5 (array sink): lag, lag_samples, correlation
//   swingpipe lag id:1 --out lag.npy               .npy: L in seconds, (n, n) or (recordings, n, n)
//
// Recordings with the same channel count go to the kernel as one batch. Timings cover the lag
// computation only (not reading or printing): "seconds" (wall clock) and "cpu_seconds" (CPU time
// of all threads).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "command.hpp"
#include "inputs.hpp"
#include "output.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/arrays.hpp"
#include "swingpipe/host/io.hpp"
#include "swingpipe/host/library.hpp"
#include "swingpipe/kernels/lag.hpp"
#include "swingpipe/pipeline/lag_output.hpp"
#include "swingpipe/pipeline/packing.hpp"

namespace swingpipe::cli {
namespace {

using pipeline::Segment;

struct LagFlags {
  std::vector<std::string> inputs;
  std::vector<std::string> channels;
  int64_t max_lag = -1;
  double max_lag_s = -1;
  std::string precision = "float64";
  std::string backend = "cpu";
  int threads = 0;
  double sample_rate = 0;
  bool sequence = false;
  std::vector<std::string> segments;
  bool no_refine = false;
  std::string out;
  CLI::Option* max_lag_opt = nullptr;
  CLI::Option* max_lag_s_opt = nullptr;
  CLI::Option* rate_opt = nullptr;
};

struct Input {
  Recording rec;
  std::string name;
};

std::vector<Input> load(const LagFlags& f, const Globals& g) {
  std::vector<Input> inputs;
  for (const auto& spec : f.inputs) {
    std::vector<Recording> recs = load_input("lag", spec, g);
    if (recs.empty()) throw InputError("lag: '" + spec + "' holds no series");
    for (auto& r : recs) {
      const std::string name = r.meta.filename.empty() || recs.size() == 1 ? spec : r.meta.filename;
      if (f.rate_opt->count() > 0) {
        if (r.sample_rate > 0 && r.sample_rate != f.sample_rate)
          throw InputError(
              fmt::format("lag: '{}' has a sample rate of {} Hz, --sample-rate says {}", name,
                          r.sample_rate, f.sample_rate));
        r.sample_rate = f.sample_rate;
      }
      inputs.push_back({std::move(r), name});
    }
  }
  return inputs;
}

/// NAME=CH or NAME=CH1+CH2+CH3 (a vector's components).
Segment parse_segment(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    throw InputError("lag: --segment '" + text + "' must be NAME=CHANNEL or NAME=CH1+CH2+CH3");
  Segment s{text.substr(0, eq), {}};
  std::size_t at = eq + 1;
  while (true) {
    const auto plus = text.find('+', at);
    const std::string ch =
        text.substr(at, plus == std::string::npos ? std::string::npos : plus - at);
    if (ch.empty()) throw InputError("lag: --segment '" + text + "' names an empty channel");
    s.channels.push_back(ch);
    if (plus == std::string::npos) break;
    at = plus + 1;
  }
  return s;
}

std::vector<Segment> segments_of(const LagFlags& f) {
  if (f.segments.empty())
    return {{"pelvis", {"pelvis_rot_vel"}},
            {"thorax", {"thorax_rot_vel"}},
            {"lead_arm", {"lead_shoulder_vel"}},
            {"club", {"club_vel"}}};
  std::vector<Segment> out;
  for (const auto& s : f.segments) out.push_back(parse_segment(s));
  if (out.size() < 2) throw InputError("lag: a sequence needs at least two --segment");
  return out;
}

lag::Options options_of(const LagFlags& f) {
  if (f.max_lag_opt->count() > 0 && f.max_lag_s_opt->count() > 0)
    throw InputError("lag: give --max-lag (samples) or --max-lag-s, not both");
  if (f.max_lag_opt->count() > 0 && f.max_lag < 0)
    throw InputError(fmt::format("lag: --max-lag must be >= 0 samples, got {}", f.max_lag));
  if (f.max_lag_s_opt->count() > 0 && !(f.max_lag_s >= 0 && std::isfinite(f.max_lag_s)))
    throw InputError(fmt::format("lag: --max-lag-s must be >= 0 seconds, got {}", f.max_lag_s));
  if (f.rate_opt->count() > 0 && !(f.sample_rate > 0 && std::isfinite(f.sample_rate)))
    throw InputError(fmt::format("lag: --sample-rate must be > 0 Hz, got {}", f.sample_rate));
  if (f.precision != "float64" && f.precision != "float32")
    throw InputError("lag: --precision must be float64 or float32, got '" + f.precision + "'");
  if (f.threads < 0)
    throw InputError(fmt::format("lag: --threads must be >= 0, got {}", f.threads));
  lag::Options opt;
  opt.backend = resolve_backend(parse_backend(f.backend));
  opt.threads = f.threads;
  opt.max_lag = f.max_lag_opt->count() > 0 ? f.max_lag : -1;
  return opt;
}

int64_t max_lag_of(const LagFlags& f, const Input& in) {
  if (f.max_lag_s_opt->count() == 0) return f.max_lag_opt->count() > 0 ? f.max_lag : -1;
  if (!(in.rec.sample_rate > 0))
    throw InputError("lag: '" + in.name +
                     "' has no sample rate: give --sample-rate, or --max-lag in samples");
  return static_cast<int64_t>(std::floor(f.max_lag_s * in.rec.sample_rate + 1e-9));
}

struct Result {
  lag::Matrix matrix;
  std::vector<std::string> channels;
  int64_t max_lag = -1;
};

/// Matrices of inputs [first, last), which share a channel count and max lag, in one batch.
template <class T>
void run_batch(lag::Plan& plan, const LagFlags& f, const std::vector<Input>& in, std::size_t first,
               std::size_t last, int64_t max_lag, std::vector<Result>& out) {
  std::vector<Recording> recs;
  std::vector<double> fs;
  for (std::size_t k = first; k < last; ++k) {
    recs.push_back(in[k].rec);
    fs.push_back(in[k].rec.sample_rate);
  }
  const Batch<T> packed = pipeline::pack<T>(recs, f.channels);
  auto matrices = plan.matrices<T>(packed.view(), fs);
  for (std::size_t k = first; k < last; ++k) {
    Result r{std::move(matrices[k - first]), {}, max_lag};
    for (const int c : pipeline::channel_indices(in[k].rec, f.channels))
      r.channels.push_back(in[k].rec.channels[c]);
    out[k] = std::move(r);
  }
}

std::string fmt_cell(double v, const char* spec) {
  return std::isnan(v) ? std::string("nan") : fmt::format(fmt::runtime(spec), v);
}

void print_square(const std::string& title, const Result& r, const std::vector<double>& m,
                  const char* spec) {
  std::cout << title << "\n";
  std::vector<std::string> header{""};
  header.insert(header.end(), r.channels.begin(), r.channels.end());
  std::vector<std::vector<std::string>> rows;
  const int n = r.matrix.channels;
  for (int i = 0; i < n; ++i) {
    std::vector<std::string> row{r.channels[static_cast<std::size_t>(i)]};
    for (int j = 0; j < n; ++j)
      row.push_back(fmt_cell(m[static_cast<std::size_t>(i * n + j)], spec));
    rows.push_back(row);
  }
  print_table(header, rows);
}

void print_sequence(const nlohmann::json& s) {
  std::cout << "kinematic sequence (peak angular speed):\n";
  std::vector<std::vector<std::string>> rows;
  const auto& segs = s["segments"];
  for (std::size_t k = 0; k < segs.size(); ++k) {
    auto num = [](const nlohmann::json& v, const char* spec) {
      return v.is_null() ? std::string("nan") : fmt::format(fmt::runtime(spec), v.get<double>());
    };
    rows.push_back({segs[k]["name"].get<std::string>(), num(segs[k]["time_s"], "{:.4f}"),
                    num(segs[k]["speed"], "{:.3f}"),
                    k == 0 ? std::string("") : num(s["gaps_s"][k - 1], "{:+.4f}")});
  }
  print_table({"segment", "time_s", "speed", "gap_s"}, rows);
  std::string order;
  for (const auto& o : s["order"]) order += (order.empty() ? "" : " -> ") + o.get<std::string>();
  std::cout << "order: " << order << "; proximal to distal: "
            << (s["complete"].get<bool>() ? (s["proximal_to_distal"].get<bool>() ? "yes" : "no")
                                          : "unknown (a segment has no peak)")
            << "\n";
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() > tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

/// "json", "h5", "npy", or "" without --out; InputError for another extension.
std::string out_kind(const std::string& out) {
  if (out.empty()) return "";
  for (const char* ext : {"json", "h5", "npy"})
    if (ends_with(out, std::string(".") + ext)) return ext;
  throw InputError("lag: --out '" + out + "' must end in .json, .h5 or .npy");
}

/// Writes the matrices: .h5 holds every recording's three matrices (in groups "0/", "1/", ...
/// when there are several; attribute "source" names the input), .npy the lag matrix in seconds.
void write_arrays(const std::string& path, const std::string& kind,
                  const std::vector<Input>& inputs, const std::vector<Result>& results) {
  if (kind == "npy") {
    const int n = results.front().matrix.channels;
    std::vector<double> all;
    for (std::size_t k = 0; k < results.size(); ++k) {
      if (results[k].matrix.channels != n)
        throw InputError(
            fmt::format("lag: --out {}: '{}' has {} channels, '{}' has {}; a .npy "
                        "holds matrices of one size (use .h5 or .json)",
                        path, inputs[k].name, results[k].matrix.channels, inputs.front().name, n));
      all.insert(all.end(), results[k].matrix.lag_seconds.begin(),
                 results[k].matrix.lag_seconds.end());
    }
    std::vector<int64_t> shape{n, n};
    if (results.size() > 1) shape.insert(shape.begin(), static_cast<int64_t>(results.size()));
    io::write_npy_array(path, io::ArrayDataset::of<double>("lag", shape, all));
    return;
  }
  io::ArrayFile file;
  file.attrs = {{"analysis", std::string("lag")},
                {"swingpipe_version", std::string(SWINGPIPE_VERSION)}};
  for (std::size_t k = 0; k < results.size(); ++k) {
    const std::string prefix = results.size() > 1 ? std::to_string(k) + "/" : "";
    for (auto& d : pipeline::lag_matrix_datasets(results[k].matrix, results[k].channels, prefix)) {
      d.attrs.push_back({"source", inputs[k].name});
      d.attrs.push_back({"sample_rate", inputs[k].rec.sample_rate});
      file.datasets.push_back(std::move(d));
    }
  }
  io::write_h5(path, file);
}

void run_lag(const LagFlags& f, const Globals& g) {
  if (f.inputs.empty()) throw InputError("lag: give at least one input (file or id:N)");
  const lag::Options opt = options_of(f);
  const std::string kind = out_kind(f.out);
  const std::vector<Segment> segments = f.sequence ? segments_of(f) : std::vector<Segment>{};
  if (!f.sequence && (!f.segments.empty() || f.no_refine))
    throw InputError("lag: --segment and --no-refine go with --sequence");
  const std::vector<Input> inputs = load(f, g);

  // Batches of consecutive inputs with the same channel count and max lag.
  lag::Plan plan(opt);
  std::vector<Result> results(inputs.size());
  const auto t0 = std::chrono::steady_clock::now();
  const std::clock_t c0 = std::clock();  // CPU time of every thread of the process
  std::size_t first = 0;
  while (first < inputs.size()) {
    const int64_t max_lag = max_lag_of(f, inputs[first]);
    const std::size_t count = pipeline::channel_indices(inputs[first].rec, f.channels).size();
    std::size_t last = first + 1;
    while (last < inputs.size() && max_lag_of(f, inputs[last]) == max_lag &&
           pipeline::channel_indices(inputs[last].rec, f.channels).size() == count)
      ++last;
    if (plan.options().max_lag != max_lag) {
      lag::Options o = opt;
      o.max_lag = max_lag;
      plan = lag::Plan(o);
    }
    if (f.precision == "float32")
      run_batch<float>(plan, f, inputs, first, last, max_lag, results);
    else
      run_batch<double>(plan, f, inputs, first, last, max_lag, results);
    first = last;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu_secs = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;

  nlohmann::json doc{{"backend", to_string(opt.backend)},
                     {"precision", f.precision},
                     {"seconds", secs},
                     {"cpu_seconds", cpu_secs},
                     {"recordings", nlohmann::json::array()}};
  std::vector<int> components;
  std::vector<std::string> wanted;
  for (const auto& s : segments) {
    components.push_back(static_cast<int>(s.channels.size()));
    wanted.insert(wanted.end(), s.channels.begin(), s.channels.end());
  }
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    const Recording& rec = inputs[k].rec;
    const Result& r = results[k];
    nlohmann::json j =
        pipeline::lag_matrix_json(r.matrix, r.channels, rec.sample_rate, rec.frames(), r.max_lag);
    j["name"] = inputs[k].name;
    if (!r.matrix.nan_channels.empty())
      spdlog::warn("lag: '{}': channel '{}' holds NaN or inf; its lags are NaN", inputs[k].name,
                   r.channels[static_cast<std::size_t>(r.matrix.nan_channels.front())]);
    if (f.sequence) {
      const auto values =
          pipeline::extract_channels<double>(rec, pipeline::channel_indices(rec, wanted));
      const auto seq = lag::kinematic_sequence<double>(
          {values.data(), rec.frames(), static_cast<int>(wanted.size())}, components,
          rec.sample_rate, {.refine = !f.no_refine});
      j["sequence"] = pipeline::sequence_json(seq, segments);
    }
    doc["recordings"].push_back(std::move(j));
  }
  if (kind == "json") io::write_file_atomic(f.out, doc.dump(2) + "\n");
  if (kind == "h5" || kind == "npy") write_arrays(f.out, kind, inputs, results);
  if (!f.out.empty()) doc["out"] = f.out;
  if (g.json) {
    print_json(doc);
    return;
  }
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    const Recording& rec = inputs[k].rec;
    const Result& r = results[k];
    std::cout << fmt::format(
        "{}: {} channels x {} frames at {} Hz, lags within {}\n", inputs[k].name, r.channels.size(),
        rec.frames(),
        rec.sample_rate > 0 ? fmt::format("{:g}", rec.sample_rate) : std::string("unknown"),
        r.max_lag < 0 ? std::string("+-all") : fmt::format("+-{}", r.max_lag));
    print_square("lag L[i,j] (s, positive when column j lags row i):", r,
                 rec.sample_rate > 0 ? r.matrix.lag_seconds : r.matrix.lag_samples,
                 rec.sample_rate > 0 ? "{:+.4f}" : "{:+.0f}");
    print_square("peak normalized correlation:", r, r.matrix.correlation, "{:.3f}");
    if (f.sequence) print_sequence(doc["recordings"][k]["sequence"]);
    std::cout << "\n";
  }
  if (!f.out.empty()) std::cout << "wrote " << f.out << "\n";
  std::cout << fmt::format("{} recording(s) in {:.4f} s on {} ({})\n", inputs.size(), secs,
                           to_string(opt.backend), f.precision);
}

void add_lag(CLI::App& app, Globals& g) {
  auto f = std::make_shared<LagFlags>();
  auto* cmd = app.add_subcommand(
      "lag",
      "Lag matrix of each recording: for every channel pair the lag (s) at the peak of the "
      "cross-correlation (positive when the second channel lags the first) and the peak "
      "normalized correlation; --sequence adds the kinematic sequence. Inputs: files (.csv .npy "
      ".json .tsv .ts) or id:N");
  cmd->add_option("inputs", f->inputs, "Recordings: files or id:N")->required();
  cmd->add_option("--channels", f->channels, "Channels to correlate (default: all)")
      ->delimiter(',');
  f->max_lag_opt = cmd->add_option("--max-lag", f->max_lag, "Largest |lag| in samples");
  f->max_lag_s_opt = cmd->add_option("--max-lag-s", f->max_lag_s, "Largest |lag| in seconds");
  cmd->add_option("--precision", f->precision, "float64 or float32")->default_val("float64");
  cmd->add_option("--backend", f->backend, "cpu, cuda or auto")->default_val("cpu");
  cmd->add_option("--threads", f->threads, "CPU threads (0 = all)");
  f->rate_opt = cmd->add_option("--sample-rate", f->sample_rate,
                                "Sample rate (Hz) of inputs that carry none (e.g. .npy)");
  cmd->add_flag("--sequence", f->sequence,
                "Also the kinematic sequence (peak angular speed of each segment)");
  cmd->add_option("--segment", f->segments,
                  "Sequence segment NAME=CHANNEL (or NAME=CH1+CH2+CH3), proximal to distal, "
                  "repeated; default pelvis=pelvis_rot_vel thorax=thorax_rot_vel "
                  "lead_arm=lead_shoulder_vel club=club_vel");
  cmd->add_flag("--no-refine", f->no_refine, "Peak times at whole samples (no parabola)");
  cmd->add_option("--out", f->out,
                  "Write the result to FILE: .json (everything), .h5 (the matrices, HDF5) or .npy "
                  "(the lag matrix in seconds)");
  cmd->callback([f, &g] { run_lag(*f, g); });
}

}  // namespace
SWINGPIPE_COMMAND("lag", add_lag);
}  // namespace swingpipe::cli
