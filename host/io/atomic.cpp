// write_file_atomic: temp file in the same folder, write, fsync, rename, fsync the folder.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include "atomic_target.hpp"
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

void rename_into_place(const std::filesystem::path& temp, const std::filesystem::path& path) {
  if (::rename(temp.c_str(), path.c_str()) != 0) fail(path, "rename from " + temp.string(), errno);
}

}  // namespace

namespace detail {

AtomicTarget::AtomicTarget(std::filesystem::path path) : path_(std::move(path)) {
  if (path_.filename().empty()) fail(path_, "the path names a folder, expected a file", EISDIR);
  const int fd = create_temp(path_, temp_);
  ::close(fd);
}

AtomicTarget::~AtomicTarget() {
  if (!committed_) ::unlink(temp_.c_str());
}

void AtomicTarget::commit() {
  const int fd = ::open(temp_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path_, "reopen " + temp_.string() + " to fsync it", errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) fail(path_, "fsync", err);
  rename_into_place(temp_, path_);
  committed_ = true;
  fsync_folder(path_);
}

}  // namespace detail

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
    rename_into_place(temp, path);
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  fsync_folder(path);
}

int remove_stale_temp_files(const std::filesystem::path& folder) {
  int removed = 0;
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) return 0;
  for (auto it = std::filesystem::recursive_directory_iterator(folder, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string name = it->path().filename().string();
    // "." + name + ".tmp." + pid + "." + counter, as create_temp names them.
    const auto tmp = name.rfind(".tmp.");
    if (name.size() < 2 || name[0] != '.' || tmp == std::string::npos) continue;
    const std::string rest = name.substr(tmp + 5);
    const auto dot = rest.find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == rest.size() ||
        rest.find_first_not_of("0123456789.") != std::string::npos)
      continue;
    const long pid = std::stol(rest.substr(0, dot));
    if (pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)) {
      std::filesystem::remove(it->path(), ec);
      if (!ec) ++removed;
    }
  }
  return removed;
}

}  // namespace swingpipe::io
