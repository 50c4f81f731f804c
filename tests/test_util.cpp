#include "test_util.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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
// <binary's folder>/trained-once/<binary>-<size>-<mtime>; older builds' folders are removed.
std::string trained_once_root() {
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe");
  struct stat st {};
  ::stat(exe.c_str(), &st);
  const std::string prefix = exe.filename().string() + "-";
  const std::string key = prefix + std::to_string(st.st_size) + "-" + std::to_string(st.st_mtim.tv_sec) + "." +
                          std::to_string(st.st_mtim.tv_nsec);
  const std::filesystem::path parent = exe.parent_path() / "trained-once";
  std::filesystem::create_directories(parent / key);
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(parent, ec)) {
    const std::string n = e.path().filename().string();
    if (n != key && n.rfind(prefix, 0) == 0) std::filesystem::remove_all(e.path(), ec);
  }
  return (parent / key).string();
}

struct FileLock {
  int fd;
  explicit FileLock(const std::string& path) : fd(::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644)) {
    if (fd < 0 || ::flock(fd, LOCK_EX) != 0) throw std::runtime_error("cannot lock " + path);
  }
  ~FileLock() { ::close(fd); }
};
}  // namespace

std::string trained_once(const std::string& name, const std::function<void(const std::string& folder)>& train) {
  static const std::string root = trained_once_root();
  const std::string folder = root + "/" + name, done = folder + ".done";
  FileLock lock(folder + ".lock");
  if (!file_exists(done)) {
    std::filesystem::remove_all(folder);  // a process that died while training left it half written
    train(folder);
    std::ofstream(done) << "trained\n";
  }
  return folder;
}

}  // namespace timbrel::test
