#include "timbrel/shard.h"

#include <cstdlib>

#include "timbrel/error.h"

namespace timbrel {
namespace {

// A non-negative integer, or -1.
long long integer(const char* text) {
  if (!text || !*text) return -1;
  char* end = nullptr;
  const long long v = std::strtoll(text, &end, 10);
  return *end == '\0' && v >= 0 ? v : -1;
}

Shard checked(long long index, long long count, const std::string& parameter, const std::string& what) {
  if (count < 1 || count > 1000000 || index < 0 || index >= count)
    throw Error(parameter, what + " gives shard " + std::to_string(index) + " of " + std::to_string(count) +
                               " (needs 0 <= index < count <= 1000000)");
  return {int(index), int(count)};
}

}  // namespace

uint64_t stable_hash(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a: offset basis, prime 0x100000001b3
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

bool Shard::contains(const std::string& key) const { return stable_hash(key) % uint64_t(count) == uint64_t(index); }

Shard parse_shard(const std::string& text, int count_hint, const std::string& parameter,
                  const std::function<const char*(const char*)>& getenv_fn) {
  const auto env = getenv_fn ? getenv_fn : [](const char* name) -> const char* { return std::getenv(name); };
  if (text != "auto") {
    const size_t slash = text.find('/');
    if (slash == std::string::npos) throw Error(parameter + " " + text, "expected i/n (shard i of n, 0-based) or auto");
    const long long i = integer(text.substr(0, slash).c_str()), n = integer(text.substr(slash + 1).c_str());
    if (i < 0 || n < 0) throw Error(parameter + " " + text, "expected i/n with whole numbers");
    return checked(i, n, parameter, text);
  }
  if (const long long task = integer(env("SLURM_ARRAY_TASK_ID")); task >= 0) {
    long long count = integer(env("SLURM_ARRAY_TASK_COUNT"));
    const long long lo = integer(env("SLURM_ARRAY_TASK_MIN")), hi = integer(env("SLURM_ARRAY_TASK_MAX"));
    if (count < 0 && lo >= 0 && hi >= lo) count = hi - lo + 1;
    if (count < 0) throw Error(parameter, "auto: SLURM_ARRAY_TASK_ID is set but not the array's size (SLURM_ARRAY_TASK_COUNT or _MIN/_MAX)");
    return checked(task - std::max(lo, 0LL), count, parameter, "auto (Slurm array task " + std::to_string(task) + ")");
  }
  if (const long long index = integer(env("JOB_COMPLETION_INDEX")); index >= 0) {
    long long count = count_hint > 0 ? count_hint : integer(env("TIMBREL_SHARD_COUNT"));
    if (count < 1) throw Error(parameter, "auto: JOB_COMPLETION_INDEX is set; give the Job's completions with --shard-count or TIMBREL_SHARD_COUNT");
    return checked(index, count, parameter, "auto (Kubernetes completion index " + std::to_string(index) + ")");
  }
  throw Error(parameter, "auto: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set (give i/n)");
}

}  // namespace timbrel
