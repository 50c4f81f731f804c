#include "timbrel/bundled_models.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "timbrel/error.h"

namespace timbrel {

std::string bundled_model_path(const std::string& name) {
  namespace fs = std::filesystem;
  std::vector<fs::path> roots;
  if (const char* env = std::getenv("TIMBREL_MODELS")) roots.emplace_back(env);
  roots.emplace_back("models");
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    roots.push_back(exe.parent_path() / "models");
    roots.push_back(exe.parent_path().parent_path() / "models");
    roots.push_back(exe.parent_path().parent_path() / "share" / "timbrel" / "models");
  }
  // The installed library (libtimbrel.so in PREFIX/lib): PREFIX/share/timbrel/models.
  Dl_info self;
  if (::dladdr(reinterpret_cast<void*>(&bundled_model_path), &self) && self.dli_fname) {
    const fs::path library = fs::absolute(self.dli_fname, ec);
    if (!ec && library != exe) roots.push_back(library.parent_path().parent_path() / "share" / "timbrel" / "models");
  }
  std::string looked;
  for (const auto& r : roots) {
    if (fs::exists(r / name / "model.json") || fs::exists(r / name / "bank.json")) return (r / name).string();  // a model, a bank
    looked += (looked.empty() ? "" : ", ") + (r / name).string();
  }
  throw Error("models/" + name, "bundled model not found (looked in " + looked + "); name a model folder or set TIMBREL_MODELS");
}

}  // namespace timbrel
