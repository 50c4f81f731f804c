// libFuzzer targets for Magenta's JavaScript checkpoints. An input is a manifest, a NUL byte,
// then file contents: for TF.js (weights_manifest.json) the contents are every group's
// concatenated shards, for deeplearn.js (manifest.json) every variable's file. Either gives
// decoded weights of the declared shapes or a timbrel::Error naming the file.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "formats/js_checkpoints.h"
#include "timbrel/error.h"

namespace {

void split(const uint8_t* data, size_t size, std::string* manifest, std::vector<uint8_t>* contents) {
  const void* nul = std::memchr(data, 0, size);
  const size_t cut = nul ? size_t(static_cast<const uint8_t*>(nul) - data) : size;
  manifest->assign(reinterpret_cast<const char*>(data), cut);
  contents->assign(data + (nul ? cut + 1 : size), data + size);
}

}  // namespace

int fuzz_tfjs(const uint8_t* data, size_t size) {
  using namespace timbrel::formats;
  std::string manifest;
  std::vector<uint8_t> shards;
  split(data, size, &manifest, &shards);
  try {
    for (const TfjsGroup& g : parse_tfjs_manifest(manifest, "fuzz/weights_manifest.json")) {
      try {
        for (const DecodedWeight& w : decode_tfjs_group(g, shards, "fuzz")) {
          int64_t numel = 1;
          for (int64_t d : w.shape) numel *= d;
          if (size_t(numel) != (w.int32 ? w.ints.size() : w.floats.size())) __builtin_trap();
        }
      } catch (const timbrel::Error&) {
      }
    }
  } catch (const timbrel::Error&) {
  }
  return 0;
}

int fuzz_dljs(const uint8_t* data, size_t size) {
  using namespace timbrel::formats;
  std::string manifest;
  std::vector<uint8_t> contents;
  split(data, size, &manifest, &contents);
  try {
    for (const DljsVariable& v : parse_dljs_manifest(manifest, "fuzz/manifest.json")) {
      if (v.file.empty() || v.file.find('/') != std::string::npos) __builtin_trap();
      try {
        if (decode_dljs_variable(v, contents, "fuzz/" + v.file).size() != size_t(v.numel)) __builtin_trap();
      } catch (const timbrel::Error&) {
      }
    }
  } catch (const timbrel::Error&) {
  }
  return 0;
}

#ifdef TIMBREL_LIBFUZZER
#if defined(TIMBREL_FUZZ_TFJS)
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return fuzz_tfjs(data, size); }
#else
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return fuzz_dljs(data, size); }
#endif
#endif
