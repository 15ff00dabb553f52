#pragma once
// Private helper (host/io): the temp-file-then-rename protocol of write_file_atomic, for writers
// that open the file by name themselves (HDF5).
#include <filesystem>

namespace swingpipe::io::detail {

/// Reserves a new, empty temp file next to `path` (".<name>.tmp.<pid>.<n>"). commit() fsyncs it,
/// renames it over `path` and fsyncs the folder; a target destroyed before commit() removes its
/// temp file, so `path` is never seen half-written. StorageError naming `path` on failure.
class AtomicTarget {
 public:
  explicit AtomicTarget(std::filesystem::path path);
  ~AtomicTarget();
  AtomicTarget(const AtomicTarget&) = delete;
  AtomicTarget& operator=(const AtomicTarget&) = delete;

  const std::filesystem::path& path() const { return path_; }
  const std::filesystem::path& temp() const { return temp_; }
  void commit();

 private:
  std::filesystem::path path_, temp_;
  bool committed_ = false;
};

}  // namespace swingpipe::io::detail
