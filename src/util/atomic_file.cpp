#include "util/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "timbrel/error.h"

namespace timbrel {
namespace {
std::string errno_text() { return std::strerror(errno); }
// Hidden names unique between threads (a counter) and between processes, even in separate PID
// namespaces sharing a folder (the clock).
std::atomic<uint64_t> temp_counter{0};
std::string unique_suffix() {
  const auto ns = std::chrono::steady_clock::now().time_since_epoch().count();
  return std::to_string(::getpid()) + "-" + std::to_string(temp_counter.fetch_add(1)) + "-" + std::to_string(ns);
}
}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  if (path_.empty()) throw Error("", "empty output path");
  size_t slash = path_.find_last_of('/');
  std::string dir = slash == std::string::npos ? "" : path_.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? path_ : path_.substr(slash + 1);
  if (base.empty()) throw Error(path_, "output path names a folder, not a file");
  struct stat st;
  if (::stat(path_.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) throw Error(path_, "output path is a folder");
  // An unnamed file in the destination's folder (O_TMPFILE): nothing is visible until commit, so
  // even kill -9 leaves no partial file behind. File systems without it get a hidden temp name.
  fd_ = ::open(dir.empty() ? "." : dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
  if (fd_ >= 0) {
    temp_path_ = "/proc/self/fd/" + std::to_string(fd_);
    anonymous_ = true;
    return;
  }
  // Hidden name in the same folder, so the final rename stays on one file system.
  std::string tmpl = dir + "." + base + ".tmp-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  fd_ = ::mkstemp(buf.data());
  if (fd_ < 0) throw Error(path_, "cannot create a file in its folder: " + errno_text());
  temp_path_ = buf.data();
  ::fchmod(fd_, 0644 & ~[] { mode_t m = ::umask(0); ::umask(m); return m; }());
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);  // an unnamed file vanishes with its descriptor
  if (!committed_ && !anonymous_ && !temp_path_.empty()) ::unlink(temp_path_.c_str());
}

void AtomicFile::write(const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd_, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(path_, "write failed: " + errno_text());
    }
    p += n;
    size -= size_t(n);
  }
}

void AtomicFile::commit(bool sync) {
  // Test hook: a pause with the data written but not yet visible (the kill -9 test uses it).
  if (const char* pause = std::getenv("TIMBREL_FAULT_PAUSE_BEFORE_COMMIT")) ::usleep(useconds_t(std::atof(pause) * 1e6));
  if (sync && ::fsync(fd_) != 0) throw Error(path_, "fsync failed: " + errno_text());
  if (anonymous_) {
    // Give the unnamed file a hidden name, then rename it over the destination (linkat cannot
    // replace a file): only a kill between these two calls could leave the hidden name.
    const size_t slash = path_.find_last_of('/');
    std::string named = (slash == std::string::npos ? "" : path_.substr(0, slash + 1)) + "." +
                        (slash == std::string::npos ? path_ : path_.substr(slash + 1)) + ".tmp-" + unique_suffix();
    ::unlink(named.c_str());
    if (::linkat(AT_FDCWD, temp_path_.c_str(), AT_FDCWD, named.c_str(), AT_SYMLINK_FOLLOW) != 0)
      throw Error(path_, "cannot name the finished file: " + errno_text());
    temp_path_ = named;
    anonymous_ = false;
  }
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw Error(path_, "close failed: " + errno_text());
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0)
    throw Error(path_, "cannot rename the finished file into place: " + errno_text());
  committed_ = true;
}

void write_file_atomically(const std::string& path, const void* data, size_t size) {
  AtomicFile file(path);
  file.write(data, size);
  file.commit();
}

}  // namespace timbrel
