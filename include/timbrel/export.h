#pragma once
// TIMBREL_API marks what libtimbrel.so exports: the library is built with hidden visibility, so
// only declarations carrying this macro (the public API under include/timbrel/) are visible to
// programs that link it.
#if defined(__GNUC__) || defined(__clang__)
#define TIMBREL_API __attribute__((visibility("default")))
#else
#define TIMBREL_API
#endif

namespace timbrel::detail {
// The library's own door to the models' private parts (src/models/model_impls.h); not for callers.
struct ModelAccess;
}  // namespace timbrel::detail
