#pragma once
// The only view of libtorch the CLI needs for `info` (keeps torch headers out of the CLI).
#include <string>

namespace timbrel {

struct TorchInfo {
  std::string version;
  bool cuda_available = false;
  int cuda_devices = 0;
  int threads = 1;
};

TorchInfo torch_info();
// The libtorch version alone (no device queries).
std::string torch_version();

}  // namespace timbrel
