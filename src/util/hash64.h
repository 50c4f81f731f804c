#pragma once
// A fast 64-bit content hash for fingerprints and cache keys (xxHash64's round and avalanche,
// four lanes over 32-byte stripes): megabytes of weights hash in a millisecond or two, where a
// byte-wise FNV takes ten. Not for security; the note cache compares its whole key besides.
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace timbrel {

class Hash64 {
 public:
  explicit Hash64(uint64_t seed = 0) : lanes_{seed + kP1 + kP2, seed + kP2, seed, seed - kP1}, seed_(seed) {}

  void add(const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    total_ += n;
    while (n > 0) {
      if (fill_ == 0)  // whole stripes straight from the input (the same rounds, without the copy)
        for (; n >= 32; p += 32, n -= 32)
          for (int i = 0; i < 4; ++i) lanes_[i] = round(lanes_[i], word(p + 8 * i));
      if (n == 0) break;
      const size_t take = n < 32 - fill_ ? n : 32 - fill_;
      std::memcpy(stripe_ + fill_, p, take);
      fill_ += take, p += take, n -= take;
      if (fill_ == 32) {
        for (int i = 0; i < 4; ++i) lanes_[i] = round(lanes_[i], word(stripe_ + 8 * i));
        fill_ = 0;
      }
    }
  }
  template <typename T>
  void add_value(const T& value) {
    add(&value, sizeof value);
  }

  uint64_t digest() const {
    uint64_t h = total_ >= 32 ? rotl(lanes_[0], 1) + rotl(lanes_[1], 7) + rotl(lanes_[2], 12) + rotl(lanes_[3], 18) : seed_ + kP5;
    if (total_ >= 32)
      for (uint64_t lane : lanes_) h = (h ^ round(0, lane)) * kP1 + kP4;
    h += total_;
    size_t i = 0;
    for (; i + 8 <= fill_; i += 8) h = rotl(h ^ round(0, word(stripe_ + i)), 27) * kP1 + kP4;
    for (; i < fill_; ++i) h = rotl(h ^ (stripe_[i] * kP5), 11) * kP1;
    h ^= h >> 33, h *= kP2, h ^= h >> 29, h *= kP3, h ^= h >> 32;
    return h;
  }

 private:
  static constexpr uint64_t kP1 = 0x9E3779B185EBCA87ull, kP2 = 0xC2B2AE3D27D4EB4Full, kP3 = 0x165667B19E3779F9ull,
                            kP4 = 0x85EBCA77C2B2AE63ull, kP5 = 0x27D4EB2F165667C5ull;
  static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
  static uint64_t word(const unsigned char* p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  }
  static uint64_t round(uint64_t acc, uint64_t w) { return rotl(acc + w * kP2, 31) * kP1; }

  uint64_t lanes_[4];
  uint64_t seed_;
  unsigned char stripe_[32] = {};
  size_t fill_ = 0;
  uint64_t total_ = 0;
};

inline uint64_t hash64(const void* data, size_t n, uint64_t seed = 0) {
  Hash64 h(seed);
  h.add(data, n);
  return h.digest();
}

}  // namespace timbrel
