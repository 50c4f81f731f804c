#pragma once
// Streaming sample-rate conversion (libsoxr, the same HQ recipe as resample()): feed blocks,
// get blocks; flush() at the end returns the filter's tail.
#include <cstddef>
#include <vector>

namespace timbrel {

class StreamResampler {
 public:
  StreamResampler(int in_rate, int out_rate);  // mono
  ~StreamResampler();
  StreamResampler(const StreamResampler&) = delete;
  StreamResampler& operator=(const StreamResampler&) = delete;
  // Appends the output for `n` more input samples to `out` (a copy when the rates are equal).
  void process(const float* in, size_t n, std::vector<float>& out);
  void flush(std::vector<float>& out);

 private:
  void run(const float* in, size_t n, std::vector<float>& out);
  void* soxr_ = nullptr;
  double ratio_ = 1;
};

}  // namespace timbrel
