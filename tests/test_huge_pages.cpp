// util/huge_pages.h: large blocks come 2 MiB aligned and advised as transparent huge pages (the
// kernel's smaps says the mapping is eligible), small ones are ordinary; a vector on it behaves.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "util/huge_pages.h"

using namespace timbrel;

namespace {

std::string thp_mode() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  std::getline(in, line);
  return line;
}

// The THPeligible line of the mapping in /proc/self/smaps that holds `p` (-1 when not found).
int thp_eligible(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  const auto at = uintptr_t(p);
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-') inside = lo <= at && at < hi;
    else if (inside && line.rfind("THPeligible:", 0) == 0) return std::stoi(line.substr(12));
  }
  return -1;
}

TEST(HugePages, LargeBlocksAreAlignedAndAdvised) {
  HugePageAllocator<float> allocator;
  float* big = allocator.allocate(size_t(3) << 20);  // 12 MiB
  EXPECT_EQ(uintptr_t(big) % HugePageAllocator<float>::kHugePage, 0u);
  for (size_t i = 0; i < (size_t(3) << 20); i += 1024) big[i] = float(i);  // writable throughout
  const std::string mode = thp_mode();
  if (mode.find("[never]") == std::string::npos && !mode.empty()) EXPECT_EQ(thp_eligible(big), 1) << "THP: " << mode;
  allocator.deallocate(big, size_t(3) << 20);
}

TEST(HugePages, SmallBlocksAndVectors) {
  HugePageAllocator<double> allocator;
  double* small = allocator.allocate(3);
  small[0] = small[1] = small[2] = 1.5;
  allocator.deallocate(small, 3);
  HugePageVector<float> v;
  for (int i = 0; i < 200000; ++i) v.push_back(float(i));  // grows across the 256 KiB threshold
  EXPECT_EQ(v[199999], 199999.0f);
  EXPECT_EQ(uintptr_t(v.data()) % HugePageAllocator<float>::kHugePage, 0u);
  EXPECT_THROW(allocator.allocate(size_t(-1) / 4), std::bad_alloc);
}

}  // namespace
