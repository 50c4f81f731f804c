// main() for the libtorch benchmarks: OpenBLAS gets its fast kernels (see models/openblas_kernels.h)
// before Google Benchmark starts.
#include <benchmark/benchmark.h>

#include "models/openblas_kernels.h"

int main(int argc, char** argv) {
  timbrel::nn::ensure_fast_openblas_kernels(argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
