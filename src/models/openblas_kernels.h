#pragma once
// OpenBLAS picks its kernels from the CPU model; on virtual machines that report a generic model
// it falls back to "Prescott" (SSE3) kernels, ~4x slower than the AVX2/AVX-512 ones the CPU has
// (measured: 31 vs 131 GFLOP/s for a 256x512x1024 sgemm). The choice is made when the library
// loads, so the only fix is OPENBLAS_CORETYPE in the environment before the process starts:
// this re-executes the program with it when that fallback is detected (no-op otherwise, or when
// OPENBLAS_CORETYPE / TIMBREL_KEEP_BLAS_CORE is already set).
namespace timbrel::nn {

void ensure_fast_openblas_kernels(char** argv);

// OpenBLAS's own thread count (1 when the BLAS is not OpenBLAS).
int openblas_threads();
void set_openblas_threads(int threads);

// Single-threaded OpenBLAS for a scope: callers that split work across libtorch's threads
// themselves (OpenBLAS's pthreads on top of them oversubscribe the cores).
class SingleThreadedBlas {
 public:
  SingleThreadedBlas() : saved_(openblas_threads()) { set_openblas_threads(1); }
  ~SingleThreadedBlas() { set_openblas_threads(saved_); }
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

 private:
  int saved_;
};

}  // namespace timbrel::nn
