#pragma once
// A seqlock reader's copy of a slot. It may overlap the writer's rewrite of that slot by design:
// the slot's sequence, checked after the copy, says whether it did, and a torn copy is thrown
// away. ThreadSanitizer would report that overlap as a data race whenever the writer is a thread
// of the same process (the network sender, a test with both ends in one process), so under TSan
// these reads, and only these, are hidden from it.

#include <cstddef>
#include <cstring>

#if defined(__SANITIZE_THREAD__)
#define SMX_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SMX_TSAN 1
#endif
#endif

#ifdef SMX_TSAN
extern "C" void __tsan_ignore_thread_begin();
extern "C" void __tsan_ignore_thread_end();
#endif

namespace smx::detail {

inline void seqlock_copy(void* dst, const void* src, std::size_t n) noexcept {
#ifdef SMX_TSAN
    __tsan_ignore_thread_begin();
    std::memcpy(dst, src, n);
    __tsan_ignore_thread_end();
#else
    std::memcpy(dst, src, n);
#endif
}

}  // namespace smx::detail
