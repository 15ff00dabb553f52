// Motion-capture import: reading a C3D file (150 markers, 32 analog channels at 10 samples per
// frame, float storage, Intel) and a .trc file (50 markers), about 100 MB each, into recordings;
// and the whole import (read + store in a fresh library). Reported in MB/s of file and frames/s.
//
// The files are made on first use in $TMPDIR (deterministic); SWINGPIPE_BENCH_C3D /
// SWINGPIPE_BENCH_TRC name other files to read instead (tools/bench-peers.sh mocap uses that to
// time the very files its peers read). SWINGPIPE_BENCH_MB sets the size of the generated files.
#include <benchmark/benchmark.h>

#include <bit>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "swingpipe/host/c3d.hpp"
#include "swingpipe/host/io.hpp"
#include "swingpipe/host/library.hpp"

namespace {

namespace fs = std::filesystem;

constexpr int kMarkers = 150;
constexpr int kChannels = 32;
constexpr int kPerFrame = 10;
constexpr int kTrcMarkers = 50;

double target_mb() {
  const char* s = std::getenv("SWINGPIPE_BENCH_MB");
  return s ? std::atof(s) : 100.0;
}

fs::path bench_dir() {
  const fs::path d = fs::temp_directory_path() / "swingpipe-bench-mocap";
  fs::create_directories(d);
  return d;
}

void put16(std::string& b, int v) {
  const auto u = static_cast<uint16_t>(static_cast<int16_t>(v));
  b += static_cast<char>(u & 0xff);
  b += static_cast<char>(u >> 8);
}
void put32f(std::string& b, float v) {
  const auto u = std::bit_cast<uint32_t>(v);
  for (int s = 0; s < 32; s += 8) b += static_cast<char>((u >> s) & 0xff);
}

/// One parameter record: int16/float scalar or char array, Intel format.
void param(std::string& b, int group, const std::string& name, int type,
           const std::vector<double>& nums, const std::vector<std::string>& text = {},
           bool last = false) {
  std::string body;
  body += static_cast<char>(type);
  if (type == -1) {
    std::size_t len = 1;
    for (const auto& t : text) len = std::max(len, t.size());
    body += static_cast<char>(2);
    body += static_cast<char>(len);
    body += static_cast<char>(text.size());
    for (auto t : text) body += t.append(len - t.size(), ' ');
  } else {
    body += static_cast<char>(nums.size() == 1 ? 0 : 1);
    if (nums.size() != 1) body += static_cast<char>(nums.size());
    for (double v : nums) {
      if (type == 2) put16(body, static_cast<int>(v));
      if (type == 4) put32f(body, static_cast<float>(v));
    }
  }
  body += '\0';
  b += static_cast<char>(name.size());
  b += static_cast<char>(group);
  b += name;
  put16(b, last ? 0 : static_cast<int>(body.size() + 2));
  b += body;
}

/// A C3D file of about `mb` megabytes: Intel, float storage, 120 Hz.
fs::path make_c3d(double mb) {
  const int64_t frame_bytes = 4 * (4 * kMarkers + kChannels * kPerFrame);
  const int64_t frames = std::min<int64_t>(65535, static_cast<int64_t>(mb * 1e6 / frame_bytes));
  const fs::path path = bench_dir() / ("bench_" + std::to_string(frames) + ".c3d");
  if (fs::exists(path)) return path;
  std::vector<std::string> labels, analog;
  for (int m = 0; m < kMarkers; ++m) labels.push_back("M" + std::to_string(m));
  for (int c = 0; c < kChannels; ++c) analog.push_back("A" + std::to_string(c));
  std::string p = {1, 0x50, 0, 84};
  auto group = [&](int id, const std::string& name) {
    p += static_cast<char>(name.size());
    p += static_cast<char>(-id);
    p += name;
    put16(p, 3);
    p += '\0';
  };
  group(1, "POINT");
  param(p, 1, "USED", 2, {kMarkers});
  param(p, 1, "SCALE", 4, {-0.1});
  param(p, 1, "RATE", 4, {120});
  param(p, 1, "DATA_START", 2, {0});  // patched below
  const std::size_t data_start_at = p.size() - 3;
  // An integer POINT:FRAMES, as most writers (and ezc3d, which tools/bench-peers.sh runs on this
  // file) expect; above 32767 frames the c3d.org float form.
  param(p, 1, "FRAMES", frames <= 32767 ? 2 : 4, {static_cast<double>(frames)});
  param(p, 1, "LABELS", -1, {}, labels);
  param(p, 1, "UNITS", -1, {}, {"mm"});
  group(2, "ANALOG");
  param(p, 2, "USED", 2, {kChannels});
  param(p, 2, "RATE", 4, {120.0 * kPerFrame});
  param(p, 2, "LABELS", -1, {}, analog);
  param(p, 2, "SCALE", 4, std::vector<double>(kChannels, 0.5));
  param(p, 2, "OFFSET", 2, std::vector<double>(kChannels, 0));
  param(p, 2, "GEN_SCALE", 4, {1}, {}, true);
  while (p.size() % 512) p += '\0';
  p[2] = static_cast<char>(p.size() / 512);
  const int data_block = 2 + static_cast<int>(p.size() / 512);
  p[data_start_at] = static_cast<char>(data_block & 0xff);
  p[data_start_at + 1] = static_cast<char>(data_block >> 8);
  std::string h = {2, 0x50};
  put16(h, kMarkers);
  put16(h, kChannels * kPerFrame);
  put16(h, 1);
  put16(h, static_cast<int>(frames));
  put16(h, 0);
  put32f(h, -0.1f);
  put16(h, data_block);
  put16(h, kPerFrame);
  put32f(h, 120);
  h.resize(512, '\0');
  std::ofstream out(path, std::ios::binary);
  out << h << p;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<float> d(-1000, 1000);
  std::string frame;
  for (int64_t f = 0; f < frames; ++f) {
    frame.clear();
    for (int m = 0; m < kMarkers; ++m) {
      const bool missing = (f + m) % 97 == 0;
      for (int a = 0; a < 3; ++a) put32f(frame, missing ? 0.0f : d(rng));
      put32f(frame, missing ? -1.0f : 0.5f);
    }
    for (int s = 0; s < kChannels * kPerFrame; ++s) put32f(frame, d(rng));
    out << frame;
  }
  return path;
}

/// A .trc file of about `mb` megabytes: 50 markers at 120 Hz, six decimals, some blank cells.
fs::path make_trc(double mb) {
  const int64_t rows = static_cast<int64_t>(mb * 1e6 / (kTrcMarkers * 3 * 11.5 + 16));
  const fs::path path = bench_dir() / ("bench_" + std::to_string(rows) + ".trc");
  if (fs::exists(path)) return path;
  std::ofstream out(path, std::ios::binary);
  out << "PathFileType\t4\t(X/Y/Z)\tbench.trc\nDataRate\tCameraRate\tNumFrames\tNumMarkers\t"
         "Units\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames\n120\t120\t"
      << rows << "\t" << kTrcMarkers << "\tmm\t120\t1\t" << rows << "\nFrame#\tTime";
  for (int m = 0; m < kTrcMarkers; ++m) out << "\tM" << m << "\t\t";
  out << "\n\t";
  for (int m = 1; m <= kTrcMarkers; ++m) out << "\tX" << m << "\tY" << m << "\tZ" << m;
  out << "\n\n";
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> d(-1000, 1000);
  char buf[64];
  std::string line;
  for (int64_t r = 0; r < rows; ++r) {
    line = std::to_string(r + 1);
    std::snprintf(buf, sizeof buf, "\t%.6f", static_cast<double>(r) / 120.0);
    line += buf;
    for (int m = 0; m < kTrcMarkers; ++m)
      for (int a = 0; a < 3; ++a) {
        if ((r + m) % 89 == 0) {
          line += '\t';
        } else {
          std::snprintf(buf, sizeof buf, "\t%.6f", d(rng));
          line += buf;
        }
      }
    line += '\n';
    out << line;
  }
  return path;
}

fs::path c3d_file() {
  const char* s = std::getenv("SWINGPIPE_BENCH_C3D");
  return s ? fs::path(s) : make_c3d(target_mb());
}
fs::path trc_file() {
  const char* s = std::getenv("SWINGPIPE_BENCH_TRC");
  return s ? fs::path(s) : make_trc(target_mb());
}

void report(benchmark::State& state, const fs::path& file, int64_t frames) {
  const double it = static_cast<double>(state.iterations());
  state.counters["MB/s"] = benchmark::Counter(static_cast<double>(fs::file_size(file)) * it / 1e6,
                                              benchmark::Counter::kIsRate);
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(frames) * it, benchmark::Counter::kIsRate);
  state.SetLabel(file.filename().string());
}

void mocap_c3d_read(benchmark::State& state) {
  const fs::path file = c3d_file();
  int64_t frames = 0;
  for (auto _ : state) {
    const auto recs = swingpipe::io::c3d::read(file);
    frames = recs.at(0).frames();
    benchmark::DoNotOptimize(recs.data());
  }
  report(state, file, frames);
}
BENCHMARK(mocap_c3d_read)->Name("mocap/c3d_read")->Unit(benchmark::kMillisecond)->UseRealTime();

void mocap_trc_read(benchmark::State& state) {
  const fs::path file = trc_file();
  int64_t frames = 0;
  for (auto _ : state) {
    const auto rec = swingpipe::io::read_trc(file);
    frames = rec.frames();
    benchmark::DoNotOptimize(rec.data.data());
  }
  report(state, file, frames);
}
BENCHMARK(mocap_trc_read)->Name("mocap/trc_read")->Unit(benchmark::kMillisecond)->UseRealTime();

/// Read and store in a fresh library (one transaction), as `library import` does for one file.
void import_into_library(benchmark::State& state, const fs::path& file) {
  const fs::path db = bench_dir() / "bench_import.db";
  int64_t frames = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (const char* ext : {"", "-wal", "-shm"}) fs::remove(db.string() + ext);
    state.ResumeTiming();
    swingpipe::RecordingLibrary lib(db);
    const auto recs = swingpipe::io::read_any(file);
    lib.add_all(recs);
    frames = recs.at(0).frames();
  }
  report(state, file, frames);
}

void mocap_c3d_import(benchmark::State& state) {
  import_into_library(state, c3d_file());
}
BENCHMARK(mocap_c3d_import)->Name("mocap/c3d_import")->Unit(benchmark::kMillisecond)->UseRealTime();

void mocap_trc_import(benchmark::State& state) {
  import_into_library(state, trc_file());
}
BENCHMARK(mocap_trc_import)->Name("mocap/trc_import")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
