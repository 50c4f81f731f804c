#pragma once
// An allocator for the large buffers an audio callback reads (held-note caches, the room's delay
// lines): blocks of 256 KiB or more are 2 MiB aligned and advised to the kernel as transparent huge
// pages. Many voices reading a note cache of hundreds of MB touch hundreds of 4 KiB pages a
// period; on huge pages that is a few TLB entries. It matters most in virtual machines, where a
// page-table walk costs more and where anything that ages the guest's page tables (e.g. a DAMON
// daemon sampling accesses) makes the next touch of every small page slow: measured in the jalv
// test, docs/daw.md. Smaller blocks, or a kernel without THP, get ordinary pages.
#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

#ifdef __linux__
#include <sys/mman.h>
#endif

namespace timbrel {

template <class T>
struct HugePageAllocator {
  using value_type = T;
  static constexpr size_t kHugePage = size_t(2) << 20, kWorthIt = size_t(256) << 10;

  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}

  T* allocate(size_t n) {
    if (n > size_t(-1) / sizeof(T)) throw std::bad_alloc();
    const size_t bytes = n * sizeof(T);
    void* p = nullptr;
    if (bytes >= kWorthIt) {
      const size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
      p = std::aligned_alloc(kHugePage, rounded);
#ifdef MADV_HUGEPAGE
      if (p) ::madvise(p, rounded, MADV_HUGEPAGE);  // advice only: refused, the pages stay small
#endif
    } else {
      p = std::malloc(bytes ? bytes : 1);
    }
    if (!p) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t) noexcept { std::free(p); }

  template <class U>
  bool operator==(const HugePageAllocator<U>&) const noexcept { return true; }
  template <class U>
  bool operator!=(const HugePageAllocator<U>&) const noexcept { return false; }
};

template <class T>
using HugePageVector = std::vector<T, HugePageAllocator<T>>;

}  // namespace timbrel
