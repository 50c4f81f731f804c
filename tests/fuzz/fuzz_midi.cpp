// libFuzzer target for the MIDI reader: any bytes must give a NoteSequence or a timbrel::Error,
// never a crash, hang or unbounded allocation. Also linked into the unit tests to replay the corpus
// (run-fuzz.sh defines TIMBREL_LIBFUZZER to make it the libFuzzer entry point).
#include <cstddef>
#include <cstdint>

#include "timbrel/error.h"
#include "timbrel/music.h"

int fuzz_midi(const uint8_t* data, size_t size) {
  try {
    timbrel::NoteSequence seq = timbrel::parse_midi(data, size, "fuzz");
    // Whatever parses must also write and re-read.
    std::vector<uint8_t> bytes = timbrel::encode_midi(seq);
    timbrel::parse_midi(bytes.data(), bytes.size(), "fuzz-rewrite");
  } catch (const timbrel::Error&) {
  }
  return 0;
}

#ifdef TIMBREL_LIBFUZZER
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return fuzz_midi(data, size); }
#endif
