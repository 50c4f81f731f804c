#include "train/torch_trainers.h"

#include "models/torch_module.h"

namespace timbrel {

TorchTrainers::~TorchTrainers() = default;

const TorchTrainers& torch_trainers() { return torch_module().trainers(); }

}  // namespace timbrel
