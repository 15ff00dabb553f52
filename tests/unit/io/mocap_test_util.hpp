#pragma once
// Helpers for the motion-capture tests: an N-dimensional '<f8' NPY loader for the oracles' arrays,
// the ezc3d oracle (tests/unit/io/oracles/ezc3d_dump.py) and the comparison of our recordings with
// what ezc3d read (every value; NaN exactly where ezc3d has NaN).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "swingpipe/host/recording.hpp"
#include "test_support.hpp"

namespace swingpipe::test {

struct NpyArray {
  std::vector<std::size_t> shape;
  std::vector<double> values;  ///< C order
};

/// A little-endian float64, C-order NPY file of any shape (the oracle scripts write these).
inline NpyArray load_npy_f8(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    throw std::runtime_error(p.string() + ": not an NPY file");
  const int major = bytes[6];
  const std::size_t hlen_size = major == 1 ? 2 : 4;
  std::size_t hlen = 0;
  for (std::size_t i = 0; i < hlen_size; ++i)
    hlen |= static_cast<std::size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
  const std::size_t start = 8 + hlen_size;
  const std::string header = bytes.substr(start, hlen);
  if (header.find("'<f8'") == std::string::npos)
    throw std::runtime_error(p.string() + ": expected <f8, header " + header);
  const bool fortran = header.find("'fortran_order': True") != std::string::npos;
  NpyArray a;
  const auto open = header.find('(', header.find("'shape'"));
  const auto close = header.find(')', open);
  std::string dims = header.substr(open + 1, close - open - 1);
  std::size_t pos = 0;
  while (pos < dims.size()) {
    const auto comma = dims.find(',', pos);
    const std::string d = dims.substr(pos, comma == std::string::npos ? dims.npos : comma - pos);
    if (d.find_first_not_of(' ') != std::string::npos) a.shape.push_back(std::stoul(d));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  std::size_t n = 1;
  for (auto d : a.shape) n *= d;
  a.values.resize(n);
  if (bytes.size() < start + hlen + 8 * n) throw std::runtime_error(p.string() + ": truncated");
  if (n) std::memcpy(a.values.data(), bytes.data() + start + hlen, 8 * n);
  if (fortran && a.shape.size() > 1) {  // first index fastest: reorder to C order
    std::vector<double> c(n);
    std::vector<std::size_t> idx(a.shape.size(), 0);
    for (std::size_t f = 0; f < n; ++f) {
      std::size_t ci = 0;
      for (std::size_t d = 0; d < a.shape.size(); ++d) ci = ci * a.shape[d] + idx[d];
      c[ci] = a.values[f];
      for (std::size_t d = 0; d < a.shape.size(); ++d) {  // advance the Fortran-order index
        if (++idx[d] < a.shape[d]) break;
        idx[d] = 0;
      }
    }
    a.values = std::move(c);
  }
  return a;
}

/// What ezc3d read from one C3D file.
struct Ezc3dReference {
  nlohmann::json meta;
  NpyArray points;   ///< frames x points x 3
  NpyArray analogs;  ///< samples x channels
};

/// Reads `<dir>/<stem>.json`, `.points.npy`, `.analogs.npy` (the shared data's oracle layout).
inline Ezc3dReference load_ezc3d_reference(const std::filesystem::path& dir,
                                           const std::string& stem) {
  Ezc3dReference r;
  std::ifstream(dir / (stem + ".json")) >> r.meta;
  r.points = load_npy_f8(dir / (stem + ".points.npy"));
  r.analogs = load_npy_f8(dir / (stem + ".analogs.npy"));
  return r;
}

/// Runs ezc3d (in the test venv) on `file`, writing its reading into `out_dir`.
inline Ezc3dReference ezc3d_read(const std::filesystem::path& py, const std::filesystem::path& file,
                                 const std::filesystem::path& out_dir) {
  const std::string script =
      std::string(SWINGPIPE_SOURCE_DIR) + "/tests/unit/io/oracles/ezc3d_dump.py";
  std::string out;
  const int rc = run_shell(
      py.string() + " " + script + " '" + file.string() + "' '" + out_dir.string() + "'", &out);
  if (rc != 0) throw std::runtime_error("ezc3d_dump.py failed: " + out);
  return load_ezc3d_reference(out_dir, file.stem().string());
}

inline bool same_value(double got, double want, double rel_tol) {
  if (std::isnan(want)) return std::isnan(got);
  if (rel_tol == 0) return got == want;
  return std::abs(got - want) <= rel_tol * std::max(1.0, std::abs(want));
}

/// Every point coordinate and analog sample of `recs` (points, then analogs, as c3d::read gives
/// them) equals ezc3d's; `analog_tol` allows ezc3d's float arithmetic where offsets are non-zero.
inline void expect_matches_ezc3d(const std::vector<Recording>& recs, const Ezc3dReference& ref,
                                 const std::string& what, double analog_tol = 0) {
  const auto& m = ref.meta;
  const std::size_t frames = m["frames"], points = m["points"];
  const std::size_t channels = m["analog_channels"], samples = m["analog_samples"];
  std::size_t r = 0;
  if (points > 0) {
    ASSERT_LT(r, recs.size()) << what;
    const Recording& p = recs[r++];
    ASSERT_EQ(static_cast<std::size_t>(p.frames()), frames) << what;
    ASSERT_EQ(static_cast<std::size_t>(p.channel_count()), 3 * points) << what;
    EXPECT_DOUBLE_EQ(p.sample_rate, m["point_rate"].get<double>()) << what;
    const auto labels = m["point_labels"].get<std::vector<std::string>>();
    for (std::size_t k = 0; k < points && k < labels.size(); ++k)
      EXPECT_EQ(p.channels[3 * k], labels[k] + "_x") << what;
    ASSERT_EQ(ref.points.values.size(), frames * points * 3) << what;
    std::size_t missing = 0;
    for (std::size_t t = 0; t < frames; ++t)
      for (std::size_t k = 0; k < points; ++k)
        for (std::size_t a = 0; a < 3; ++a) {
          const double want = ref.points.values[(t * points + k) * 3 + a];
          const double got = p.data[(3 * k + a) * frames + t];
          missing += std::isnan(got);
          ASSERT_TRUE(same_value(got, want, 0))
              << what << ": frame " << t << ", point " << k << ", axis " << a << ": got " << got
              << ", ezc3d " << want;
        }
    EXPECT_EQ(missing, m["missing_point_values"].get<std::size_t>()) << what;
  }
  if (channels > 0 && samples > 0) {
    ASSERT_LT(r, recs.size()) << what;
    const Recording& an = recs[r++];
    ASSERT_EQ(static_cast<std::size_t>(an.frames()), samples) << what;
    ASSERT_EQ(static_cast<std::size_t>(an.channel_count()), channels) << what;
    EXPECT_DOUBLE_EQ(an.sample_rate, m["analog_rate"].get<double>()) << what;
    EXPECT_EQ(an.channels, m["analog_labels"].get<std::vector<std::string>>()) << what;
    for (std::size_t s = 0; s < samples; ++s)
      for (std::size_t c = 0; c < channels; ++c) {
        const double want = ref.analogs.values[s * channels + c];
        const double got = an.data[c * samples + s];
        ASSERT_TRUE(same_value(got, want, analog_tol))
            << what << ": analog sample " << s << ", channel " << c << ": got " << got << ", ezc3d "
            << want;
      }
  }
  EXPECT_EQ(r, recs.size()) << what << ": more recordings than ezc3d has data";
}

}  // namespace swingpipe::test
