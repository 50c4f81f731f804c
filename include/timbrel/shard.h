#pragma once
// Splitting batch work across independent jobs with no coordinator: each input belongs to shard
// hash(its path relative to the input folder) mod n, a hash that never changes (FNV-1a, 64 bit),
// so any scheduler (a Slurm job array, a Kubernetes indexed Job, a shell loop) can run shard i of n
// anywhere and the shards together cover every input exactly once.
#include <cstdint>
#include <functional>
#include <string>

#include "timbrel/export.h"

namespace timbrel {

struct TIMBREL_API Shard {
  int index = 0, count = 1;  // shard `index` of `count` (0-based)
  bool contains(const std::string& key) const;
  std::string text() const { return std::to_string(index) + "/" + std::to_string(count); }
};

TIMBREL_API uint64_t stable_hash(const std::string& text);

// "i/n" (0 <= i < n); "auto": SLURM_ARRAY_TASK_ID of the array's tasks (SLURM_ARRAY_TASK_COUNT,
// else MAX - MIN + 1, counted from SLURM_ARRAY_TASK_MIN), else JOB_COMPLETION_INDEX (Kubernetes
// indexed Jobs) of `count_hint` shards (a Job's completions; 0 = TIMBREL_SHARD_COUNT). Errors
// name `parameter`. `getenv` is injectable for tests.
TIMBREL_API Shard parse_shard(const std::string& text, int count_hint = 0, const std::string& parameter = "shard",
                  const std::function<const char*(const char*)>& getenv = {});

}  // namespace timbrel
