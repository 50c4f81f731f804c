#include <cuda_runtime.h>

#include "cuda_check.h"
#include "cuda_info.h"

namespace timbrel::kernels {

std::vector<CudaDevice> cuda_devices(std::string* why) {
  std::vector<CudaDevice> out;
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    if (why)
      *why = (err == cudaErrorInsufficientDriver || err == cudaErrorNoDevice)
                 ? std::string("no usable NVIDIA GPU (") + cudaGetErrorString(err) + ")"
                 : std::string(cudaGetErrorString(err));
    cudaGetLastError();  // clear the sticky-free error so later calls start clean
    return out;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, i) != cudaSuccess) continue;
    out.push_back({i, p.name, p.major, p.minor, double(p.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0)});
  }
  if (out.empty() && why) *why = "no CUDA device";
  return out;
}

int cuda_runtime_version() {
  int v = 0;
  cudaRuntimeGetVersion(&v);
  return v;
}

double copy_bandwidth_gb_s(size_t bytes, int repeats) {
  void *a = nullptr, *b = nullptr;
  cudaEvent_t start = nullptr, stop = nullptr;
  float ms = 0;
  TIMBREL_CUDA_CHECK(cudaMalloc(&a, bytes));
  try {
    TIMBREL_CUDA_CHECK(cudaMalloc(&b, bytes));
    TIMBREL_CUDA_CHECK(cudaMemset(a, 0, bytes));
    TIMBREL_CUDA_CHECK(cudaEventCreate(&start));
    TIMBREL_CUDA_CHECK(cudaEventCreate(&stop));
    TIMBREL_CUDA_CHECK(cudaMemcpy(b, a, bytes, cudaMemcpyDeviceToDevice));  // warm-up
    TIMBREL_CUDA_CHECK(cudaEventRecord(start));
    for (int i = 0; i < repeats; ++i) TIMBREL_CUDA_CHECK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice));
    TIMBREL_CUDA_CHECK(cudaEventRecord(stop));
    TIMBREL_CUDA_CHECK(cudaEventSynchronize(stop));
    TIMBREL_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  } catch (...) {
    cudaFree(a);
    cudaFree(b);
    throw;
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  cudaFree(a);
  cudaFree(b);
  return 2.0 * double(bytes) * repeats / (double(ms) * 1e-3) / 1e9;  // read + write
}

}  // namespace timbrel::kernels
