// The trainers' thread counts: libtorch's and OpenBLAS's own pool (torch's setting does not reach it).
#include <algorithm>

#include "models/openblas_kernels.h"
#include "train/train_util.h"

namespace timbrel::train {

void set_training_threads(int threads) {
  torch::set_num_threads(std::max(1, threads));
  nn::set_openblas_threads(threads);
}

}  // namespace timbrel::train
