#pragma once
// Timbre specs, the one open-ended way every door names a timbre: "seed:N" (a latent drawn from
// seed N), "preset:NAME" (a preset of the model's card), "program:N" (General MIDI program
// 0..127, as in MIDI files) or a latent file ("file:PATH", or any path ending in .npy).
#include <cstdint>
#include <string>

#include "timbrel/export.h"

namespace timbrel {

struct TimbreSpec {
  enum class Kind { Seed, Preset, Program, File };
  Kind kind = Kind::Seed;
  uint32_t seed = 0;   // Seed
  int program = -1;    // Program
  std::string name;    // Preset: its name; File: the path
};

// Error naming `parameter` and the text when it is none of the forms above (or N is out of range).
TIMBREL_API TimbreSpec parse_timbre_spec(const std::string& text, const std::string& parameter = "timbre");

}  // namespace timbrel
