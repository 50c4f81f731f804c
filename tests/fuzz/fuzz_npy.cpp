// libFuzzer target for the .npy reader (latent vectors, spectrograms): any bytes give an array or
// a timbrel::Error naming the input, never a crash or an allocation the header merely claims.
#include <cstddef>
#include <cstdint>

#include "timbrel/error.h"
#include "util/npy.h"

int fuzz_npy(const uint8_t* data, size_t size) {
  try {
    const timbrel::NpyArray a = timbrel::parse_npy(data, size, "fuzz.npy");
    // Whatever parses must round-trip.
    const std::vector<uint8_t> bytes = timbrel::encode_npy(a);
    const timbrel::NpyArray b = timbrel::parse_npy(bytes.data(), bytes.size(), "fuzz-rewrite.npy");
    if (b.shape != a.shape || b.data.size() != a.data.size()) __builtin_trap();
  } catch (const timbrel::Error&) {
  }
  return 0;
}

#ifdef TIMBREL_LIBFUZZER
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return fuzz_npy(data, size); }
#endif
