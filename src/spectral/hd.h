#pragma once
// Functions marked TIMBREL_HD compile for both the GPU (under nvcc) and the CPU (under the host
// compiler), so the CPU tests run the same per-element logic the kernels do. Kernels build with
// --fmad=false and the host compiler does not contract either, so both sides round alike.
#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define TIMBREL_HD __host__ __device__ __forceinline__
#else
#define TIMBREL_HD inline
#endif

namespace timbrel {

// The float whose bits are `bits` (and back), on either side.
TIMBREL_HD float bits_to_float(int32_t bits) {
#if defined(__CUDA_ARCH__)
  return __int_as_float(bits);
#else
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
#endif
}

}  // namespace timbrel
