#pragma once
// Private to host/io: a read-only file read at explicit offsets (pread), for the binary readers
// that stream a file in chunks instead of loading it whole.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace swingpipe::io::detail {

class BinaryFile {
 public:
  /// NotFoundError when the path does not exist, InputError when it is a folder or cannot be
  /// opened (the message names the path and the errno text).
  explicit BinaryFile(const std::filesystem::path& path);
  ~BinaryFile();
  BinaryFile(const BinaryFile&) = delete;
  BinaryFile& operator=(const BinaryFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  uint64_t size() const { return size_; }
  /// Reads exactly `n` bytes at `offset`; InputError "<path>: byte <offset>: <what>: the file ends
  /// at byte <size>" when they are not all there.
  void read(uint64_t offset, void* out, std::size_t n, const std::string& what) const;

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

}  // namespace swingpipe::io::detail
