// The array sink: HDF5 files that read back exactly, that h5py reads with the same values, that are
// complete or absent; .npy arrays numpy reads; exporter tickets.
#include <gmock/gmock.h>
#include <sys/wait.h>
#include <unistd.h>

#include <complex>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "io_test_util.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/arrays.hpp"
#include "swingpipe/host/exporter.hpp"
#include "swingpipe/host/io.hpp"
#include "test_support.hpp"

namespace swingpipe {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> names_in(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

/// A file with every element type, a scalar, a nested group, an empty array, and every attribute
/// kind, filled with fresh random values.
io::ArrayFile sample_file(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, 1e3);
  auto reals = [&](std::size_t n) {
    std::vector<double> v(n);
    for (auto& x : v) x = g(rng);
    return v;
  };
  const auto d = reals(6 * 7);
  std::vector<float> f(3 * 4 * 5);
  for (auto& x : f) x = static_cast<float>(g(rng));
  std::vector<std::complex<float>> c64(2 * 9);
  for (auto& x : c64) x = {static_cast<float>(g(rng)), static_cast<float>(g(rng))};
  std::vector<std::complex<double>> c128(11);
  for (auto& x : c128) x = {g(rng), g(rng)};
  std::vector<int32_t> i32{-2147483647 - 1, -1, 0, 1, 2147483647};
  std::vector<int64_t> i64{INT64_MIN, -5, 0, 7, INT64_MAX};
  std::vector<uint8_t> u8{0, 1, 127, 128, 255};
  const std::vector<double> scalar{g(rng)};

  io::ArrayFile file;
  file.attrs = {{"run_id", std::string("r1")},
                {"recording_id", int64_t{42}},
                {"sample_rate", 240.0},
                {"ids", std::vector<int64_t>{3, 1, 2}},
                {"frequencies", reals(4)},
                {"channels", std::vector<std::string>{"pelvis_rot", "club", "ünïcode"}}};
  file.datasets.push_back(io::ArrayDataset::of<double>(
      "matrix", {6, 7}, d, {{"axes", std::string("row,col")}, {"units", std::string("s")}}));
  file.datasets.push_back(io::ArrayDataset::of<float>("cube", {3, 4, 5}, f));
  file.datasets.push_back(io::ArrayDataset::of<std::complex<float>>(
      "scalogram/complex64", {2, 9}, c64, {{"axes", std::string("frequency,time")}}));
  file.datasets.push_back(
      io::ArrayDataset::vector<std::complex<double>>("scalogram/deep/c128", c128));
  file.datasets.push_back(io::ArrayDataset::vector<int32_t>("i32", i32));
  file.datasets.push_back(io::ArrayDataset::vector<int64_t>("i64", i64));
  file.datasets.push_back(io::ArrayDataset::vector<uint8_t>("u8", u8));
  file.datasets.push_back(io::ArrayDataset::of<double>("scalar", {}, scalar));
  file.datasets.push_back(io::ArrayDataset::of<double>("empty", {0, 3}, std::span<const double>{}));
  return file;
}

void expect_same(const io::ArrayFile& a, const io::ArrayFile& b) {
  EXPECT_EQ(a.attrs, b.attrs);
  ASSERT_EQ(a.datasets.size(), b.datasets.size());
  for (std::size_t i = 0; i < a.datasets.size(); ++i) {
    const auto &x = a.datasets[i], &y = b.datasets[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.dtype, y.dtype) << x.name;
    EXPECT_EQ(x.shape, y.shape) << x.name;
    EXPECT_EQ(x.attrs, y.attrs) << x.name;
    EXPECT_TRUE(x.bytes == y.bytes) << x.name << ": values differ";
  }
}

TEST(ArraySink, EveryTypeShapeAndAttributeReadsBackExactlyInOrder) {
  test::TempDir dir;
  const auto file = sample_file(std::random_device{}());
  io::write_h5(dir / "a.h5", file);
  expect_same(io::read_h5(dir / "a.h5"), file);
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"a.h5"});  // no temp file left
  EXPECT_THAT(file.at("cube").values<float>().size(), 60u);
  EXPECT_THROW(file.at("nope"), NotFoundError);
  EXPECT_THROW(file.at("cube").values<double>(), InputError);
}

// h5py is the reader our users have: it must see the same numbers, dtypes, shapes and attributes.
TEST(ArraySink, H5pyReadsTheSameValues) {
  SWINGPIPE_REQUIRE_TEST_PYTHON(py);
  test::TempDir dir;
  const auto file = sample_file(std::random_device{}());
  io::write_h5(dir / "a.h5", file);
  std::ofstream(dir / "dump.py") << R"PY(
import h5py, json, sys
import numpy as np
out = {"attrs": {}, "datasets": []}
def attr(v):
    if isinstance(v, np.ndarray): return [attr(x) for x in v.tolist()]
    if isinstance(v, (bytes, np.bytes_)): return v.decode()
    if isinstance(v, np.generic): return v.item()
    return v
with h5py.File(sys.argv[1], "r") as f:
    out["attrs"] = {k: attr(v) for k, v in f.attrs.items()}
    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            a = obj[()]
            a = np.asarray(a)
            vals = a.ravel().tolist()
            if np.iscomplexobj(a): vals = [[z.real, z.imag] for z in vals]
            out["datasets"].append({"name": name, "dtype": str(a.dtype), "shape": list(a.shape),
                                    "values": vals,
                                    "attrs": {k: attr(v) for k, v in obj.attrs.items()}})
    f.visititems(visit)
print(json.dumps(out))
)PY";
  std::string out;
  ASSERT_EQ(test::run_shell(py.string() + " " + (dir / "dump.py").string() + " " +
                                (dir / "a.h5").string() + " 2>/dev/null",
                            &out),
            0)
      << out;
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["attrs"]["run_id"], "r1");
  EXPECT_EQ(j["attrs"]["recording_id"], 42);
  EXPECT_EQ(j["attrs"]["sample_rate"], 240.0);
  EXPECT_EQ(j["attrs"]["ids"], nlohmann::json({3, 1, 2}));
  EXPECT_EQ(j["attrs"]["channels"], nlohmann::json({"pelvis_rot", "club", "ünïcode"}));
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& d : j["datasets"]) by_name[d["name"]] = d;
  ASSERT_EQ(by_name.size(), file.datasets.size());
  for (const auto& d : file.datasets) {
    SCOPED_TRACE(d.name);
    const auto& h = by_name.at(d.name);
    EXPECT_EQ(h["dtype"], std::string(io::to_string(d.dtype)));
    EXPECT_EQ(h["shape"].get<std::vector<int64_t>>(), d.shape);
    const auto& v = h["values"];
    ASSERT_EQ(v.size(), static_cast<std::size_t>(d.elements()));
    for (std::size_t k = 0; k < v.size(); ++k) {
      switch (d.dtype) {
        case io::DType::f32:
          ASSERT_EQ(v[k].get<float>(), d.values<float>()[k]);
          break;
        case io::DType::f64:
          ASSERT_EQ(v[k].get<double>(), d.values<double>()[k]);
          break;
        case io::DType::c64:
          ASSERT_EQ(v[k][0].get<float>(), d.values<std::complex<float>>()[k].real());
          ASSERT_EQ(v[k][1].get<float>(), d.values<std::complex<float>>()[k].imag());
          break;
        case io::DType::c128:
          ASSERT_EQ(v[k][0].get<double>(), d.values<std::complex<double>>()[k].real());
          ASSERT_EQ(v[k][1].get<double>(), d.values<std::complex<double>>()[k].imag());
          break;
        case io::DType::i32:
          ASSERT_EQ(v[k].get<int32_t>(), d.values<int32_t>()[k]);
          break;
        case io::DType::i64:
          ASSERT_EQ(v[k].get<int64_t>(), d.values<int64_t>()[k]);
          break;
        case io::DType::u8:
          ASSERT_EQ(v[k].get<int>(), d.values<uint8_t>()[k]);
          break;
      }
    }
  }
  EXPECT_EQ(by_name["matrix"]["attrs"]["axes"], "row,col");
  EXPECT_EQ(by_name["matrix"]["attrs"]["units"], "s");
}

TEST(ArraySink, StreamedBlocksEqualAWholeWrite) {
  test::TempDir dir;
  const int64_t rows = 5, cols = 1000;
  std::vector<double> all(rows * cols);
  std::mt19937_64 rng(std::random_device{}());
  std::uniform_real_distribution<double> u(-1, 1);
  for (auto& x : all) x = u(rng);
  {
    io::H5Writer w(dir / "s.h5", {{"kind", std::string("streamed")}});
    w.create("x", io::DType::f64, {rows, cols}, {{"axes", std::string("row,time")}}, {1, 128});
    // Column blocks of uneven width, each a row-major (rows x width) block.
    for (int64_t c0 = 0; c0 < cols; c0 += 300) {
      const int64_t width = std::min<int64_t>(300, cols - c0);
      std::vector<double> block;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = c0; c < c0 + width; ++c) block.push_back(all[r * cols + c]);
      const int64_t start[] = {0, c0}, count[] = {rows, width};
      w.write("x", start, count, block.data());
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "s.h5")) << "visible before commit";
    w.commit();
  }
  const auto back = io::read_h5(dir / "s.h5");
  EXPECT_EQ(back.at("x").shape, (std::vector<int64_t>{rows, cols}));
  const auto v = back.at("x").values<double>();
  EXPECT_TRUE(std::equal(v.begin(), v.end(), all.begin(), all.end()));
}

TEST(ArraySink, AWriterThatIsNotCommittedLeavesNothing) {
  test::TempDir dir;
  io::write_h5(dir / "old.h5", sample_file(1));
  const auto before = io::read_h5(dir / "old.h5");
  {
    io::H5Writer w(dir / "old.h5");
    w.add(io::ArrayDataset::vector<double>("x", std::vector<double>{1, 2, 3}));
    // destroyed without commit(), as when an analysis throws mid-write
  }
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"old.h5"});
  expect_same(io::read_h5(dir / "old.h5"), before);  // the older file is untouched
}

TEST(ArraySink, BadWritesAreRefusedNamingTheDataset) {
  test::TempDir dir;
  io::H5Writer w(dir / "b.h5");
  w.create("x", io::DType::f32, {2, 3});
  const float v[6] = {};
  const int64_t start[] = {1, 0}, count[] = {2, 3};
  EXPECT_THAT(test::error_message<InputError>([&] { w.write("x", start, count, v); }),
              HasSubstr("outside its shape"));
  EXPECT_THAT(test::error_message<InputError>([&] { w.create("x", io::DType::f32, {1}); }),
              HasSubstr("'x'"));
  EXPECT_THAT(test::error_message<InputError>([&] { w.write("y", start, count, v); }),
              HasSubstr("no dataset 'y'"));
  io::ArrayDataset wrong = io::ArrayDataset::vector<float>("z", std::vector<float>{1, 2});
  wrong.shape = {3};
  EXPECT_THAT(test::error_message<InputError>([&] { w.add(wrong); }), HasSubstr("'z'"));
  EXPECT_THAT(test::error_message<InputError>([] {
                io::ArrayDataset::of<double>("m", {2, 2}, std::vector<double>{1, 2, 3});
              }),
              HasSubstr("4 elements but 3 values"));
}

TEST(ArraySink, ReadingRefusesWhatIsNotAnArrayFile) {
  test::TempDir dir;
  EXPECT_THROW(io::read_h5(dir / "missing.h5"), NotFoundError);
  std::ofstream(dir / "text.h5") << "not hdf5\n";
  EXPECT_THAT(test::error_message<InputError>([&] { io::read_h5(dir / "text.h5"); }),
              HasSubstr((dir / "text.h5").string() + ": not an HDF5 file"));
  EXPECT_THROW(io::write_h5(dir / "no" / "such" / "folder.h5", sample_file(2)), StorageError);
}

TEST(ArraySink, NpyArraysLoadInNumpyWithTheirDtypeAndShape) {
  SWINGPIPE_REQUIRE_TEST_PYTHON(py);
  test::TempDir dir;
  std::vector<std::complex<float>> c(2 * 3 * 4);
  for (std::size_t i = 0; i < c.size(); ++i)
    c[i] = {static_cast<float>(i) * 0.5f, -static_cast<float>(i)};
  io::write_npy_array(dir / "c.npy", io::ArrayDataset::of<std::complex<float>>("c", {2, 3, 4}, c));
  io::write_npy_array(dir / "v.npy",
                      io::ArrayDataset::vector<int64_t>("v", std::vector<int64_t>{5, -6}));
  std::string out;
  ASSERT_EQ(test::run_shell(py.string() +
                                " -c \"import numpy as np, sys; a = np.load(sys.argv[1]);"
                                " b = np.load(sys.argv[2]); print(a.dtype, a.shape, "
                                "a[1,2,3], b.dtype, b.shape, b.tolist())\" " +
                                (dir / "c.npy").string() + " " + (dir / "v.npy").string(),
                            &out),
            0)
      << out;
  EXPECT_EQ(out, "complex64 (2, 3, 4) (11.5-23j) int64 (2,) [5, -6]\n");
}

TEST(AsyncExporter, TicketsWaitForAJobAndEveryEarlierOne) {
  test::TempDir dir;
  io::AsyncExporter exporter(2);
  std::vector<uint64_t> tickets;
  for (int i = 0; i < 6; ++i)
    tickets.push_back(exporter.submit_job("job " + std::to_string(i), [&dir, i] {
      io::write_h5(dir / ("f" + std::to_string(i) + ".h5"), sample_file(static_cast<uint64_t>(i)));
    }));
  EXPECT_TRUE(std::is_sorted(tickets.begin(), tickets.end()));
  exporter.wait(tickets[3]);
  for (int i = 0; i <= 3; ++i)
    EXPECT_TRUE(std::filesystem::exists(dir / ("f" + std::to_string(i) + ".h5"))) << i;
  const auto bad = exporter.submit_job("the bad one", [] { throw InputError("boom"); });
  EXPECT_THAT(test::error_message<StorageError>([&] { exporter.wait(bad); }),
              HasSubstr("the bad one: boom"));
  exporter.flush();
  EXPECT_EQ(exporter.written(), 6);
}

TEST(AtomicWrite, StaleTempFilesOfDeadWritersAreRemovedOthersKept) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "arrays" / "cwt");
  const pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  waitpid(child, nullptr, 0);  // a pid that no longer runs
  const auto dead = dir / "arrays" / "cwt" / (".3.h5.tmp." + std::to_string(child) + ".0");
  const auto alive = dir / "arrays" / (".4.h5.tmp." + std::to_string(getpid()) + ".7");
  const auto other = dir / ".hidden.tmp.notes";
  for (const auto& p : {dead, alive, other}) std::ofstream(p) << "x";
  EXPECT_EQ(io::remove_stale_temp_files(dir.path()), 1);
  EXPECT_FALSE(std::filesystem::exists(dead));
  EXPECT_TRUE(std::filesystem::exists(alive));
  EXPECT_TRUE(std::filesystem::exists(other));
}

}  // namespace
}  // namespace swingpipe
