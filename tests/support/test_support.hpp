#pragma once
// Helpers shared by every test: temp folders, fresh random inputs, the optional ../shared data.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "swingpipe/kernels/backend.hpp"
#include "swingpipe/kernels/batch.hpp"

namespace swingpipe::test {

/// A fresh empty folder, removed with everything in it when the object goes away.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "swingpipe-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/// A generator seeded from std::random_device (fresh inputs every run); the seed is printed so a
/// failure can be reproduced with SWINGPIPE_TEST_SEED.
inline std::mt19937_64 fresh_rng() {
  uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("SWINGPIPE_TEST_SEED")) seed = std::strtoull(s, nullptr, 10);
  std::cout << "[ seed     ] SWINGPIPE_TEST_SEED=" << seed << "\n";
  return std::mt19937_64(seed);
}

template <class T = double>
std::vector<T> random_values(std::mt19937_64& rng, std::size_t n, double lo = -1, double hi = 1) {
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(d(rng));
  return v;
}

/// The same batch in float64 (exact for float32 input), for comparing with float64 references.
template <class T>
Batch<double> to_double(const Batch<T>& b) {
  Batch<double> d(b.channels);
  d.values.assign(b.values.begin(), b.values.end());
  d.offsets = b.offsets;
  return d;
}

/// ../shared/data next to the checkout, or SWINGPIPE_SHARED_DATA; empty when absent.
inline std::filesystem::path shared_data_dir() {
  if (const char* s = std::getenv("SWINGPIPE_SHARED_DATA")) return s;
  const auto p = std::filesystem::path(SWINGPIPE_SOURCE_DIR) / ".." / "shared" / "data";
  return std::filesystem::exists(p) ? std::filesystem::canonical(p) : std::filesystem::path{};
}

#define SWINGPIPE_REQUIRE_SHARED_DATA(dir)                                            \
  const std::filesystem::path dir = ::swingpipe::test::shared_data_dir();             \
  if (dir.empty())                                                                    \
  GTEST_SKIP() << "../shared/data is absent (it is not part of a user's clone); set " \
                  "SWINGPIPE_SHARED_DATA to run this validation"

/// GPU tests (tests/gpu, label gpu) begin with this: they skip without a CUDA device, except under
/// SWINGPIPE_REQUIRE_GPU=1 (tools/device-check.sh), where a missing device is a failure.
#define SWINGPIPE_REQUIRE_CUDA()                                                   \
  do {                                                                             \
    const ::swingpipe::DeviceInfo sp_info_ = ::swingpipe::cuda_device_info();      \
    if (!sp_info_.available()) {                                                   \
      if (const char* sp_req_ = std::getenv("SWINGPIPE_REQUIRE_GPU");              \
          sp_req_ && std::string(sp_req_) == "1")                                  \
        FAIL() << "no CUDA device (SWINGPIPE_REQUIRE_GPU=1): " << sp_info_.reason; \
      GTEST_SKIP() << "no CUDA device: " << sp_info_.reason;                       \
    }                                                                              \
  } while (0)

/// The test venv's Python (tools/test-venv.sh: numpy, h5py, ... as oracles); empty when absent.
inline std::filesystem::path test_python() {
  if (const char* s = std::getenv("SWINGPIPE_TEST_PYTHON")) return s;
  const std::filesystem::path p = SWINGPIPE_TEST_PYTHON;
  return std::filesystem::exists(p) ? p : std::filesystem::path{};
}

#define SWINGPIPE_REQUIRE_TEST_PYTHON(py)                                                 \
  const std::filesystem::path py = ::swingpipe::test::test_python();                      \
  if (py.empty())                                                                         \
  GTEST_SKIP() << ".venv-test is absent: run tools/test-venv.sh (tools/test.sh does) to " \
                  "run this check against its Python oracle"

/// Runs a shell command line, returns the exit code; stdout+stderr go to `output`.
inline int run_shell(const std::string& command_line, std::string* output = nullptr) {
  std::string cmd = command_line + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  if (output) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/// Runs the CLI with `args` (shell words), returns the exit code; stdout+stderr go to `output`.
inline int run_cli(const std::string& args, std::string* output = nullptr) {
  return run_shell(std::string(SWINGPIPE_CLI) + " " + args, output);
}

}  // namespace swingpipe::test
