#pragma once
// The event RNN's network: stacked LSTMs (equal sizes, dropout after each layer as Magenta's
// DropoutWrapper) and a linear layer to the classes' logits.
#include <torch/torch.h>

#include <string>
#include <tuple>
#include <vector>

#include "nn/safetensors.h"

namespace timbrel::nn {

using LstmState = std::tuple<torch::Tensor, torch::Tensor>;

class EventRnnNetImpl : public torch::nn::Module {
 public:
  EventRnnNetImpl(int input_size, std::vector<int> layers, int classes, double dropout);
  // inputs [B, T, input_size] -> logits [B, T, classes].
  torch::Tensor forward(const torch::Tensor& inputs);
  // Inputs [B, T, input_size] from `state` (undefined tensors: zeros) -> logits of the last
  // step [B, classes], and the state after it.
  std::pair<torch::Tensor, LstmState> advance(const torch::Tensor& inputs, const LstmState& state);
  // Copies tensors named by module path, checking names, shapes and values; every one required.
  void load(const TensorMap& tensors, const std::string& subject);
  TensorMap tensors() const;

 private:
  torch::nn::LSTM lstm_{nullptr};
  torch::nn::Linear output_{nullptr};
  double dropout_;
};
TORCH_MODULE(EventRnnNet);

}  // namespace timbrel::nn
