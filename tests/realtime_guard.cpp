// Interposed allocator and mutex functions for the streaming tests: they count calls made while
// a thread runs the audio callback (timbrel::in_audio_callback()). Linked only into
// timbrel_stream_tests, whose callbacks must never allocate or lock. Under AddressSanitizer,
// which owns malloc, the allocation count comes from its malloc/free hooks instead (and locks
// are not counted).
#include <pthread.h>

#include <atomic>
#include <cstddef>

#include "audio/audio_output.h"

extern "C" {
// glibc's own lock under its compatibility name (shared libraries lock before any constructor of
// ours could look it up with dlsym).
int timbrel_real_mutex_lock(pthread_mutex_t*);
__asm__(".symver timbrel_real_mutex_lock,__pthread_mutex_lock@GLIBC_2.2.5");
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);
}

namespace timbrel::test {
std::atomic<long> g_callback_allocations{0}, g_callback_locks{0};
}

namespace {
inline void note_allocation() {
  if (timbrel::in_audio_callback()) timbrel::test::g_callback_allocations.fetch_add(1);
}
}  // namespace

#if defined(__SANITIZE_ADDRESS__)
// From the sanitizer runtime (GCC does not ship <sanitizer/allocator_interface.h>).
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*, size_t),
                                                         void (*free_hook)(const volatile void*));
namespace {
void on_malloc(const volatile void*, size_t) { note_allocation(); }
void on_free(const volatile void*) { note_allocation(); }
__attribute__((constructor)) void install_allocation_hooks() { __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free); }
}  // namespace
extern "C" {
#else
extern "C" {
void* malloc(size_t n) {
  note_allocation();
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t size) {
  note_allocation();
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t n) {
  note_allocation();
  return __libc_realloc(p, n);
}
void* aligned_alloc(size_t align, size_t n) {
  note_allocation();
  return __libc_memalign(align, n);
}
int posix_memalign(void** out, size_t align, size_t n) {
  note_allocation();
  *out = __libc_memalign(align, n);
  return *out ? 0 : 12;  // ENOMEM
}
void free(void* p) {
  note_allocation();
  __libc_free(p);
}
// ASan intercepts pthread_mutex_lock itself (and crashes at start-up when an executable
// shadows it): the lock count is checked in the plain build only.
int pthread_mutex_lock(pthread_mutex_t* m) {
  if (timbrel::in_audio_callback()) timbrel::test::g_callback_locks.fetch_add(1);
  return timbrel_real_mutex_lock(m);
}
#endif
}
