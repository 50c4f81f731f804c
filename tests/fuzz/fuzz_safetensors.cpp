// libFuzzer target for the safetensors layout (model weights): any bytes give a layout whose
// every tensor lies inside the file, or a timbrel::Error naming the file; never a crash or an
// allocation the header merely claims.
#include <cstddef>
#include <cstdint>

#include "formats/safetensors_layout.h"
#include "timbrel/error.h"

int fuzz_safetensors(const uint8_t* data, size_t size) {
  try {
    const auto layout = timbrel::formats::parse_safetensors_layout(data, size, "fuzz.safetensors");
    for (const auto& t : layout.tensors) {
      if (t.begin > t.end || layout.data_offset + t.end > size) __builtin_trap();
      if (t.end - t.begin != t.numel * timbrel::formats::dtype_bytes(t.dtype)) __builtin_trap();
      volatile uint8_t sink = 0;  // touch both ends: ASan checks they are inside the input
      if (t.end > t.begin) sink = uint8_t(data[layout.data_offset + t.begin] ^ data[layout.data_offset + t.end - 1]);
      (void)sink;
    }
  } catch (const timbrel::Error&) {
  }
  return 0;
}

#ifdef TIMBREL_LIBFUZZER
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return fuzz_safetensors(data, size); }
#endif
