#pragma once
// Every CUDA runtime call goes through TIMBREL_CUDA_CHECK; every launch is followed by
// TIMBREL_CUDA_CHECK_LAUNCH. Failures become timbrel::Error naming the call and the location:
// out of memory as OutOfMemoryError (callers retry with smaller batches), and the errors that
// leave the context unusable (a faulting kernel, ECC, a lost device) say so.
#include <cuda_runtime.h>

#include <cstddef>
#include <string>

#include "timbrel/error.h"

namespace timbrel::kernels {

// Sticky errors: after one of these every later call in the process fails too.
inline bool cuda_context_lost(cudaError_t e) {
  switch (e) {
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorLaunchTimeout:
    case cudaErrorECCUncorrectable:
    case cudaErrorDevicesUnavailable:
    case cudaErrorNoDevice:
    case cudaErrorContextIsDestroyed:
    case cudaErrorUnknown:
      return true;
    default:
      return false;
  }
}

[[noreturn]] inline void cuda_fail(cudaError_t e, const char* call, const char* file, int line) {
  const std::string where = std::string(call) + " at " + file + ":" + std::to_string(line);
  if (e == cudaErrorMemoryAllocation) throw OutOfMemoryError("cuda", "out of GPU memory in " + where);
  if (cuda_context_lost(e))
    throw Error("cuda", std::string("the GPU failed (") + cudaGetErrorName(e) + ": " + cudaGetErrorString(e) + ") in " +
                            where + "; its state cannot be trusted for the rest of this run: run again, or use --device cpu");
  throw Error("cuda", where + " failed: " + cudaGetErrorString(e));
}

// One thread per element: the block size every launcher uses, and the blocks that cover n.
constexpr int kThreads = 256;
inline unsigned blocks_for(size_t n) { return unsigned((n + kThreads - 1) / kThreads); }

}  // namespace timbrel::kernels

#define TIMBREL_CUDA_CHECK(call)                                                             \
  do {                                                                                       \
    cudaError_t timbrel_err_ = (call);                                                       \
    if (timbrel_err_ != cudaSuccess) ::timbrel::kernels::cuda_fail(timbrel_err_, #call, __FILE__, __LINE__); \
  } while (0)

#define TIMBREL_CUDA_CHECK_LAUNCH() TIMBREL_CUDA_CHECK(cudaGetLastError())
