#pragma once
// train_groove (timbrel/train.h), run by the torch module.
#include "timbrel/train.h"

namespace timbrel::train {
GrooveTrainReport train_groove(const GrooveTrainOptions& options);
}  // namespace timbrel::train
