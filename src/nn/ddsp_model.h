#pragma once
// The torch module's DDSP decoder behind the public Ddsp: a Magenta graph model or a model folder.
#include <memory>
#include <string>

#include "models/model_impls.h"

namespace timbrel::nn {
std::unique_ptr<detail::DdspImpl> load_ddsp(const std::string& path);
}  // namespace timbrel::nn
