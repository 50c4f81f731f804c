#include "nn/event_rnn_net.h"

#include "timbrel/error.h"

namespace timbrel::nn {

EventRnnNetImpl::EventRnnNetImpl(int input_size, std::vector<int> layers, int classes, double dropout) : dropout_(dropout) {
  if (layers.empty() || input_size < 1 || classes < 2) throw Error("layers", "an event RNN needs LSTM layers, inputs and classes");
  for (int l : layers)
    if (l != layers[0] || l < 1) throw Error("layers", "LSTM layers must have one positive size (e.g. 128,128)");
  lstm_ = register_module("lstm", torch::nn::LSTM(torch::nn::LSTMOptions(input_size, layers[0])
                                                      .num_layers(int64_t(layers.size()))
                                                      .batch_first(true)
                                                      .dropout(layers.size() > 1 ? dropout : 0.0)));
  output_ = register_module("output", torch::nn::Linear(layers[0], classes));
}

torch::Tensor EventRnnNetImpl::forward(const torch::Tensor& inputs) {
  auto out = std::get<0>(lstm_->forward(inputs));
  return output_->forward(torch::dropout(out, dropout_, is_training()));
}

std::pair<torch::Tensor, LstmState> EventRnnNetImpl::advance(const torch::Tensor& inputs, const LstmState& state) {
  auto [out, next] = std::get<0>(state).defined() ? lstm_->forward(inputs, state) : lstm_->forward(inputs);
  auto last = out.select(1, out.size(1) - 1);
  return {output_->forward(torch::dropout(last, dropout_, is_training())), next};
}

TensorMap EventRnnNetImpl::tensors() const { return parameter_map(*this); }

void EventRnnNetImpl::load(const TensorMap& tensors, const std::string& subject) { load_parameters(*this, tensors, subject, "this event RNN"); }

}  // namespace timbrel::nn
