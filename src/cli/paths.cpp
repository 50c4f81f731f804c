#include "paths.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "timbrel/build_config.h"
#include "timbrel/error.h"

namespace timbrel::cli {

void refuse_to_overwrite_input(const std::string& input, const std::string& output) {
  struct stat a, b;
  if (::stat(input.c_str(), &a) == 0 && ::stat(output.c_str(), &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
    throw Error(output, "is the input file; choose another output name");
}

namespace {
bool g_force = false;
}

void set_force(bool force) { g_force = force; }

void refuse_existing_output(const std::string& output, const std::string& marker) {
  if (g_force || output.empty()) return;
  const std::string probe = marker.empty() ? output : output + "/" + marker;
  struct stat st;
  if (::stat(probe.c_str(), &st) == 0)
    throw Error(output, marker.empty() ? "exists already (--force overwrites it)" : "holds a previous output (" + marker + "); --force overwrites it");
}

}  // namespace timbrel::cli
