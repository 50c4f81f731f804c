#include "nn/torch_info.h"

namespace timbrel {

std::string torch_version() { return TORCH_VERSION; }

TorchInfo torch_info() {
  TorchInfo info;
  info.version = TORCH_VERSION;
  info.cuda_available = torch::cuda::is_available();
  info.cuda_devices = info.cuda_available ? int(torch::cuda::device_count()) : 0;
  info.threads = at::get_num_threads();
  return info;
}

}  // namespace timbrel
