#pragma once
// The array sink (design.md §1): n-dimensional results (scalograms, lag matrices, induced
// acceleration contributions, RQA histograms) written as HDF5 files that h5py reads, or as .npy.
//
// Conventions (README "Array outputs" lists the datasets of each analysis):
// - Arrays are row-major (C order), as numpy and h5py see them; the slowest axis comes first.
// - Every dataset carries an "axes" attribute naming its dimensions, slowest first
//   ("channel,frequency,time"), and a "units" attribute ("1" when dimensionless). Axis coordinates
//   (frequencies in Hz, times in s) are datasets of their own, named in the README.
// - Complex values use h5py's layout: a compound of two floats named "r" and "i" (complex64 /
//   complex128 in numpy).
// - A file is complete or absent: it is written under a temp name in the same folder, flushed,
//   fsynced and renamed; a killed writer leaves at most a ".<name>.tmp.*" file, never a
//   half-written file under the final name. Writers refuse to overwrite nothing silently: the
//   rename replaces an older file whole.
#include <complex>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace swingpipe::io {

enum class DType { f32, f64, c64, c128, i32, i64, u8 };

std::size_t size_of(DType t);
/// numpy's name: "float32", "float64", "complex64", "complex128", "int32", "int64", "uint8".
std::string_view to_string(DType t);

template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() {
  return DType::f32;
}
template <>
constexpr DType dtype_of<double>() {
  return DType::f64;
}
template <>
constexpr DType dtype_of<std::complex<float>>() {
  return DType::c64;
}
template <>
constexpr DType dtype_of<std::complex<double>>() {
  return DType::c128;
}
template <>
constexpr DType dtype_of<int32_t>() {
  return DType::i32;
}
template <>
constexpr DType dtype_of<int64_t>() {
  return DType::i64;
}
template <>
constexpr DType dtype_of<uint8_t>() {
  return DType::u8;
}

/// An attribute: text, a number, or a 1-D list of them.
using AttrValue = std::variant<std::string, int64_t, double, std::vector<int64_t>,
                               std::vector<double>, std::vector<std::string>>;
/// Attributes in the order they are written.
using Attrs = std::vector<std::pair<std::string, AttrValue>>;

/// One dataset that owns its values (row-major).
struct ArrayDataset {
  std::string name;  ///< path inside the file: "power", "contributions/gravity" (groups made)
  DType dtype = DType::f64;
  std::vector<int64_t> shape;    ///< empty = a scalar
  std::vector<std::byte> bytes;  ///< elements() * size_of(dtype) bytes
  Attrs attrs;                   ///< at least "axes" and "units" by convention

  int64_t elements() const;

  /// Copies `values` (elements() of them, row-major) into a new dataset.
  template <class T>
  static ArrayDataset of(std::string name, std::vector<int64_t> shape, std::span<const T> values,
                         Attrs attrs = {});
  /// A 1-D dataset, e.g. an axis ("frequencies" in Hz).
  template <class T>
  static ArrayDataset vector(std::string name, std::span<const T> values, Attrs attrs = {}) {
    return of<T>(std::move(name), {static_cast<int64_t>(values.size())}, values, std::move(attrs));
  }
  /// The values as T (T must match dtype; InputError otherwise).
  template <class T>
  std::span<const T> values() const;
};

/// What one .h5 file holds: file-level attributes (run_id, recording_id, analysis, ...) and its
/// datasets.
struct ArrayFile {
  Attrs attrs;
  std::vector<ArrayDataset> datasets;

  bool empty() const { return datasets.empty(); }
  /// The dataset called `name`; NotFoundError naming it and the file's datasets otherwise.
  const ArrayDataset& at(std::string_view name) const;
};

/// Writes `file` atomically (see the header comment). StorageError naming the path on failure.
void write_h5(const std::filesystem::path& path, const ArrayFile& file);

/// Reads a file written by write_h5 (or any file of numeric datasets of the types above, with
/// string/numeric attributes). InputError naming the file and dataset for anything else;
/// NotFoundError when the file does not exist.
ArrayFile read_h5(const std::filesystem::path& path);

/// Streams datasets too large to hold in memory (e.g. a scalogram of 10^7 samples): each dataset
/// is created with its full shape, then filled block by block. commit() makes the file appear
/// whole; destroying a writer that was not committed removes its temp file.
class H5Writer {
 public:
  explicit H5Writer(std::filesystem::path path, const Attrs& file_attrs = {});
  ~H5Writer();
  H5Writer(const H5Writer&) = delete;
  H5Writer& operator=(const H5Writer&) = delete;

  /// Creates a dataset; `chunk` (same rank as shape, empty = chosen here) sets HDF5 chunking.
  void create(const std::string& name, DType dtype, const std::vector<int64_t>& shape,
              const Attrs& attrs = {}, const std::vector<int64_t>& chunk = {});
  /// Writes the row-major block of `count` elements per dimension starting at `start`.
  void write(const std::string& name, std::span<const int64_t> start,
             std::span<const int64_t> count, const void* data);
  /// create() + write() of a whole dataset.
  void add(const ArrayDataset& dataset);
  /// Flushes, closes, fsyncs and renames the file into place.
  void commit();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// One dataset as a .npy file (any rank, the dtypes above; complex as numpy's '<c8'/'<c16'),
/// written atomically. Attributes are not kept (use .h5 for them).
void write_npy_array(const std::filesystem::path& path, const ArrayDataset& dataset);

}  // namespace swingpipe::io
