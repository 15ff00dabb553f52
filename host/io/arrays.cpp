// Array datasets (host/arrays.hpp): element types, owning datasets, and the .npy writer.
#include <cstring>
#include <limits>

#include "swingpipe/error.hpp"
#include "swingpipe/host/arrays.hpp"
#include "swingpipe/host/io.hpp"

namespace swingpipe::io {

std::size_t size_of(DType t) {
  switch (t) {
    case DType::f32:
      return 4;
    case DType::f64:
      return 8;
    case DType::c64:
      return 8;
    case DType::c128:
      return 16;
    case DType::i32:
      return 4;
    case DType::i64:
      return 8;
    case DType::u8:
      return 1;
  }
  return 0;
}

std::string_view to_string(DType t) {
  switch (t) {
    case DType::f32:
      return "float32";
    case DType::f64:
      return "float64";
    case DType::c64:
      return "complex64";
    case DType::c128:
      return "complex128";
    case DType::i32:
      return "int32";
    case DType::i64:
      return "int64";
    case DType::u8:
      return "uint8";
  }
  return "?";
}

namespace {

/// Product of the dimensions; InputError naming the dataset when one is negative or the product
/// overflows.
int64_t element_count(const std::string& name, const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw InputError("array '" + name + "': negative dimension " + std::to_string(d));
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
      throw InputError("array '" + name + "': shape too large (element count overflows)");
    n *= d;
  }
  return n;
}

}  // namespace

int64_t ArrayDataset::elements() const {
  return element_count(name, shape);
}

template <class T>
ArrayDataset ArrayDataset::of(std::string name, std::vector<int64_t> shape,
                              std::span<const T> values, Attrs attrs) {
  ArrayDataset d;
  d.name = std::move(name);
  d.dtype = dtype_of<T>();
  d.shape = std::move(shape);
  d.attrs = std::move(attrs);
  const int64_t n = d.elements();
  if (static_cast<std::size_t>(n) != values.size())
    throw InputError("array '" + d.name + "': shape holds " + std::to_string(n) + " elements but " +
                     std::to_string(values.size()) + " values were given");
  d.bytes.resize(values.size_bytes());
  if (!values.empty()) std::memcpy(d.bytes.data(), values.data(), values.size_bytes());
  return d;
}

template <class T>
std::span<const T> ArrayDataset::values() const {
  if (dtype != dtype_of<T>())
    throw InputError("array '" + name + "' holds " + std::string(to_string(dtype)) + ", not " +
                     std::string(to_string(dtype_of<T>())));
  return {reinterpret_cast<const T*>(bytes.data()), bytes.size() / sizeof(T)};
}

#define SWINGPIPE_ARRAY_TYPE(T)                                                                    \
  template ArrayDataset ArrayDataset::of<T>(std::string, std::vector<int64_t>, std::span<const T>, \
                                            Attrs);                                                \
  template std::span<const T> ArrayDataset::values<T>() const;
SWINGPIPE_ARRAY_TYPE(float)
SWINGPIPE_ARRAY_TYPE(double)
SWINGPIPE_ARRAY_TYPE(std::complex<float>)
SWINGPIPE_ARRAY_TYPE(std::complex<double>)
SWINGPIPE_ARRAY_TYPE(int32_t)
SWINGPIPE_ARRAY_TYPE(int64_t)
SWINGPIPE_ARRAY_TYPE(uint8_t)
#undef SWINGPIPE_ARRAY_TYPE

const ArrayDataset& ArrayFile::at(std::string_view name) const {
  std::string known;
  for (const auto& d : datasets) {
    if (d.name == name) return d;
    known += (known.empty() ? "" : ", ") + d.name;
  }
  throw NotFoundError("no array dataset '" + std::string(name) +
                      "' (have: " + (known.empty() ? "none" : known) + ")");
}

void write_npy_array(const std::filesystem::path& path, const ArrayDataset& d) {
  static const char* descr[] = {"<f4", "<f8", "<c8", "<c16", "<i4", "<i8", "|u1"};
  const int64_t n = d.elements();
  if (static_cast<std::size_t>(n) * size_of(d.dtype) != d.bytes.size())
    throw InputError("array '" + d.name + "': " + std::to_string(d.bytes.size()) +
                     " bytes do not match its shape");
  std::string shape = "(";
  for (std::size_t i = 0; i < d.shape.size(); ++i)
    shape +=
        std::to_string(d.shape[i]) + (d.shape.size() == 1 || i + 1 < d.shape.size() ? "," : "");
  shape += ")";
  std::string header = "{'descr': '" + std::string(descr[static_cast<int>(d.dtype)]) +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Magic (6) + version (2) + length (2) + header + '\n', padded to a multiple of 64 bytes.
  const std::size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out.append(reinterpret_cast<const char*>(d.bytes.data()), d.bytes.size());
  write_file_atomic(path, out);
}

}  // namespace swingpipe::io
