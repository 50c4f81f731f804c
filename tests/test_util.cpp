#include "test_util.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace timbrel::test {

std::string shared_dir() {
  const char* env = std::getenv("TIMBREL_SHARED");
  std::string dir = env && *env ? env : TIMBREL_DEFAULT_SHARED_DIR;
  struct stat st;
  return ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) ? dir : "";
}

namespace {
// The commands tests run keep no note cache (a test's "N generated" must not depend on what an
// earlier test or the developer's renders left in ~/.cache); the cache's own tests name a folder.
const bool kNoNoteCache = ::setenv("TIMBREL_NOTE_CACHE", "off", 1) == 0;

struct TempRoot {
  std::string path;
  ~TempRoot() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};
TempRoot& root() {
  static TempRoot r;
  if (r.path.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "timbrel-test-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    r.path = ::mkdtemp(buf.data());
  }
  return r;
}
}  // namespace

std::string temp_dir() {
  static int counter = 0;
  std::string dir = root().path + "/" + std::to_string(counter++);
  std::filesystem::create_directories(dir);
  return dir;
}

int run_command(const std::string& command, std::string* out, bool merge_stderr) {
  std::string cmd = command + (merge_stderr ? " 2>&1" : "");
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  std::string text;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
  int status = ::pclose(p);
  if (out) *out = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

namespace {
// <binary's folder>/trained-once/<binary>/<size>-<mtime>-<inode> of the running binary (stat of
// /proc/self/exe follows the link even to a binary rebuilt under it); other builds' folders are
// removed. "" when the binary cannot be identified or its folder is not writable.
std::string trained_once_root() {
  struct stat st {};
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec || ::stat("/proc/self/exe", &st) != 0) return "";
  const std::string key = std::to_string(st.st_size) + "-" + std::to_string(st.st_mtim.tv_sec) + "." +
                          std::to_string(st.st_mtim.tv_nsec) + "-" + std::to_string(st.st_ino);
  const std::filesystem::path parent = exe.parent_path() / "trained-once" / exe.filename().string();
  std::filesystem::create_directories(parent / key, ec);
  if (ec || ::access((parent / key).c_str(), W_OK) != 0) return "";
  for (const auto& e : std::filesystem::directory_iterator(parent, ec))
    if (e.path().filename() != key) std::filesystem::remove_all(e.path(), ec);
  return (parent / key).string();
}

struct FileLock {
  int fd;
  explicit FileLock(const std::string& path) : fd(::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644)) {
    int rc = -1;
    while (fd >= 0 && (rc = ::flock(fd, LOCK_EX)) != 0 && errno == EINTR) {
    }
    if (rc != 0) {
      if (fd >= 0) ::close(fd);
      throw std::runtime_error("cannot lock " + path);
    }
  }
  ~FileLock() { ::close(fd); }
};
}  // namespace

std::string trained_once(const std::string& name, const std::function<void(const std::string& folder)>& train) {
  static const std::string root = trained_once_root();
  if (root.empty()) {  // trained by this process alone, as if shared by none
    const std::string folder = temp_dir() + "/" + name;
    train(folder);
    return folder;
  }
  const std::string folder = root + "/" + name;
  FileLock lock(folder + ".lock");
  if (!std::filesystem::exists(folder)) {
    // Trained beside it and renamed into place: the folder exists only whole (a process killed
    // while training leaves a .tmp folder, which the next one replaces).
    const std::string scratch = folder + ".tmp";
    std::filesystem::remove_all(scratch);
    train(scratch);
    std::filesystem::rename(scratch, folder);
  }
  return folder;
}

}  // namespace timbrel::test
