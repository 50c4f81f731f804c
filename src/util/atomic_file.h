#pragma once
// Atomic output: write to an unnamed temporary file (O_TMPFILE; else a hidden temp name) in the
// destination's folder, then rename it over the destination. Until commit() succeeds the
// destination is untouched; an error, an exception or even kill -9 leaves no partial file.
#include <cstddef>
#include <string>

#include "timbrel/files.h"

namespace timbrel {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);  // creates the temporary file; throws Error
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  int fd() const { return fd_; }
  const std::string& temp_path() const { return temp_path_; }  // for messages (/proc/self/fd/N while unnamed)
  void write(const void* data, size_t size);  // throws Error naming the destination
  // fsync (unless !sync: a cache whose files carry a checksum), close and rename onto the destination.
  void commit(bool sync = true);

 private:
  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  bool committed_ = false, anonymous_ = false;
};

}  // namespace timbrel
