#include "timbrel/device.h"

#include "timbrel/error.h"

namespace timbrel {

Device parse_device(const std::string& text, const std::string& parameter) {
  if (text == "auto") return Device::Auto;
  if (text == "cpu") return Device::Cpu;
  if (text == "cuda") return Device::Cuda;
  throw Error(parameter + " " + text, "must be auto, cpu or cuda");
}

Precision parse_precision(const std::string& text, const std::string& parameter) {
  if (text == "fp32") return Precision::Fp32;
  if (text == "tf32") return Precision::Tf32;
  if (text == "bf16") return Precision::Bf16;
  throw Error(parameter + " " + text, "must be fp32, tf32 or bf16");
}

std::string to_string(Device device) { return device == Device::Cpu ? "cpu" : device == Device::Cuda ? "cuda" : "auto"; }
std::string to_string(Precision precision) {
  return precision == Precision::Tf32 ? "tf32" : precision == Precision::Bf16 ? "bf16" : "fp32";
}

}  // namespace timbrel
