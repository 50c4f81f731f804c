// libFuzzer target for the sound-file input path (libsndfile behind read_sound_file: WAV, FLAC,
// and whatever else it recognises): any bytes give audio or a timbrel::Error, never a crash.
// The bytes go through a file, as real input does (libsndfile reads paths).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "timbrel/error.h"
#include "timbrel/sound_file.h"

int fuzz_sound_file(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/timbrel-fuzz-" + std::to_string(::getpid()) + ".wav";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    const timbrel::Audio a = timbrel::read_sound_file(path);
    if (a.channels < 1 || a.samples.size() % size_t(a.channels) != 0) __builtin_trap();
  } catch (const timbrel::Error&) {
  }
  std::remove(path.c_str());
  return 0;
}

#ifdef TIMBREL_LIBFUZZER
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return fuzz_sound_file(data, size); }
#endif
