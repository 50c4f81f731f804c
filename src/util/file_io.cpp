#include "util/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "timbrel/error.h"

namespace timbrel {
namespace {

// Reads the open file `fd` into `out` (resized to its size), with the size cap applied first.
template <typename Buffer>
void read_whole(int fd, const std::string& path, uint64_t max_bytes, Buffer& out) {
  struct stat st {};
  if (fstat(fd, &st) != 0) throw Error(path, std::string("cannot read: ") + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw Error(path, "is a folder, expected a file");
  if (!S_ISREG(st.st_mode)) throw Error(path, "not a regular file");
  if (uint64_t(st.st_size) > max_bytes)
    throw Error(path, "file is " + std::to_string(st.st_size) + " bytes, larger than the " + std::to_string(max_bytes) +
                          " this kind of file may be");
  out.resize(size_t(st.st_size));
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::read(fd, reinterpret_cast<char*>(out.data()) + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(path, std::string("cannot read: ") + std::strerror(errno));
    if (n == 0) throw Error(path, "file shrank while being read");
    done += size_t(n);
  }
}

template <typename Buffer>
Buffer read_capped(const std::string& path, uint64_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path, std::string("cannot open: ") + std::strerror(errno));
  Buffer out;
  try {
    read_whole(fd, path, max_bytes, out);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return out;
}

}  // namespace

std::vector<uint8_t> read_file_bytes(const std::string& path, uint64_t max_bytes) {
  return read_capped<std::vector<uint8_t>>(path, max_bytes);
}

std::string read_text_file(const std::string& path, uint64_t max_bytes) { return read_capped<std::string>(path, max_bytes); }

std::string lower_extension(const std::string& path) {
  const size_t dot = path.find_last_of('.'), slash = path.find_last_of('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  std::string ext = path.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return ext;
}

}  // namespace timbrel
