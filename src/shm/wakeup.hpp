#pragma once
// Wake-ups for readers in a wait set: how a writer wakes a reader that sleeps in epoll rather
// than on the doorbell's futex. A futex gives epoll nothing to wait on, and waiting on several
// futex words at once (futex_waitv) needs Linux 5.16; an eventfd is readable, works on any
// kernel, and mixes in one epoll with timers and other topics' eventfds.
//
// The reader makes an eventfd and hands it to the writer over the writer's *inbox*, an
// abstract-namespace Unix datagram socket named from the session id (SCM_RIGHTS, with a random
// 64-bit token), then writes the token into its registration. A writer that finds the
// registration asleep writes 1 to the eventfd of that token. (A datagram to a socket of the
// reader's would do without passing descriptors, but the kernel's wake-up of a socket reader
// is a "sync" one that lets the woken reader wait for the writer to sleep: measured ~30 µs
// later than a futex on the development VM; an eventfd's is not.) Abstract names vanish with
// their socket and belong to a network namespace: a reader that cannot reach the inbox (another
// namespace, an old writer) relays the futex instead (local_source.cpp).
// See docs/design.md "Wait sets". Knows nothing of DDS.

#include <chrono>
#include <cstdint>
#include <utility>
#include <vector>

namespace smx::detail {

/// Waits up to `timeout` for `fd` to be readable; true if it is (or a signal interrupted the
/// wait: callers re-check).
bool wait_readable(int fd, std::chrono::nanoseconds timeout) noexcept;

/// The reader's end: an eventfd and its token. Closes on destruction.
class Wakeup {
public:
    /// Throws SystemError if no eventfd can be made.
    Wakeup();
    ~Wakeup();
    Wakeup(const Wakeup&) = delete;
    Wakeup& operator=(const Wakeup&) = delete;

    /// Readable while a wake is pending.
    int fd() const noexcept { return m_fd; }
    /// What this reader's registrations carry (never 0).
    std::uint64_t token() const noexcept { return m_token; }
    /// Makes fd() readable (thread-safe, async-signal-safe).
    void notify() const noexcept;
    /// Discards pending wakes (non-blocking).
    void drain() const noexcept;
    /// Hands the eventfd to the writer of `session` (its inbox); false if the inbox cannot be
    /// reached (no such writer in this network namespace, or its inbox is full).
    bool offer_to(std::uint64_t session) const noexcept;

private:
    int m_fd = -1;
    std::uint64_t m_token = 0;
};

/// The writer's end: its inbox, and the eventfds readers handed in. Not thread-safe (the writer
/// rings from one thread).
class WakeSender {
public:
    WakeSender() = default;
    ~WakeSender();
    WakeSender(const WakeSender&) = delete;
    WakeSender& operator=(const WakeSender&) = delete;

    /// Binds the inbox of `session`; false if that is impossible (readers then relay).
    bool open_inbox(std::uint64_t session) noexcept;
    /// Wakes the reader of `token`: writes 1 to its eventfd, first taking what the inbox holds
    /// if the token is new. False if no eventfd of that token was handed in (or no inbox is
    /// open: a Doorbell made in a signal handler takes nothing). Allocates only when taking.
    bool send(std::uint64_t token) noexcept;
    /// Closes the eventfds of tokens not in `live` (readers that left) that were handed in
    /// before the previous call, so the table stays bounded by the registrations.
    void keep_only(const std::vector<std::uint64_t>& live) noexcept;
    /// Eventfds held now.
    std::size_t held() const noexcept { return m_fds.size(); }

private:
    void take_inbox() noexcept;

    struct Entry {
        std::uint64_t token;
        int fd;
        std::uint64_t generation;  // keep_only() calls before it came
    };
    int m_inbox = -1;
    std::vector<Entry> m_fds;
    std::vector<std::uint64_t> m_missing;  // tokens looked for in vain since the inbox last brought one
    std::uint64_t m_generation = 0;
};

}  // namespace smx::detail
