#pragma once
// Writing files as every Timbrel output is written: atomically (a temporary file in the
// destination's folder renamed over it when complete), so an error, Ctrl-C or kill -9 leaves no
// partial file and an existing file untouched until the new one is whole.
#include <cstddef>
#include <string>

#include "timbrel/export.h"

namespace timbrel {

// Error naming `path` when the folder cannot be written.
TIMBREL_API void write_file_atomically(const std::string& path, const void* data, size_t size);

}  // namespace timbrel
