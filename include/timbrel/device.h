#pragma once
// Where work runs and at what precision: the closed choices every device-aware call shares.
#include <string>

#include "timbrel/export.h"

namespace timbrel {

enum class Device { Auto, Cpu, Cuda };      // Auto: the GPU when one answers, else the CPU
enum class Precision { Fp32, Tf32, Bf16 };  // of the timbre generator (see Gansynth::set_precision)

// "auto" | "cpu" | "cuda" and "fp32" | "tf32" | "bf16"; Error naming `parameter` otherwise.
TIMBREL_API Device parse_device(const std::string& text, const std::string& parameter = "device");
TIMBREL_API Precision parse_precision(const std::string& text, const std::string& parameter = "precision");
TIMBREL_API std::string to_string(Device device);
TIMBREL_API std::string to_string(Precision precision);

}  // namespace timbrel
