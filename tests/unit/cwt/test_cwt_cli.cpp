// `swingpipe cwt` end to end: .h5 streamed in tiles and .npy in memory hold the kernel's values
// bit for bit (and h5py/numpy read them alike), pairs, library ids, and bad input.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "swingpipe/host/arrays.hpp"
#include "swingpipe/host/io.hpp"
#include "swingpipe/host/library.hpp"
#include "swingpipe/kernels/cwt.hpp"
#include "test_support.hpp"

namespace swingpipe {
namespace {

/// The data bytes of a .npy file (after its header).
std::string npy_data(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t header =
      static_cast<unsigned char>(all[8]) | (static_cast<unsigned char>(all[9]) << 8);
  return all.substr(10 + header);
}

Recording two_channels(std::mt19937_64& rng, int64_t n, double fs) {
  Recording rec;
  rec.meta.filename = "sig.npy";
  rec.meta.num_frames = n;
  rec.sample_rate = fs;
  rec.channels = {"c0", "c1"};
  rec.data = test::random_values(rng, static_cast<std::size_t>(2 * n));
  return rec;
}

TEST(CwtCli, StreamedH5AndInMemoryNpyHoldTheKernelsValues) {
  auto rng = test::fresh_rng();
  test::TempDir dir;
  const int64_t n = 60000;
  const Recording rec = two_channels(rng, n, 100.0);
  io::write_npy(dir / "sig.npy", rec);  // .npy stores no sample rate
  const std::string in = (dir / "sig.npy").string();
  const std::string common =
      " --sample-rate 100 --fmin 2 --fmax 40 --count 8 --output complex "
      "--precision float32 --threads 2 --planning estimate";
  std::string out;
  ASSERT_EQ(test::run_cli("--json cwt " + in + common + " --memory-budget 0.05 --out " +
                              (dir / "w.h5").string(),
                          &out),
            0)
      << out;
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["shape"], nlohmann::json({2, 8, n}));
  ASSERT_EQ(test::run_cli("-q cwt " + in + common + " --out " + (dir / "w.npy").string(), &out), 0)
      << out;

  // The same transform through the API.
  std::vector<float> x(rec.data.begin(), rec.data.end());
  const cwt::Plan plan({.length = n,
                        .frequencies = cwt::geometric_frequencies(2, 40, 8),
                        .sample_rate = 100.0,
                        .precision = cwt::Precision::float32,
                        .planning = cwt::Planning::estimate});  // deterministic, as the CLI's
  ASSERT_GT(plan.geometry().blocks, 1);
  std::vector<std::complex<float>> want(2 * 8 * n);
  cwt::transform<float>(plan, {x.data(), n, 2}, want);
  const auto file = io::read_h5(dir / "w.h5");
  const auto got = file.at("scalogram").values<std::complex<float>>();
  ASSERT_EQ(got.size(), want.size());
  EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size() * sizeof(want[0])), 0);
  EXPECT_EQ(file.at("scalogram").shape, (std::vector<int64_t>{2, 8, n}));
  EXPECT_EQ(file.at("frequencies").values<double>()[7], 40.0);
  const std::string raw = npy_data(dir / "w.npy");
  ASSERT_EQ(raw.size(), want.size() * sizeof(want[0]));
  EXPECT_EQ(std::memcmp(raw.data(), want.data(), raw.size()), 0);

  // h5py and numpy read the two files alike (complex64 compound, C order).
  SWINGPIPE_REQUIRE_TEST_PYTHON(py);
  const std::string script =
      "import sys, h5py, numpy as np\n"
      "f = h5py.File(sys.argv[1])\n"
      "a = f['scalogram'][()]\n"
      "b = np.load(sys.argv[2])\n"
      "assert a.dtype == np.complex64 and a.shape == b.shape == (2, 8, " +
      std::to_string(n) +
      "), (a.dtype, a.shape)\n"
      "assert np.array_equal(a, b)\n"
      "assert f['scalogram'].attrs['axes'] == 'channel,frequency,time'\n"
      "assert list(f.attrs['channels']) == ['c0', 'c1']\n"
      "print('ok')\n";
  std::ofstream(dir / "check.py") << script;
  ASSERT_EQ(test::run_shell(py.string() + " " + (dir / "check.py").string() + " " +
                                (dir / "w.h5").string() + " " + (dir / "w.npy").string(),
                            &out),
            0)
      << out;
}

TEST(CwtCli, MaxFftSizesGroupsScalesWithTheSameValues) {
  auto rng = test::fresh_rng();
  test::TempDir dir;
  const int64_t n = 500;
  io::write_npy(dir / "sig.npy", two_channels(rng, n, 100.0));
  const std::string in = (dir / "sig.npy").string();
  const std::string common =
      " --sample-rate 100 --fmin 1 --fmax 40 --count 16 --output complex "
      "--planning estimate --out ";
  std::string out;
  ASSERT_EQ(test::run_cli("--json cwt " + in + common + (dir / "grouped.npy").string(), &out), 0)
      << out;
  const auto grouped = nlohmann::json::parse(out)["fft_sizes"];
  ASSERT_EQ(
      test::run_cli("--json cwt " + in + common + (dir / "one.npy").string() + " --max-fft-sizes 1",
                    &out),
      0)
      << out;
  const auto one = nlohmann::json::parse(out)["fft_sizes"];
  ASSERT_EQ(one.size(), 1u);
  ASSERT_GE(grouped.size(), 2u);
  EXPECT_LE(grouped.back().get<int64_t>(), one[0].get<int64_t>());
  EXPECT_LT(grouped.front().get<int64_t>(), one[0].get<int64_t>());
  const std::string a = npy_data(dir / "grouped.npy"), b = npy_data(dir / "one.npy");
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(a.size(), 2 * 16 * n * sizeof(std::complex<double>));
  std::vector<std::complex<double>> wa(a.size() / sizeof(std::complex<double>)), wb(wa.size());
  std::memcpy(wa.data(), a.data(), a.size());
  std::memcpy(wb.data(), b.data(), b.size());
  double err = 0, peak = 0;
  for (std::size_t k = 0; k < wa.size(); ++k) {
    err = std::max(err, std::abs(wa[k] - wb[k]));
    peak = std::max(peak, std::abs(wb[k]));
  }
  EXPECT_GT(peak, 0.1);
  EXPECT_LE(err, 1e-12 * peak);
  EXPECT_EQ(test::run_cli("cwt " + in + " --sample-rate 100 --max-fft-sizes -1", &out), 2) << out;
  EXPECT_NE(out.find("max-fft-sizes"), std::string::npos) << out;
}

TEST(CwtCli, PairsAndLibraryIds) {
  test::TempDir dir;
  const std::string lib = (dir / "lib.db").string();
  std::string out;
  ASSERT_EQ(test::run_cli("-q --library " + lib + " demo-data --count 2", &out), 0) << out;
  ASSERT_EQ(test::run_cli("--json --library " + lib +
                              " cwt id:2 --cross pelvis_rot_vel,club_vel --count 6 --out " +
                              (dir / "x.h5").string(),
                          &out),
            0)
      << out;
  EXPECT_EQ(nlohmann::json::parse(out)["mode"], "xwt");
  const auto x = io::read_h5(dir / "x.h5");
  EXPECT_EQ(x.at("cross_power").shape.size(), 2u);
  ASSERT_EQ(test::run_cli("--json --library " + lib +
                              " cwt id:2 --coherence pelvis_rot_vel,club_vel --count 6 --out " +
                              (dir / "c.h5").string(),
                          &out),
            0)
      << out;
  const auto c = io::read_h5(dir / "c.h5");
  for (double v : c.at("coherence").values<double>())
    if (!std::isnan(v)) {
      ASSERT_TRUE(v >= 0 && v <= 1) << v;
    }
  EXPECT_EQ(c.at("phase").shape, c.at("coherence").shape);
  // Without --out: the peak frequency per channel. --fftw-wisdom saves the measured plans, and
  // the next run reads them back.
  const std::string wisdom = (dir / "fftw.wisdom").string();
  for (int run = 0; run < 2; ++run) {
    ASSERT_EQ(test::run_cli("--json --library " + lib +
                                " cwt id:1 --channels club_vel --fftw-wisdom " + wisdom,
                            &out),
              0)
        << out;
    EXPECT_EQ(nlohmann::json::parse(out)["peaks"][0]["name"], "club_vel");
    EXPECT_TRUE(std::filesystem::exists(wisdom));
  }
}

TEST(CwtCli, BadInputExitsWithAClearMessage) {
  auto rng = test::fresh_rng();
  test::TempDir dir;
  io::write_npy(dir / "sig.npy", two_channels(rng, 500, 100.0));
  const std::string in = (dir / "sig.npy").string();
  std::string out;
  EXPECT_EQ(test::run_cli("cwt " + (dir / "missing.npy").string() + " --sample-rate 100", &out), 3)
      << out;
  EXPECT_EQ(test::run_cli("cwt " + in, &out), 2) << out;  // no sample rate
  EXPECT_NE(out.find("--sample-rate"), std::string::npos) << out;
  EXPECT_EQ(test::run_cli("cwt " + in + " --sample-rate 100 --fmax 80", &out), 2) << out;
  EXPECT_NE(out.find("Nyquist"), std::string::npos) << out;
  EXPECT_EQ(test::run_cli("cwt " + in + " --sample-rate 100 --channels c0,nope", &out), 2) << out;
  EXPECT_NE(out.find("nope"), std::string::npos) << out;
  EXPECT_EQ(test::run_cli("cwt " + in + " --sample-rate 100 --out x.txt", &out), 2) << out;
  EXPECT_EQ(test::run_cli("cwt " + in + " --sample-rate 100 --cross c0", &out), 2) << out;
  EXPECT_EQ(test::run_cli("cwt " + in + " --sample-rate 100 --frequencies 1,2 --fmin 1", &out), 2)
      << out;
  EXPECT_EQ(test::run_cli("cwt " + in + " --sample-rate 100 --frequencies 1,abc", &out), 2) << out;
  EXPECT_EQ(test::run_cli("cwt " + in + " --sample-rate 100 --output phase", &out), 2) << out;
  EXPECT_EQ(test::run_cli("cwt " + in + " --sample-rate 100 --precision half", &out), 2) << out;
  EXPECT_EQ(test::run_cli("cwt " + in + " --sample-rate -3", &out), 2) << out;
  EXPECT_EQ(test::run_cli("cwt id:x", &out), 2) << out;
  EXPECT_EQ(test::run_cli("cwt " + in + " --sample-rate 100 --planning slow", &out), 2) << out;
  std::ofstream(dir / "bad.wisdom") << "not wisdom";
  EXPECT_EQ(
      test::run_cli(
          "cwt " + in + " --sample-rate 100 --fftw-wisdom " + (dir / "bad.wisdom").string(), &out),
      2)
      << out;
  EXPECT_FALSE(std::filesystem::exists("x.txt"));
  ASSERT_EQ(test::run_cli("cwt --help", &out), 0) << out;
  EXPECT_NE(out.find("--coherence"), std::string::npos);
}

}  // namespace
}  // namespace swingpipe
