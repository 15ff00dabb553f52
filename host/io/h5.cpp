// The HDF5 array sink (host/arrays.hpp) on the HDF5 C API (Debian libhdf5-dev, thread-safe build).
// Files track the creation order of links and attributes, so read_h5 gives back what write_h5
// wrote in the same order; files from elsewhere are read in name order.
#include <hdf5.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <map>
#include <utility>

#include "atomic_target.hpp"
#include "swingpipe/error.hpp"
#include "swingpipe/host/arrays.hpp"

namespace swingpipe::io {

namespace {

/// The innermost message on this thread's HDF5 error stack (HDF5's own printing is switched off).
std::string h5_message() {
  std::string msg;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned, const H5E_error2_t* e, void* out) -> herr_t {
        auto& m = *static_cast<std::string*>(out);
        if (m.empty() && e->desc) m = e->desc;
        return 0;
      },
      &msg);
  H5Eclear2(H5E_DEFAULT);
  return msg.empty() ? "HDF5 error" : msg;
}

void quiet_hdf5() {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}  // per thread

/// An HDF5 identifier closed by its own close function.
class Id {
 public:
  Id() = default;
  Id(hid_t id, herr_t (*closer)(hid_t)) : id_(id), close_(closer) {}
  Id(Id&& o) noexcept : id_(std::exchange(o.id_, -1)), close_(o.close_) {}
  Id& operator=(Id&& o) noexcept {
    reset();
    id_ = std::exchange(o.id_, -1);
    close_ = o.close_;
    return *this;
  }
  ~Id() { reset(); }
  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }
  bool valid() const { return id_ >= 0; }
  /// Closes now and reports failure (the destructor cannot).
  herr_t close() {
    herr_t rc = id_ >= 0 ? close_(id_) : 0;
    id_ = -1;
    return rc;
  }

 private:
  void reset() {
    if (id_ >= 0) close_(id_);
    id_ = -1;
  }
  hid_t id_ = -1;
  herr_t (*close_)(hid_t) = nullptr;
};

[[noreturn]] void write_fail(const std::filesystem::path& path, const std::string& what) {
  throw StorageError("cannot write " + path.string() + ": " + what + ": " + h5_message());
}

[[noreturn]] void read_fail(const std::filesystem::path& path, const std::string& what) {
  throw InputError(path.string() + ": " + what + ": " + h5_message());
}

Id complex_type(hid_t part) {
  const std::size_t half = H5Tget_size(part);
  Id t(H5Tcreate(H5T_COMPOUND, 2 * half), H5Tclose);
  H5Tinsert(t, "r", 0, part);
  H5Tinsert(t, "i", half, part);
  return t;
}

/// The in-memory HDF5 type of a DType (little-endian x86 layout; HDF5 converts on other hosts).
Id memory_type(DType t) {
  switch (t) {
    case DType::f32:
      return Id(H5Tcopy(H5T_NATIVE_FLOAT), H5Tclose);
    case DType::f64:
      return Id(H5Tcopy(H5T_NATIVE_DOUBLE), H5Tclose);
    case DType::c64:
      return complex_type(H5T_NATIVE_FLOAT);
    case DType::c128:
      return complex_type(H5T_NATIVE_DOUBLE);
    case DType::i32:
      return Id(H5Tcopy(H5T_NATIVE_INT32), H5Tclose);
    case DType::i64:
      return Id(H5Tcopy(H5T_NATIVE_INT64), H5Tclose);
    case DType::u8:
      return Id(H5Tcopy(H5T_NATIVE_UINT8), H5Tclose);
  }
  return {};
}

Id utf8_string_type() {
  Id t(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

Id space_of(const std::vector<int64_t>& shape) {
  if (shape.empty()) return Id(H5Screate(H5S_SCALAR), H5Sclose);
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  return Id(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
}

/// Writes one attribute on `obj`; false on failure (the caller names the object).
bool write_attr(hid_t obj, const std::string& name, const AttrValue& value) {
  auto put = [&](hid_t type, const std::vector<int64_t>& shape, const void* data) {
    Id space = space_of(shape);
    Id attr(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    return attr.valid() && H5Awrite(attr, type, data) >= 0;
  };
  if (auto* s = std::get_if<std::string>(&value)) {
    const char* p = s->c_str();
    return put(utf8_string_type(), {}, &p);
  }
  if (auto* i = std::get_if<int64_t>(&value)) return put(H5T_NATIVE_INT64, {}, i);
  if (auto* d = std::get_if<double>(&value)) return put(H5T_NATIVE_DOUBLE, {}, d);
  if (auto* vi = std::get_if<std::vector<int64_t>>(&value))
    return put(H5T_NATIVE_INT64, {static_cast<int64_t>(vi->size())}, vi->data());
  if (auto* vd = std::get_if<std::vector<double>>(&value))
    return put(H5T_NATIVE_DOUBLE, {static_cast<int64_t>(vd->size())}, vd->data());
  const auto& vs = std::get<std::vector<std::string>>(value);
  std::vector<const char*> ptrs;
  for (const auto& s : vs) ptrs.push_back(s.c_str());
  return put(utf8_string_type(), {static_cast<int64_t>(vs.size())}, ptrs.data());
}

Id ordered_plist(hid_t cls) {
  Id p(H5Pcreate(cls), H5Pclose);
  if (cls == H5P_FILE_CREATE || cls == H5P_GROUP_CREATE)
    H5Pset_link_creation_order(p, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  H5Pset_attr_creation_order(p, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  return p;
}

/// Test hook: SWINGPIPE_TEST_KILL_IN_H5_WRITE=N makes the process SIGKILL itself inside the N-th
/// commit (data written and flushed to the temp file, not yet renamed): a crash mid-write.
bool kill_in_this_commit() {
  static const long target = [] {
    const char* v = std::getenv("SWINGPIPE_TEST_KILL_IN_H5_WRITE");
    return v ? std::atol(v) : 0L;
  }();
  static std::atomic<long> commits{0};
  return target > 0 && commits.fetch_add(1) + 1 == target;
}

std::vector<int64_t> auto_chunk(DType t, const std::vector<int64_t>& shape) {
  std::vector<int64_t> chunk = shape;
  auto bytes = [&] {
    int64_t n = static_cast<int64_t>(size_of(t));
    for (int64_t c : chunk) n *= c;
    return n;
  };
  // Halve the slowest dimensions first until a chunk is at most 1 MiB.
  for (std::size_t d = 0; d < chunk.size() && bytes() > (1 << 20);) {
    if (chunk[d] > 1)
      chunk[d] = (chunk[d] + 1) / 2;
    else
      ++d;
  }
  return chunk;
}

}  // namespace

// ---- writing --------------------------------------------------------------------------------

struct H5Writer::Impl {
  detail::AtomicTarget target;
  Id file;
  std::map<std::string, std::pair<Id, DType>> datasets;
  std::map<std::string, Id> groups;

  explicit Impl(std::filesystem::path path) : target(std::move(path)) {}

  /// The group that holds `name` ("a/b/c" → group "a/b"), created with ordered links.
  hid_t parent_of(const std::string& name) {
    const auto slash = name.rfind('/');
    if (slash == std::string::npos || slash == 0) return file;
    const std::string group = name.substr(0, slash);
    if (auto it = groups.find(group); it != groups.end()) return it->second;
    const hid_t parent = parent_of(group);
    Id gcpl = ordered_plist(H5P_GROUP_CREATE);
    const std::string leaf = group.substr(group.rfind('/') + 1);
    Id g(H5Gcreate2(parent, leaf.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT), H5Gclose);
    if (!g.valid()) write_fail(target.path(), "create group '" + group + "'");
    return groups.emplace(group, std::move(g)).first->second;
  }
};

H5Writer::H5Writer(std::filesystem::path path, const Attrs& file_attrs)
    : impl_(std::make_unique<Impl>(std::move(path))) {
  quiet_hdf5();
  Id fcpl = ordered_plist(H5P_FILE_CREATE);
  impl_->file =
      Id(H5Fcreate(impl_->target.temp().c_str(), H5F_ACC_TRUNC, fcpl, H5P_DEFAULT), H5Fclose);
  if (!impl_->file.valid())
    write_fail(impl_->target.path(), "create " + impl_->target.temp().string());
  for (const auto& [name, value] : file_attrs)
    if (!write_attr(impl_->file, name, value))
      write_fail(impl_->target.path(), "file attribute '" + name + "'");
}

H5Writer::~H5Writer() = default;  // an uncommitted temp file is removed by its AtomicTarget

void H5Writer::create(const std::string& name, DType dtype, const std::vector<int64_t>& shape,
                      const Attrs& attrs, const std::vector<int64_t>& chunk) {
  quiet_hdf5();
  const auto& path = impl_->target.path();
  if (name.empty() || name.back() == '/' || impl_->datasets.count(name))
    throw InputError("cannot write " + path.string() + ": dataset name '" + name +
                     "' is empty or used twice");
  if (!chunk.empty() && chunk.size() != shape.size())
    throw InputError("cannot write " + path.string() + ": dataset '" + name +
                     "': chunk rank differs from its shape's");
  Id dcpl = ordered_plist(H5P_DATASET_CREATE);
  bool has_zero = false;
  for (int64_t d : shape) has_zero |= d == 0;
  if (!shape.empty() && !has_zero) {
    const auto c = chunk.empty() ? auto_chunk(dtype, shape) : chunk;
    std::vector<hsize_t> dims(c.begin(), c.end());
    if (H5Pset_chunk(dcpl, static_cast<int>(dims.size()), dims.data()) < 0)
      write_fail(path, "dataset '" + name + "': chunk shape");
  }
  Id type = memory_type(dtype);
  Id space = space_of(shape);
  const hid_t parent = impl_->parent_of(name);
  const std::string leaf = name.substr(name.rfind('/') + 1);
  Id ds(H5Dcreate2(parent, leaf.c_str(), type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose);
  if (!ds.valid()) write_fail(path, "create dataset '" + name + "'");
  for (const auto& [key, value] : attrs)
    if (!write_attr(ds, key, value))
      write_fail(path, "dataset '" + name + "' attribute '" + key + "'");
  impl_->datasets.emplace(name, std::make_pair(std::move(ds), dtype));
}

void H5Writer::write(const std::string& name, std::span<const int64_t> start,
                     std::span<const int64_t> count, const void* data) {
  quiet_hdf5();
  const auto& path = impl_->target.path();
  auto it = impl_->datasets.find(name);
  if (it == impl_->datasets.end())
    throw InputError("cannot write " + path.string() + ": no dataset '" + name + "' was created");
  const hid_t ds = it->second.first;
  Id file_space(H5Dget_space(ds), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(file_space);
  if (static_cast<std::size_t>(rank) != start.size() || start.size() != count.size())
    throw InputError("cannot write " + path.string() + ": dataset '" + name + "' has rank " +
                     std::to_string(rank) + ", the block has " + std::to_string(start.size()));
  Id type = memory_type(it->second.second);
  if (rank == 0) {
    if (H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
      write_fail(path, "dataset '" + name + "'");
    return;
  }
  std::vector<hsize_t> s(start.begin(), start.end()), c(count.begin(), count.end());
  bool empty = false;
  for (auto v : c) empty |= v == 0;
  if (empty) return;
  if (H5Sselect_hyperslab(file_space, H5S_SELECT_SET, s.data(), nullptr, c.data(), nullptr) < 0 ||
      H5Sselect_valid(file_space) <= 0)
    throw InputError("cannot write " + path.string() + ": dataset '" + name +
                     "': block lies outside its shape");
  Id mem_space(H5Screate_simple(rank, c.data(), nullptr), H5Sclose);
  if (H5Dwrite(ds, type, mem_space, file_space, H5P_DEFAULT, data) < 0)
    write_fail(path, "dataset '" + name + "'");
}

void H5Writer::add(const ArrayDataset& d) {
  if (static_cast<std::size_t>(d.elements()) * size_of(d.dtype) != d.bytes.size())
    throw InputError("cannot write " + impl_->target.path().string() + ": dataset '" + d.name +
                     "': " + std::to_string(d.bytes.size()) + " bytes do not match its shape");
  create(d.name, d.dtype, d.shape, d.attrs);
  const std::vector<int64_t> start(d.shape.size(), 0);
  write(d.name, start, d.shape, d.bytes.data());
}

void H5Writer::commit() {
  quiet_hdf5();
  const auto& path = impl_->target.path();
  if (H5Fflush(impl_->file, H5F_SCOPE_GLOBAL) < 0) write_fail(path, "flush");
  if (kill_in_this_commit()) std::raise(SIGKILL);
  for (auto& [name, ds] : impl_->datasets)
    if (ds.first.close() < 0) write_fail(path, "close dataset '" + name + "'");
  for (auto& [name, g] : impl_->groups)
    if (g.close() < 0) write_fail(path, "close group '" + name + "'");
  if (impl_->file.close() < 0) write_fail(path, "close");
  impl_->target.commit();
}

void write_h5(const std::filesystem::path& path, const ArrayFile& file) {
  H5Writer w(path, file.attrs);
  for (const auto& d : file.datasets) w.add(d);
  w.commit();
}

// ---- reading --------------------------------------------------------------------------------

namespace {

struct Reader {
  std::filesystem::path path;
  ArrayFile out;

  std::vector<int64_t> shape_of(hid_t space) {
    const int rank = H5Sget_simple_extent_ndims(space);
    std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
    if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    return {dims.begin(), dims.end()};
  }

  AttrValue read_attr(hid_t obj, const char* name, const std::string& where) {
    Id attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
    Id type(H5Aget_type(attr), H5Tclose);
    Id space(H5Aget_space(attr), H5Sclose);
    const auto shape = shape_of(space);
    if (shape.size() > 1)
      throw InputError(path.string() + ": " + where + " attribute '" + name + "' has rank " +
                       std::to_string(shape.size()) + " (at most 1 is read)");
    const std::size_t n = shape.empty() ? 1 : static_cast<std::size_t>(shape[0]);
    const auto cls = H5Tget_class(type);
    if (cls == H5T_STRING) {
      std::vector<std::string> values(n);
      if (H5Tis_variable_str(type) > 0) {
        Id mem = utf8_string_type();
        std::vector<char*> ptrs(n, nullptr);
        if (H5Aread(attr, mem, ptrs.data()) < 0)
          read_fail(path, where + " attribute '" + name + "'");
        for (std::size_t i = 0; i < n; ++i) values[i] = ptrs[i] ? ptrs[i] : "";
        H5Dvlen_reclaim(mem, space, H5P_DEFAULT, ptrs.data());
      } else {
        const std::size_t len = H5Tget_size(type);
        std::vector<char> buf(n * len);
        if (H5Aread(attr, type, buf.data()) < 0)
          read_fail(path, where + " attribute '" + name + "'");
        for (std::size_t i = 0; i < n; ++i) {
          const char* p = buf.data() + i * len;
          values[i].assign(p, strnlen(p, len));
        }
      }
      if (shape.empty()) return values[0];
      return values;
    }
    if (cls == H5T_INTEGER) {
      std::vector<int64_t> v(n);
      if (H5Aread(attr, H5T_NATIVE_INT64, v.data()) < 0)
        read_fail(path, where + " attribute '" + name + "'");
      if (shape.empty()) return v[0];
      return v;
    }
    if (cls == H5T_FLOAT) {
      std::vector<double> v(n);
      if (H5Aread(attr, H5T_NATIVE_DOUBLE, v.data()) < 0)
        read_fail(path, where + " attribute '" + name + "'");
      if (shape.empty()) return v[0];
      return v;
    }
    throw InputError(path.string() + ": " + where + " attribute '" + name +
                     "' is neither text nor numbers");
  }

  Attrs read_attrs(hid_t obj, const std::string& where) {
    std::vector<std::string> names;
    auto collect = [](hid_t, const char* n, const H5A_info_t*, void* p) -> herr_t {
      static_cast<std::vector<std::string>*>(p)->push_back(n);
      return 0;
    };
    if (H5Aiterate2(obj, H5_INDEX_CRT_ORDER, H5_ITER_INC, nullptr, collect, &names) < 0) {
      H5Eclear2(H5E_DEFAULT);
      names.clear();
      if (H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect, &names) < 0)
        read_fail(path, where + ": attributes");
    }
    Attrs attrs;
    for (const auto& n : names) attrs.emplace_back(n, read_attr(obj, n.c_str(), where));
    return attrs;
  }

  static DType dtype_of_type(hid_t type, bool& ok) {
    ok = true;
    const auto cls = H5Tget_class(type);
    const std::size_t size = H5Tget_size(type);
    if (cls == H5T_FLOAT && (size == 4 || size == 8)) return size == 4 ? DType::f32 : DType::f64;
    if (cls == H5T_INTEGER) {
      const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
      if (!is_signed && size == 1) return DType::u8;
      if (is_signed && size <= 4) return DType::i32;
      if (is_signed && size == 8) return DType::i64;
      if (!is_signed && size <= 4) return DType::i64;  // uint16/uint32 fit in int64 exactly
    }
    if (cls == H5T_COMPOUND && H5Tget_nmembers(type) == 2) {
      Id r(H5Tget_member_type(type, 0), H5Tclose), i(H5Tget_member_type(type, 1), H5Tclose);
      char* rn = H5Tget_member_name(type, 0);
      char* in = H5Tget_member_name(type, 1);
      const bool named = rn && in && std::strcmp(rn, "r") == 0 && std::strcmp(in, "i") == 0;
      H5free_memory(rn);
      H5free_memory(in);
      if (named && H5Tget_class(r) == H5T_FLOAT && H5Tequal(r, i) > 0)
        return H5Tget_size(r) == 4 ? DType::c64 : DType::c128;
    }
    ok = false;
    return DType::f64;
  }

  void read_dataset(hid_t ds, const std::string& name) {
    ArrayDataset d;
    d.name = name;
    Id type(H5Dget_type(ds), H5Tclose);
    bool ok = false;
    d.dtype = dtype_of_type(type, ok);
    if (!ok)
      throw InputError(path.string() + ": dataset '" + name +
                       "' has an element type this reader does not handle (float32/64, "
                       "complex64/128, int8..64, uint8..32)");
    Id space(H5Dget_space(ds), H5Sclose);
    d.shape = shape_of(space);
    d.bytes.resize(static_cast<std::size_t>(d.elements()) * size_of(d.dtype));
    Id mem = memory_type(d.dtype);
    if (!d.bytes.empty() && H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, d.bytes.data()) < 0)
      read_fail(path, "dataset '" + name + "'");
    d.attrs = read_attrs(ds, "dataset '" + name + "'");
    out.datasets.push_back(std::move(d));
  }
};

}  // namespace

ArrayFile read_h5(const std::filesystem::path& path) {
  quiet_hdf5();
  if (!std::filesystem::exists(path)) throw NotFoundError(path.string() + ": no such file");
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw InputError(path.string() + ": not an HDF5 file");
  }
  Id file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) read_fail(path, "open");
  Reader r{path, {}};
  r.out.attrs = r.read_attrs(file, "file");
  std::vector<std::string> names;
  auto collect = [](hid_t loc, const char* name, const H5L_info_t*, void* p) -> herr_t {
    Id obj(H5Oopen(loc, name, H5P_DEFAULT), H5Oclose);
    if (obj.valid() && H5Iget_type(obj) == H5I_DATASET)
      static_cast<std::vector<std::string>*>(p)->push_back(name);
    return 0;
  };
  if (H5Lvisit(file, H5_INDEX_CRT_ORDER, H5_ITER_INC, collect, &names) < 0) {
    H5Eclear2(H5E_DEFAULT);
    names.clear();
    if (H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, collect, &names) < 0)
      read_fail(path, "list datasets");
  }
  for (const auto& n : names) {
    Id ds(H5Dopen2(file, n.c_str(), H5P_DEFAULT), H5Dclose);
    if (!ds.valid()) read_fail(path, "open dataset '" + n + "'");
    r.read_dataset(ds, n);
  }
  return std::move(r.out);
}

}  // namespace swingpipe::io
