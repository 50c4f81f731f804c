#pragma once
// What the CUDA runtime sees (for `timbrel info` and GPU-test skipping).
#include <cstddef>
#include <string>
#include <vector>

namespace timbrel::kernels {

struct CudaDevice {
  int index = 0;
  std::string name;
  int compute_major = 0, compute_minor = 0;
  double memory_gib = 0.0;
};

// Empty when there is no usable GPU; `why` (if given) then says what the runtime answered.
std::vector<CudaDevice> cuda_devices(std::string* why = nullptr);
int cuda_runtime_version();
// Device-to-device copy bandwidth, bytes read + written per second / 1e9 (the floor memory-bound
// kernels are measured against).
double copy_bandwidth_gb_s(size_t bytes = size_t(1) << 30, int repeats = 10);

}  // namespace timbrel::kernels
