#pragma once
// Every CUDA runtime call goes through TIMBREL_CUDA_CHECK; every launch is followed by
// TIMBREL_CUDA_CHECK_LAUNCH. Failures become timbrel::Error naming the call and the location.
#include <cuda_runtime.h>

#include <cstddef>
#include <string>

#include "timbrel/error.h"

#define TIMBREL_CUDA_CHECK(call)                                                              \
  do {                                                                                        \
    cudaError_t timbrel_err_ = (call);                                                        \
    if (timbrel_err_ != cudaSuccess)                                                          \
      throw ::timbrel::Error("cuda", std::string(#call) + " failed at " + __FILE__ + ":" +    \
                                         std::to_string(__LINE__) + ": " +                    \
                                         cudaGetErrorString(timbrel_err_));                   \
  } while (0)

#define TIMBREL_CUDA_CHECK_LAUNCH() TIMBREL_CUDA_CHECK(cudaGetLastError())

namespace timbrel::kernels {
// One thread per element: the block size every launcher uses, and the blocks that cover n.
constexpr int kThreads = 256;
inline unsigned blocks_for(size_t n) { return unsigned((n + kThreads - 1) / kThreads); }
}  // namespace timbrel::kernels
