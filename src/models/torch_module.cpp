#include "models/torch_module.h"

#include <dlfcn.h>

#include <filesystem>

#include "timbrel/error.h"

// Weak: null unless the program links the module's archive (tests, tools); the shared library
// finds the module beside itself instead.
extern "C" const timbrel::TorchModule* timbrel_torch_module_v1() __attribute__((weak));

namespace timbrel {

TorchModule::~TorchModule() = default;

namespace {

constexpr const char* kModuleFile = "libtimbrel_torch.so";

// The module beside the library holding this code, loaded for good.
const TorchModule* load_module_file() {
  const std::string path = torch_module_file();
  if (path.empty()) throw Error(kModuleFile, "cannot locate the Timbrel library to find its torch module beside it");
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    throw Error(path, std::string("cannot load the torch module: ") + (why ? why : "unknown error"));
  }
  using Build = const char* (*)();
  using Entry = const TorchModule* (*)();
  auto build = reinterpret_cast<Build>(dlsym(handle, "timbrel_torch_module_build"));
  auto entry = reinterpret_cast<Entry>(dlsym(handle, "timbrel_torch_module_v1"));
  if (!build || !entry) throw Error(path, "is not a Timbrel torch module");
  // The two share every internal layout: only the module built with this library will do.
  if (std::string(build()) != TIMBREL_BUILD_ID)
    throw Error(path, std::string("is the torch module of another build (") + build() + "; this library is " + TIMBREL_BUILD_ID +
                          "): install the two together");
  return entry();
}

}  // namespace

std::string torch_module_file() {
  if (timbrel_torch_module_v1) return "";
  Dl_info self{};
  if (!dladdr(reinterpret_cast<void*>(&torch_module_file), &self) || !self.dli_fname) return "";
  return (std::filesystem::path(self.dli_fname).parent_path() / kModuleFile).string();
}

const TorchModule& torch_module() {
  static const TorchModule* module = timbrel_torch_module_v1 ? timbrel_torch_module_v1() : load_module_file();
  return *module;
}

std::string torch_version() { return TIMBREL_TORCH_VERSION; }

}  // namespace timbrel
