// `swingpipe cwt`: Morlet CWT scalograms, cross-wavelet transforms and wavelet coherence of a
// recording's channels (kernels/cwt.hpp), written to .h5 or .npy.
//
//   swingpipe cwt INPUT [--channels a,b] [--fmin F --fmax F --count N | --frequencies f1,f2]
//                 [--output power|magnitude|complex] [--precision float32|float64]
//                 [--cross A,B | --coherence A,B] [--out FILE.h5|FILE.npy]
//
// INPUT is a file holding one recording (.csv .npy .json) or id:N (a library recording). .h5
// output is streamed tile by tile (at most --memory-budget MiB of output in memory: a 10^7-sample
// channel at 64 frequencies runs in a few hundred MiB); .npy holds the whole array in memory.
// Without --out the command prints the peak frequency of each channel (or pair). "seconds" in
// --json is the transform alone (best of --repeat runs on one plan), not reading or writing.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <complex>
#include <filesystem>
#include <limits>
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
#include "swingpipe/kernels/cwt.hpp"
#include "swingpipe/pipeline/progress.hpp"

namespace swingpipe::cli {
namespace {

struct CwtFlags {
  std::string input, out, channels, frequencies, cross, coherence;
  double fmin = 1.0, fmax = 30.0, omega0 = 6.0, sample_rate = 0;
  int count = 32, threads = 0, repeat = 1, max_fft_sizes = 0;
  std::string output = "power", precision = "float64", backend = "cpu", planning = "measure";
  std::string wisdom;
  double memory_mb = 256;
  CLI::Option* fmin_opt = nullptr;
  CLI::Option* fmax_opt = nullptr;
  CLI::Option* count_opt = nullptr;
};

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t at = 0;
  while (at <= text.size()) {
    const std::size_t comma = text.find(',', at);
    const std::string part =
        text.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (part.empty()) throw InputError("cwt: empty name or number in '" + text + "'");
    parts.push_back(part);
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return parts;
}

double parse_hz(const std::string& text) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || !(v > 0) || !std::isfinite(v))
    throw InputError("cwt: --frequencies: '" + text + "' is not a frequency > 0 Hz");
  return v;
}

int channel_of(const Recording& rec, const std::string& name, const std::string& spec) {
  const auto it = std::find(rec.channels.begin(), rec.channels.end(), name);
  if (it == rec.channels.end()) {
    std::string known;
    for (const auto& c : rec.channels) known += (known.empty() ? "" : ", ") + c;
    throw InputError("cwt: '" + spec + "' has no channel '" + name + "' (channels: " + known + ")");
  }
  return static_cast<int>(it - rec.channels.begin());
}

enum class Mode { cwt, cross, coherence };

struct Job {
  Mode mode = Mode::cwt;
  Recording rec;
  std::vector<int> rows;  ///< channels transformed (cross / coherence: the pair)
  std::vector<std::string> names;
  std::vector<double> freqs;
  double fs = 0;
  cwt::Output kind = cwt::Output::power;
  std::string ext;
};

Job prepare(const CwtFlags& f, const Globals& g) {
  Job job;
  const int modes = (!f.cross.empty() ? 1 : 0) + (!f.coherence.empty() ? 1 : 0);
  if (modes > 1) throw InputError("cwt: give --cross or --coherence, not both");
  job.mode = !f.cross.empty() ? Mode::cross : !f.coherence.empty() ? Mode::coherence : Mode::cwt;
  if (!f.out.empty()) {
    job.ext = std::filesystem::path(f.out).extension().string();
    if (job.ext != ".h5" && job.ext != ".npy")
      throw InputError("cwt: --out '" + f.out + "' must end in .h5 or .npy");
  }
  job.kind = cwt::parse_output(f.output);
  cwt::parse_precision(f.precision);
  if (job.mode == Mode::cross && job.kind == cwt::Output::magnitude)
    throw InputError("cwt: --cross gives complex or power (|W_xy|) output, not magnitude");
  if (f.threads < 0)
    throw InputError(fmt::format("cwt: --threads must be >= 0, got {}", f.threads));
  if (f.repeat < 1) throw InputError(fmt::format("cwt: --repeat must be >= 1, got {}", f.repeat));
  if (!(f.memory_mb > 0)) throw InputError("cwt: --memory-budget must be > 0 MiB");
  if (f.planning != "measure" && f.planning != "estimate")
    throw InputError("cwt: --planning must be measure or estimate, got '" + f.planning + "'");
  if (!f.frequencies.empty()) {
    if (f.fmin_opt->count() || f.fmax_opt->count() || f.count_opt->count())
      throw InputError("cwt: give --frequencies or --fmin/--fmax/--count, not both");
    for (const auto& t : split(f.frequencies)) job.freqs.push_back(parse_hz(t));
  } else {
    job.freqs = cwt::geometric_frequencies(f.fmin, f.fmax, f.count);
  }

  job.rec = load_one_input("cwt", f.input, g);
  const double given = f.sample_rate, stored = job.rec.sample_rate;
  if (given < 0 || std::isnan(given))
    throw InputError(fmt::format("cwt: --sample-rate {} must be > 0 Hz", given));
  if (given > 0 && stored > 0 && given != stored)
    throw InputError(fmt::format(
        "cwt: --sample-rate {} Hz differs from the {} Hz stored with '{}' (omit the flag)", given,
        stored, f.input));
  job.fs = stored > 0 ? stored : given;
  if (!(job.fs > 0))
    throw InputError("cwt: '" + f.input + "' has no sample rate: pass --sample-rate HZ");
  const double fmax = *std::max_element(job.freqs.begin(), job.freqs.end());
  if (fmax > job.fs / 2)
    throw InputError(
        fmt::format("cwt: frequency {} Hz is above the Nyquist frequency {} Hz", fmax, job.fs / 2));

  if (job.mode != Mode::cwt) {
    const auto pair = split(job.mode == Mode::cross ? f.cross : f.coherence);
    if (pair.size() != 2) throw InputError("cwt: --cross / --coherence take two channel names A,B");
    if (!f.channels.empty()) throw InputError("cwt: --channels does not go with a pair");
    job.names = pair;
  } else {
    job.names = f.channels.empty() ? job.rec.channels : split(f.channels);
  }
  for (const auto& name : job.names) job.rows.push_back(channel_of(job.rec, name, f.input));
  return job;
}

io::Attrs file_attrs(const CwtFlags& f, const Job& job) {
  io::Attrs a{{"analysis", std::string(job.mode == Mode::cwt     ? "cwt"
                                       : job.mode == Mode::cross ? "xwt"
                                                                 : "coherence")},
              {"input", f.input},
              {"sample_rate_hz", job.fs},
              {"omega0", f.omega0},
              {"precision", f.precision},
              {job.mode == Mode::cwt ? "channels" : "pair", job.names},
              {"swingpipe_version", std::string(SWINGPIPE_VERSION)}};
  if (job.mode != Mode::coherence) a.push_back({"output", f.output});
  return a;
}

std::vector<io::ArrayDataset> axes(const Job& job, const cwt::Plan& plan, int64_t n) {
  std::vector<double> times(static_cast<std::size_t>(n));
  for (int64_t t = 0; t < n; ++t) times[t] = static_cast<double>(t) / job.fs;
  return {io::ArrayDataset::vector<double>(
              "frequencies", job.freqs,
              {{"axes", std::string("frequency")}, {"units", std::string("Hz")}}),
          io::ArrayDataset::vector<double>(
              "times", times, {{"axes", std::string("time")}, {"units", std::string("s")}}),
          io::ArrayDataset::vector<double>(
              "scales", plan.scales(),
              {{"axes", std::string("frequency")}, {"units", std::string("samples")}})};
}

/// Time-averaged power per frequency of each output row group, for the printed summary.
struct Summary {
  std::vector<std::vector<double>> spectra;  ///< [row][frequency]
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

template <class T>
void run_typed(const CwtFlags& f, const Globals& g, Job& job) {
  const int64_t n = job.rec.frames();
  const int F = static_cast<int>(job.freqs.size());
  const int C = static_cast<int>(job.rows.size());
  std::vector<T> data(static_cast<std::size_t>(C) * static_cast<std::size_t>(n));
  for (int c = 0; c < C; ++c)
    for (int64_t t = 0; t < n; ++t)
      data[c * n + t] = static_cast<T>(job.rec.channel(job.rows[static_cast<std::size_t>(c)])[t]);
  if (!f.wisdom.empty()) cwt::import_fftw_wisdom(f.wisdom);
  const cwt::Plan plan(
      {.length = n,
       .frequencies = job.freqs,
       .omega0 = f.omega0,
       .sample_rate = job.fs,
       .precision = cwt::precision_of<T>(),
       .backend = resolve_backend(parse_backend(f.backend)),
       .planning = f.planning == "estimate" ? cwt::Planning::estimate : cwt::Planning::measure,
       .max_fft_sizes = f.max_fft_sizes});
  if (!f.wisdom.empty()) cwt::export_fftw_wisdom(f.wisdom);
  const cwt::RunOptions run{.threads = f.threads,
                            .memory_budget = static_cast<std::size_t>(f.memory_mb * 1048576.0)};
  const SeriesRef<T> series{data.data(), n, C};
  const bool complex_out = job.kind == cwt::Output::complex;
  const int rows_out = job.mode == Mode::cwt ? C : 1;
  const double coefficients = double(rows_out) * F * double(n);
  Summary summary;
  summary.spectra.assign(static_cast<std::size_t>(rows_out), std::vector<double>(F, 0.0));
  auto accumulate = [&](int row, int i, double power) {
    summary.spectra[static_cast<std::size_t>(row)][static_cast<std::size_t>(i)] +=
        power / static_cast<double>(std::max<int64_t>(n, 1));
  };
  double best = std::numeric_limits<double>::infinity();
  const std::string dataset = job.mode == Mode::cwt     ? "scalogram"
                              : job.mode == Mode::cross ? (complex_out ? "cross" : "cross_power")
                                                        : "coherence";
  const std::string axes_name = job.mode == Mode::cwt ? "channel,frequency,time" : "frequency,time";
  const std::string units = job.mode == Mode::coherence      ? "1"
                            : job.mode == Mode::cross        ? "signal^2"
                            : job.kind == cwt::Output::power ? "signal^2"
                                                             : "signal";
  const std::vector<int64_t> shape =
      job.mode == Mode::cwt ? std::vector<int64_t>{C, F, n} : std::vector<int64_t>{F, n};
  const io::DType dtype = complex_out && job.mode != Mode::coherence
                              ? io::dtype_of<std::complex<T>>()
                              : io::dtype_of<T>();

  if (job.ext == ".h5" && job.mode != Mode::coherence) {
    // Streamed: tile by tile into the datasets, then committed.
    io::H5Writer writer(f.out, file_attrs(f, job));
    writer.create(dataset, dtype, shape,
                  {{"axes", axes_name}, {"units", units}, {"output", f.output}});
    pipeline::Progress progress(
        "cwt", n, g.quiet ? pipeline::Progress::Mode::never : pipeline::Progress::Mode::automatic);
    auto write_tile = [&](int64_t t0, int64_t count, const void* tile) {
      std::vector<int64_t> start(shape.size(), 0), cnt = shape;
      start.back() = t0;
      cnt.back() = count;
      writer.write(dataset, start, cnt, tile);
      progress.advance(count);
    };
    const auto t0 = std::chrono::steady_clock::now();
    if (job.mode == Mode::cross) {
      const std::span<const T> x(data.data(), static_cast<std::size_t>(n)),
          y(data.data() + n, static_cast<std::size_t>(n));
      std::vector<T> mag;
      cwt::cross_tiles<T>(
          plan, x, y,
          [&](int64_t at, int64_t count, std::span<const std::complex<T>> tile) {
            for (int i = 0; i < F; ++i)
              for (int64_t t = 0; t < count; ++t) accumulate(0, i, std::abs(tile[i * count + t]));
            if (complex_out) return write_tile(at, count, tile.data());
            mag.resize(tile.size());
            for (std::size_t k = 0; k < tile.size(); ++k) mag[k] = std::abs(tile[k]);
            write_tile(at, count, mag.data());
          },
          run);
    } else if (complex_out) {
      cwt::transform_tiles<T>(
          plan, series,
          [&](int64_t at, int64_t count, std::span<const std::complex<T>> tile) {
            for (int r = 0; r < C * F; ++r)
              for (int64_t t = 0; t < count; ++t)
                accumulate(r / F, r % F, std::norm(tile[r * count + t]));
            write_tile(at, count, tile.data());
          },
          run);
    } else {
      const bool power = job.kind == cwt::Output::power;
      cwt::transform_tiles<T>(
          plan, series, job.kind,
          [&](int64_t at, int64_t count, std::span<const T> tile) {
            for (int r = 0; r < C * F; ++r)
              for (int64_t t = 0; t < count; ++t) {
                const double v = tile[r * count + t];
                accumulate(r / F, r % F, power ? v : v * v);
              }
            write_tile(at, count, tile.data());
          },
          run);
    }
    best = seconds_since(t0);  // includes writing: the transform is not separable here
    progress.finish();
    for (const auto& a : axes(job, plan, n)) writer.add(a);
    writer.commit();
  } else {
    // In memory: the whole array (also for .npy and coherence), timed on its own.
    std::vector<std::complex<T>> wc;
    std::vector<T> wr, phase;
    for (int r = 0; r < f.repeat; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      if (job.mode == Mode::cwt && complex_out) {
        wc.resize(static_cast<std::size_t>(coefficients));
        cwt::transform<T>(plan, series, wc, run);
      } else if (job.mode == Mode::cwt) {
        wr.resize(static_cast<std::size_t>(coefficients));
        cwt::transform<T>(plan, series, job.kind, wr, run);
      } else if (job.mode == Mode::cross) {
        const std::span<const T> x(data.data(), static_cast<std::size_t>(n)),
            y(data.data() + n, static_cast<std::size_t>(n));
        if (complex_out) {
          wc.resize(static_cast<std::size_t>(coefficients));
          cwt::cross<T>(plan, x, y, wc, run);
        } else {
          wr.resize(static_cast<std::size_t>(coefficients));
          cwt::cross<T>(plan, x, y, cwt::Output::power, wr, run);
        }
      } else {
        std::vector<std::complex<T>> w(2 * static_cast<std::size_t>(coefficients));
        cwt::transform<T>(plan, series, w, run);
        wr.resize(static_cast<std::size_t>(coefficients));
        phase.resize(wr.size());
        const auto half = static_cast<std::size_t>(coefficients);
        cwt::coherence<T>(plan, std::span(w).first(half), std::span(w).subspan(half), wr, phase, {},
                          run);
      }
      best = std::min(best, seconds_since(t0));
    }
    for (std::size_t k = 0; k < std::max(wc.size(), wr.size()); ++k) {
      const int r = static_cast<int>(k / static_cast<std::size_t>(F * n));
      const int i = static_cast<int>((k / static_cast<std::size_t>(n)) % F);
      const double v = !wc.empty() ? (job.mode == Mode::cross ? std::abs(wc[k]) : std::norm(wc[k]))
                       : job.kind == cwt::Output::magnitude && job.mode == Mode::cwt
                           ? double(wr[k]) * double(wr[k])
                           : double(wr[k]);
      if (!std::isnan(v)) accumulate(r, i, v);
    }
    if (!f.out.empty()) {
      io::Attrs a{{"axes", axes_name}, {"units", units}};
      if (job.mode != Mode::coherence) a.push_back({"output", f.output});
      io::ArrayDataset d = !wc.empty()
                               ? io::ArrayDataset::of<std::complex<T>>(dataset, shape, wc, a)
                               : io::ArrayDataset::of<T>(dataset, shape, wr, a);
      if (job.ext == ".npy") {
        io::write_npy_array(f.out, d);
      } else {
        io::ArrayFile file{file_attrs(f, job), {std::move(d)}};
        if (!phase.empty())
          file.datasets.push_back(io::ArrayDataset::of<T>(
              "phase", shape, phase, {{"axes", axes_name}, {"units", std::string("rad")}}));
        for (auto& ax : axes(job, plan, n)) file.datasets.push_back(std::move(ax));
        io::write_h5(f.out, file);
      }
    }
  }

  // Summary: the peak of each time-averaged spectrum.
  nlohmann::json rows = nlohmann::json::array();
  std::vector<std::vector<std::string>> table;
  for (int r = 0; r < rows_out; ++r) {
    const auto& s = summary.spectra[static_cast<std::size_t>(r)];
    const auto it = std::max_element(s.begin(), s.end());
    const std::size_t i = static_cast<std::size_t>(it - s.begin());
    const std::string name = job.mode == Mode::cwt ? job.names[static_cast<std::size_t>(r)]
                                                   : job.names[0] + "," + job.names[1];
    const bool ok = !s.empty() && std::isfinite(*it);
    rows.push_back({{"name", name},
                    {"peak_frequency_hz", ok ? nlohmann::json(job.freqs[i]) : nlohmann::json()},
                    {"peak_mean", ok ? nlohmann::json(*it) : nlohmann::json()}});
    table.push_back({name, ok ? fmt::format("{:.4g}", job.freqs[i]) : "nan",
                     ok ? fmt::format("{:.4g}", *it) : "nan"});
  }
  const char* value = job.mode == Mode::cwt     ? "mean power"
                      : job.mode == Mode::cross ? "mean |W_xy|"
                                                : "mean R^2";
  if (g.json) {
    nlohmann::json j{{"input", f.input},
                     {"mode", job.mode == Mode::cwt     ? "cwt"
                              : job.mode == Mode::cross ? "xwt"
                                                        : "coherence"},
                     {"frames", n},
                     {"sample_rate", job.fs},
                     {"frequencies", job.freqs},
                     {"scales", plan.scales()},
                     {"omega0", f.omega0},
                     {"output", f.output},
                     {"precision", f.precision},
                     {"backend", to_string(plan.backend())},
                     {"shape", shape},
                     {"fft_sizes", plan.fft_sizes()},
                     {"seconds", best},
                     {"coefficients", coefficients},
                     {"coefficients_per_second", best > 0 ? coefficients / best : 0.0},
                     {"peaks", rows}};
    if (!f.out.empty()) j["out"] = f.out;
    print_json(j);
    return;
  }
  print_table({job.mode == Mode::cwt ? "channel" : "pair", "peak Hz", value}, table);
  std::cout << fmt::format("{} x {} x {} coefficients in {:.4f} s on {} ({:.1f} M/s){}\n", rows_out,
                           F, n, best, to_string(plan.backend()),
                           best > 0 ? coefficients / best * 1e-6 : 0.0,
                           f.out.empty() ? "" : ", written to " + f.out);
}

void run_cwt(const CwtFlags& f, const Globals& g) {
  Job job = prepare(f, g);
  if (f.precision == "float32")
    run_typed<float>(f, g, job);
  else
    run_typed<double>(f, g, job);
}

void add_cwt(CLI::App& app, Globals& g) {
  auto f = std::make_shared<CwtFlags>();
  auto* cmd = app.add_subcommand(
      "cwt",
      "Morlet wavelet transform of a recording's channels (scalograms), a cross-wavelet "
      "transform (--cross A,B) or wavelet coherence (--coherence A,B); writes .h5 or .npy");
  cmd->add_option("input", f->input, "A file with one recording (.csv .npy .json) or id:N")
      ->required();
  cmd->add_option("--channels", f->channels,
                  "Channels to transform, comma-separated (default all)");
  f->fmin_opt = cmd->add_option("--fmin", f->fmin, "Lowest frequency, Hz")->default_val(1.0);
  f->fmax_opt = cmd->add_option("--fmax", f->fmax, "Highest frequency, Hz")->default_val(30.0);
  f->count_opt =
      cmd->add_option("--count", f->count, "Number of frequencies (geometric)")->default_val(32);
  cmd->add_option("--frequencies", f->frequencies, "Explicit frequencies in Hz, comma-separated");
  cmd->add_option("--omega0", f->omega0, "Morlet w0")->default_val(6.0);
  cmd->add_option("--sample-rate", f->sample_rate,
                  "Sample rate in Hz for inputs that do not store one (.npy)");
  cmd->add_option("--output", f->output, "power (|W|^2), magnitude (|W|) or complex")
      ->default_val("power");
  cmd->add_option("--precision", f->precision, "float32 or float64")->default_val("float64");
  cmd->add_option("--cross", f->cross, "Cross-wavelet transform of channels A,B");
  cmd->add_option("--coherence", f->coherence, "Wavelet coherence of channels A,B");
  cmd->add_option("--out", f->out, "Write the array to FILE.h5 (streamed) or FILE.npy");
  cmd->add_option("--backend", f->backend, "cpu, cuda or auto")->default_val("cpu");
  cmd->add_option("--threads", f->threads, "CPU threads (0 = all)");
  cmd->add_option("--memory-budget", f->memory_mb, "MiB of output held at once by .h5 streaming")
      ->default_val(256);
  cmd->add_option("--planning", f->planning,
                  "FFTW planning: measure (slower to plan, faster to run) or estimate")
      ->default_val("measure");
  cmd->add_option("--fftw-wisdom", f->wisdom,
                  "FFTW wisdom file: read before planning (if present), written after");
  cmd->add_option("--repeat", f->repeat, "Run the transform R times, report the fastest (timing)")
      ->default_val(1);
  cmd->add_option("--max-fft-sizes", f->max_fft_sizes,
                  "CPU, one block: group the scales into at most N FFT lengths by their support "
                  "(0 = automatic, 1 = one length for all)")
      ->default_val(0)
      ->check(CLI::NonNegativeNumber);
  cmd->callback([f, &g] { run_cwt(*f, g); });
}

}  // namespace
SWINGPIPE_COMMAND("cwt", add_cwt);
}  // namespace swingpipe::cli
