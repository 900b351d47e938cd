#pragma once
// Futex calls on words in shared memory (not FUTEX_PRIVATE: several processes map the word).

#include <atomic>
#include <chrono>
#include <cstdint>

namespace smx::detail {

/// Sleeps while `word` equals `expected`, until woken or `timeout`; returns at once if the word
/// already differs. Spurious returns are possible: callers re-check their condition. Returns
/// false if the timeout expired.
bool futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected, std::chrono::nanoseconds timeout) noexcept;

/// Wakes every process sleeping on `word`; returns how many were woken.
int futex_wake_all(std::atomic<std::uint32_t>& word) noexcept;

}  // namespace smx::detail
