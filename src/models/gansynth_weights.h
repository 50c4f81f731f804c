#pragma once
// A GANSynth model folder's weights checked without torch: every tensor the configuration needs
// (names, shapes, floating point, finite; nothing else), their count and their fingerprint.
#include <cstdint>
#include <string>
#include <vector>

#include "timbrel/gansynth.h"
#include "util/hash64.h"

namespace timbrel {

// Expected names and shapes of the weights of a configuration (raw kernels [cout, cin, kh, kw]).
std::vector<std::pair<std::string, std::vector<int64_t>>> gansynth_tensor_shapes(const GansynthConfig& config);

struct GansynthWeights {
  std::string fingerprint;  // the architecture and every tensor (name, shape, dtype, bytes) hashed
  int64_t parameters = 0;
};
GansynthWeights check_gansynth_weights(const std::string& file, const GansynthConfig& config, const std::string& subject);

// libtorch's ScalarType codes (stable since 1.0), which fingerprints hash for each tensor's dtype.
enum class TorchDtypeCode : int { U8 = 0, I8 = 1, I16 = 2, I32 = 3, I64 = 4, F16 = 5, F32 = 6, F64 = 7, Bool = 11, BF16 = 15 };

// The fingerprint of a configuration and its tensors, added in name order: one hasher for the
// weights read here and those the torch module holds (note cache keys rely on their agreement).
class GansynthFingerprint {
 public:
  explicit GansynthFingerprint(const GansynthConfig& config);
  void add(const std::string& name, const std::vector<int64_t>& shape, TorchDtypeCode dtype, const void* data, size_t bytes);
  std::string hex() const;

 private:
  Hash64 hash_;
};

}  // namespace timbrel
