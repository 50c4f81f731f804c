#include "render/note_cache.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "models/torch_module.h"
#include "timbrel/build_config.h"
#include "timbrel/error.h"
#include "timbrel/gansynth.h"
#include "timbrel/render.h"
#include "util/atomic_file.h"
#include "util/hash64.h"

namespace timbrel {
namespace {

namespace fs = std::filesystem;

// Bump when the notes a given key makes change (a new spectral algorithm, levels in the
// generator): old files then stop matching and age out.
constexpr uint32_t kFormatVersion = 1;
constexpr char kMagic[8] = {'T', 'B', 'R', 'L', 'N', 'O', 'T', 'E'};
constexpr const char* kSuffix = ".note";
// A hidden temporary name left by a process killed mid-commit is removed once this old.
constexpr int64_t kStaleTempSeconds = 3600;

template <typename T>
void append(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

void append_text(std::string& out, const std::string& text) {
  append(out, uint32_t(text.size()));
  out += text;
}

uint64_t checksum(const std::string& key, const float* samples, size_t count) {
  Hash64 h(kFormatVersion);
  h.add(key.data(), key.size());
  h.add(samples, count * sizeof(float));
  return h.digest();
}

bool read_whole(int fd, char* data, size_t size) {
  while (size > 0) {
    const ssize_t got = ::read(fd, data, size);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    data += got, size -= size_t(got);
  }
  return true;
}

// This build of the library (its file's size and modification time: a rebuild or another
// release makes other notes) and the CPU's model (vector code paths differ in the last bits).
const std::string& build_and_machine() {
  static const std::string id = [] {
    std::string s;
    auto add_file = [&s](const char* file) {
      struct stat st {};
      if (file && ::stat(file, &st) == 0)
        s += std::to_string(st.st_size) + " bytes, " + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + "; ";
    };
    Dl_info info{};
    if (::dladdr(reinterpret_cast<void*>(&note_cache_key), &info) != 0) add_file(info.dli_fname);
    add_file(torch_module_file().c_str());  // the generator's code, when the library loads it from beside itself
    std::ifstream cpu("/proc/cpuinfo");
    for (std::string line; std::getline(cpu, line);)
      if (line.rfind("model name", 0) == 0) {
        s += "; " + line;
        break;
      }
    return s;
  }();
  return id;
}

}  // namespace

std::string default_note_cache_folder() {
  const char* own = std::getenv("TIMBREL_NOTE_CACHE");
  if (own && *own) return std::string(own) == "off" ? "" : own;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg == '/') return std::string(xdg) + "/timbrel/notes";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/timbrel/notes";
  return "";
}

NoteCacheKey note_cache_key(const Gansynth& model, int pitch, const std::vector<float>& z, const InverseOptions& inverse,
                            const std::string& backend) {
  NoteCacheKey key;
  std::string& k = key.bytes;
  append_text(k, "timbrel " TIMBREL_VERSION);
  append_text(k, "libtorch " + torch_version());
  append_text(k, build_and_machine());
  append_text(k, model.info().fingerprint);
  append(k, int(model.device()));
  append(k, int(model.precision()));
  append_text(k, backend);
  append(k, int(kNoteSamples));
  append(k, pitch);
  append(k, uint32_t(z.size()));
  k.append(reinterpret_cast<const char*>(z.data()), z.size() * sizeof(float));
  append(k, int(inverse.scale));
  append(k, int(inverse.compat));
  append(k, int(inverse.phase));
  append(k, inverse.iterations);
  append(k, inverse.momentum);
  append(k, inverse.seed);
  key.hash = hash64(k.data(), k.size(), kFormatVersion);
  return key;
}

NoteCache::NoteCache(std::string folder, uint64_t max_bytes) : folder_(std::move(folder)), max_bytes_(max_bytes) {
  std::error_code ec;
  fs::create_directories(folder_, ec);
  if (ec || !fs::is_directory(folder_)) throw Error("note_cache " + folder_, "cannot create the folder: " + (ec ? ec.message() : "not a folder"));
}

std::string NoteCache::path_of(const NoteCacheKey& key) const {
  char name[17];
  std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(key.hash));
  return folder_ + "/" + name + kSuffix;
}

bool NoteCache::load(const NoteCacheKey& key, std::vector<float>& note) const {
  const std::string path = path_of(key);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);  // a FIFO of that name never blocks
  if (fd < 0) return false;
  struct stat st {};
  const size_t header = sizeof kMagic + 2 * sizeof(uint32_t) + key.bytes.size() + sizeof(uint32_t);
  const size_t expected = header + size_t(kNoteSamples) * sizeof(float) + sizeof(uint64_t);
  std::string data;
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && uint64_t(st.st_size) == expected;
  if (ok) {
    data.resize(expected);
    ok = read_whole(fd, data.data(), expected);
  }
  ::close(fd);
  uint32_t version = 0, key_size = 0, count = 0;
  uint64_t sum = 0;
  if (ok) {
    const char* p = data.data() + sizeof kMagic;
    std::memcpy(&version, p, 4), std::memcpy(&key_size, p + 4, 4);
    std::memcpy(&count, data.data() + header - 4, 4);
    std::memcpy(&sum, data.data() + expected - 8, 8);
    ok = std::memcmp(data.data(), kMagic, sizeof kMagic) == 0 && version == kFormatVersion && key_size == key.bytes.size() &&
         count == uint32_t(kNoteSamples) && data.compare(sizeof kMagic + 8, key_size, key.bytes) == 0;
  }
  if (ok) {
    note.resize(count);
    std::memcpy(note.data(), data.data() + header, count * sizeof(float));
    ok = checksum(key.bytes, note.data(), count) == sum;
  }
  if (!ok) {
    ::unlink(path.c_str());  // torn, foreign or a hash collision: make room for the right note
    return false;
  }
  ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);  // recently used: evicted last
  return true;
}

bool NoteCache::store(const NoteCacheKey& key, const std::vector<float>& note) const {
  if (note.size() != size_t(kNoteSamples)) return false;
  std::string head(kMagic, sizeof kMagic);
  append(head, kFormatVersion);
  append(head, uint32_t(key.bytes.size()));
  head += key.bytes;
  append(head, uint32_t(note.size()));
  const uint64_t sum = checksum(key.bytes, note.data(), note.size());
  try {
    AtomicFile file(path_of(key));
    file.write(head.data(), head.size());
    file.write(note.data(), note.size() * sizeof(float));
    file.write(&sum, sizeof sum);
    file.commit(false);  // no fsync: a file torn by a power cut fails its checksum and is a miss
    return true;
  } catch (const Error&) {
    return false;
  }
}

void NoteCache::trim() const {
  struct Entry {
    int64_t used;
    uint64_t bytes;
    std::string path;
  };
  std::vector<Entry> notes;
  uint64_t total = 0;
  const int64_t now = int64_t(std::time(nullptr));
  std::error_code ec;
  for (fs::directory_iterator it(folder_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string path = it->path().string(), name = it->path().filename().string();
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;  // gone meanwhile, or not ours
    if (name.size() > 1 && name[0] == '.' && name.find(".tmp-") != std::string::npos) {
      if (now - int64_t(st.st_mtime) > kStaleTempSeconds) ::unlink(path.c_str());
      continue;
    }
    if (it->path().extension() != kSuffix) continue;
    notes.push_back({int64_t(st.st_mtime) * 1000000000 + st.st_mtim.tv_nsec, uint64_t(st.st_size), path});
    total += uint64_t(st.st_size);
  }
  if (total <= max_bytes_) return;
  std::sort(notes.begin(), notes.end(), [](const Entry& a, const Entry& b) { return a.used < b.used; });
  for (const Entry& e : notes) {
    if (total <= max_bytes_) break;
    ::unlink(e.path.c_str());  // another render may have removed it first: either way it is gone
    total -= e.bytes;
  }
}

}  // namespace timbrel
