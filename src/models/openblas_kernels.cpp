#include "models/openblas_kernels.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace timbrel::nn {
namespace {

// An OpenBLAS function, wherever libtorch's BLAS was loaded (the torch module loads it into its
// own scope, out of RTLD_DEFAULT's reach).
void* blas_symbol(const char* name) {
  if (void* s = ::dlsym(RTLD_DEFAULT, name)) return s;
  void* blas = ::dlopen("libblas.so.3", RTLD_LAZY | RTLD_NOLOAD);
  return blas ? ::dlsym(blas, name) : nullptr;
}

}  // namespace

void ensure_fast_openblas_kernels(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") || std::getenv("TIMBREL_KEEP_BLAS_CORE")) return;
  using CoreName = char* (*)();
  // libtorch's BLAS, loaded now if libtorch is not yet (the library loads it only when a network runs).
  void* blas = ::dlopen("libblas.so.3", RTLD_LAZY | RTLD_LOCAL);
  auto core_name = reinterpret_cast<CoreName>(::dlsym(blas ? blas : RTLD_DEFAULT, "openblas_get_corename"));
  if (!core_name || !core_name()) return;
  std::string core = core_name();
  std::transform(core.begin(), core.end(), core.begin(), ::tolower);
  // Only the generic fallbacks; a correctly detected core is left alone.
  if (core != "prescott" && core != "core2" && core != "unknown" && core != "katmai" && core != "nehalem") return;
  const char* better = __builtin_cpu_supports("avx512f") ? "SkylakeX" : __builtin_cpu_supports("avx2") ? "Haswell" : nullptr;
  if (!better) return;
  ::setenv("OPENBLAS_CORETYPE", better, 1);
  ::execv("/proc/self/exe", argv);  // returns only on failure: carry on with the slow kernels
}

int openblas_threads() {
  using Get = int (*)();
  auto get = reinterpret_cast<Get>(blas_symbol("openblas_get_num_threads"));
  return get ? get() : 1;
}

void set_openblas_threads(int threads) {
  using Set = void (*)(int);
  if (auto set = reinterpret_cast<Set>(blas_symbol("openblas_set_num_threads"))) set(std::max(1, threads));
}

}  // namespace timbrel::nn
