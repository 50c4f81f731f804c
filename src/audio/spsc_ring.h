#pragma once
// Single-producer/single-consumer ring of float samples, lock-free and wait-free: the audio
// callback reads, one worker thread writes. Memory is allocated once, in the constructor.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <vector>

namespace timbrel {

class SpscRing {
 public:
  // Holds at least `capacity` samples (rounded up to a power of two).
  explicit SpscRing(size_t capacity) {
    size_t size = 1;
    while (size < capacity) size <<= 1;
    buffer_.assign(size, 0.0f);
    mask_ = size - 1;
  }
  size_t capacity() const { return buffer_.size(); }
  size_t readable() const { return written_.load(std::memory_order_acquire) - read_.load(std::memory_order_acquire); }
  size_t writable() const { return capacity() - readable(); }

  // Producer side: copies up to n samples in; returns how many fitted.
  size_t write(const float* data, size_t n) {
    const size_t w = written_.load(std::memory_order_relaxed);
    n = std::min(n, capacity() - (w - read_.load(std::memory_order_acquire)));
    copy_in(w, data, n);
    written_.store(w + n, std::memory_order_release);
    return n;
  }
  // Consumer side: copies up to n samples out; returns how many there were.
  size_t read(float* data, size_t n) {
    const size_t r = read_.load(std::memory_order_relaxed);
    n = std::min(n, written_.load(std::memory_order_acquire) - r);
    const size_t at = r & mask_, first = std::min(n, capacity() - at);
    std::memcpy(data, buffer_.data() + at, first * sizeof(float));
    std::memcpy(data + first, buffer_.data(), (n - first) * sizeof(float));
    read_.store(r + n, std::memory_order_release);
    return n;
  }

 private:
  void copy_in(size_t w, const float* data, size_t n) {
    const size_t at = w & mask_, first = std::min(n, capacity() - at);
    std::memcpy(buffer_.data() + at, data, first * sizeof(float));
    std::memcpy(buffer_.data(), data + first, (n - first) * sizeof(float));
  }
  std::vector<float> buffer_;
  size_t mask_ = 0;
  // Monotonic counts (never wrap in practice: 2^64 samples); each written by one side only.
  alignas(64) std::atomic<size_t> written_{0};
  alignas(64) std::atomic<size_t> read_{0};
};

}  // namespace timbrel
