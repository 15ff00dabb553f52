#include "binary_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "swingpipe/error.hpp"

namespace swingpipe::io::detail {

BinaryFile::BinaryFile(const std::filesystem::path& path) : path_(path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw NotFoundError(path.string() + ": no such file");
  if (std::filesystem::is_directory(path, ec))
    throw InputError(path.string() + ": is a folder, expected a file");
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw InputError(path.string() + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    const int err = errno;
    ::close(fd_);
    throw InputError(path.string() + ": cannot stat: " + std::strerror(err));
  }
  size_ = static_cast<uint64_t>(st.st_size);
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
}

BinaryFile::~BinaryFile() {
  if (fd_ >= 0) ::close(fd_);
}

void BinaryFile::read(uint64_t offset, void* out, std::size_t n, const std::string& what) const {
  if (offset > size_ || n > size_ - offset)
    throw InputError(path_.string() + ": byte " + std::to_string(offset) + ": " + what + " needs " +
                     std::to_string(n) + " bytes, but the file ends at byte " +
                     std::to_string(size_) + " (truncated?)");
  auto* p = static_cast<char*>(out);
  std::size_t done = 0;
  while (done < n) {
    const ssize_t got = ::pread(fd_, p + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0)
      throw InputError(path_.string() + ": byte " + std::to_string(offset + done) +
                       ": read failed: " + std::strerror(errno));
    if (got == 0)
      throw InputError(path_.string() + ": byte " + std::to_string(offset + done) + ": " + what +
                       ": the file ended early (it shrank while being read?)");
    done += static_cast<std::size_t>(got);
  }
}

}  // namespace swingpipe::io::detail
