// `swingpipe cwt` against SciPy (external oracle, .venv-test): scipy.signal.morlet2 sets the
// wavelet and its L2 normalization, scipy.signal.cwt (SciPy 1.11) the convention (correlation
// with conj(psi), output the input's length, zero outside). scipy.signal.cwt truncates each
// wavelet to 10 s samples (+-5 s); the comparison with it is to that truncation (~1e-6 of the
// row's largest value). With morlet2 over +-12 s and numpy.convolve the two must agree to
// rounding. Scales chosen so that 10 s is an odd integer: scipy centres such a wavelet exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "swingpipe/host/io.hpp"
#include "test_support.hpp"

namespace swingpipe {
namespace {

constexpr const char* kScript = R"PY(
import sys, numpy as np, scipy, scipy.signal as ss
x = np.load(sys.argv[1])[:, 0]
w = np.load(sys.argv[2])
w0, freqs = float(sys.argv[3]), [float(v) for v in sys.argv[4].split(",")]
assert w.shape == (1, len(freqs), x.size) and w.dtype == np.complex128, (w.shape, w.dtype)
widths = [w0 / (2 * np.pi * f) for f in freqs]  # fs = 1
# scipy.signal.cwt takes 10 * width samples: make that an exact (odd) integer.
api_widths = [round(10 * s) / 10 for s in widths]
assert all(10 * s == round(10 * s) and round(10 * s) % 2 == 1 for s in api_widths), api_widths
api = ss.cwt(x, ss.morlet2, api_widths, w=w0, dtype=np.complex128)
worst_api = worst_long = 0.0
for i, s in enumerate(widths):
    m = 2 * int(np.ceil(12 * s)) + 1
    psi = ss.morlet2(m, s, w=w0)
    assert m <= x.size
    ref = np.convolve(x, np.conj(psi)[::-1], mode="same")
    scale = np.max(np.abs(ref))
    worst_api = max(worst_api, np.max(np.abs(w[0, i] - api[i])) / scale)
    worst_long = max(worst_long, np.max(np.abs(w[0, i] - ref)) / scale)
print(f"scipy {scipy.__version__} cwt {worst_api:.3e} morlet2 {worst_long:.3e}")
)PY";

TEST(CwtScipy, MatchesScipyMorlet2AndCwt) {
  SWINGPIPE_REQUIRE_TEST_PYTHON(py);
  std::string out;
  if (test::run_shell(py.string() + " -c 'import scipy.signal as s; s.morlet2; s.cwt'", &out) !=
      0) {
    GTEST_SKIP() << "scipy with morlet2/cwt (1.11) is not in the test venv: run "
                    "tools/test-venv.sh\n"
                 << out;
  }
  auto rng = test::fresh_rng();
  test::TempDir dir;
  const int64_t n = 1500;
  Recording rec;
  rec.meta.filename = "sig.npy";
  rec.meta.num_frames = n;
  rec.channels = {"x"};
  rec.data = test::random_values(rng, static_cast<std::size_t>(n));
  io::write_npy(dir / "sig.npy", rec);
  std::ofstream(dir / "oracle.py") << kScript;

  for (double w0 : {6.0, 10.0}) {
    // Scales 3.3 .. 40.1 samples (10 s = 33 .. 401 samples, odd; below Nyquist for w0 10).
    std::string freqs;
    for (double s : {3.3, 4.5, 6.3, 8.7, 16.5, 40.1}) {
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.17g", w0 / (2 * M_PI * s));
      freqs += (freqs.empty() ? "" : ",") + std::string(buf);
    }
    const std::string wfile = (dir / "w.npy").string();
    char w0_text[32];
    std::snprintf(w0_text, sizeof w0_text, "%.17g", w0);
    ASSERT_EQ(test::run_cli("-q cwt " + (dir / "sig.npy").string() +
                                " --sample-rate 1 --output complex --precision float64 "
                                "--planning estimate --omega0 " +
                                w0_text + " --frequencies " + freqs + " --out " + wfile,
                            &out),
              0)
        << out;
    ASSERT_EQ(
        test::run_shell(py.string() + " " + (dir / "oracle.py").string() + " " +
                            (dir / "sig.npy").string() + " " + wfile + " " + w0_text + " " + freqs,
                        &out),
        0)
        << out;
    std::printf("[ w0 %-5g ] %s", w0, out.c_str());
    double api = NAN, full = NAN;
    ASSERT_EQ(std::sscanf(out.substr(out.find("cwt ")).c_str(), "cwt %lf morlet2 %lf", &api, &full),
              2)
        << out;
    EXPECT_LT(api, 5e-6) << "w0 " << w0 << ": " << out;  // scipy's +-5 s truncation
    EXPECT_LT(full, 1e-11) << "w0 " << w0 << ": " << out;
  }
}

}  // namespace
}  // namespace swingpipe
