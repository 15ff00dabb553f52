// write_file_atomic: temp file in the same folder, write, fsync, rename, fsync the folder.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include "swingpipe/error.hpp"
#include "swingpipe/host/io.hpp"

namespace swingpipe::io {

namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& step, int err) {
  throw StorageError("cannot write " + path.string() + ": " + step + ": " + std::strerror(err));
}

/// Creates a new temp file next to `path` (mode 0666 less the umask); returns its fd.
int create_temp(const std::filesystem::path& path, std::filesystem::path& temp) {
  static std::atomic<uint64_t> counter{0};
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : ".";
  for (int attempt = 0; attempt < 100; ++attempt) {
    temp = folder / ("." + path.filename().string() + ".tmp." + std::to_string(::getpid()) + "." +
                     std::to_string(counter.fetch_add(1)));
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return fd;
    if (errno != EEXIST) fail(path, "cannot create a temp file in " + folder.string(), errno);
  }
  fail(path, "cannot create a unique temp file", EEXIST);
}

void write_all(int fd, const std::string& contents, const std::filesystem::path& path) {
  const char* p = contents.data();
  std::size_t left = contents.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path, "write", errno);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

void fsync_folder(const std::filesystem::path& path) {
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : ".";
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(path, "open folder " + folder.string() + " to fsync it", errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0 && err != EINVAL) fail(path, "fsync folder " + folder.string(), err);
}

}  // namespace

void write_file_atomic(const std::filesystem::path& path, const std::string& contents) {
  if (path.filename().empty()) fail(path, "the path names a folder, expected a file", EISDIR);
  std::filesystem::path temp;
  int fd = create_temp(path, temp);
  try {
    write_all(fd, contents, path);
    if (::fsync(fd) != 0) fail(path, "fsync", errno);
    const int rc = ::close(fd);
    fd = -1;
    if (rc != 0) fail(path, "close", errno);
    if (::rename(temp.c_str(), path.c_str()) != 0)
      fail(path, "rename from " + temp.string(), errno);
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  fsync_folder(path);
}

}  // namespace swingpipe::io
