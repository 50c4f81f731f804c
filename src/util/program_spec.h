#pragma once
// "program:N" timbre specs: General MIDI program N (0..127, as in MIDI files).
#include <string>

#include "timbrel/error.h"

namespace timbrel {

// N of "program:N"; -1 when `spec` is not a program spec; an Error naming `spec` when N is not
// a number in 0..127.
inline int program_in_spec(const std::string& spec) {
  if (spec.rfind("program:", 0) != 0) return -1;
  const std::string digits = spec.substr(8);
  if (digits.empty() || digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string::npos || std::stoi(digits) > 127)
    throw Error(spec, "expected program:N with N in 0..127 (General MIDI, as in MIDI files)");
  return std::stoi(digits);
}

}  // namespace timbrel
