#pragma once
// Flush-to-zero and denormals-are-zero for the scope of a real-time render: decaying tails and
// smoothed controls would otherwise reach denormal floats, which cost tens of times a normal
// operation on x86. The caller's floating-point mode comes back at the end of the scope.
#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define TIMBREL_HAVE_MXCSR 1
#endif

namespace timbrel {

class DenormalGuard {
 public:
#ifdef TIMBREL_HAVE_MXCSR
  DenormalGuard() noexcept : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040u); }
  ~DenormalGuard() { _mm_setcsr(saved_); }
  DenormalGuard(const DenormalGuard&) = delete;
  DenormalGuard& operator=(const DenormalGuard&) = delete;

 private:
  unsigned saved_;
#endif
};

}  // namespace timbrel
