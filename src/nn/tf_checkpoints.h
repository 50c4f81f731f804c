#pragma once
// Readers for the two JavaScript checkpoint layouts Magenta published, returning tensors under
// their TensorFlow variable names (e.g. "decoder/multi_rnn_cell/cell_0/lstm_cell/kernel"):
//  - TF.js: weights_manifest.json (groups of shard files; float32 and uint8/uint16/float16
//    quantized weights, value = q * scale + min) + config.json;
//  - deeplearn.js: manifest.json mapping each variable to a file of raw little-endian float32.
#include <string>

#include "nn/safetensors.h"

namespace timbrel::nn {

TensorMap read_tfjs_checkpoint(const std::string& dir);
// The weights a TF.js manifest (JSON text of its groups; `manifest` names it in errors) lists,
// from their shard files in `dir`: graph models carry this manifest inside model.json.
TensorMap read_tfjs_weights(const std::string& dir, const std::string& manifest_text, const std::string& manifest);
TensorMap read_dljs_checkpoint(const std::string& dir);

}  // namespace timbrel::nn
