#include "shm/wakeup.hpp"

#include "shm/process.hpp"

#include <smx/error.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <poll.h>
#include <string>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace smx::detail {

namespace {

// "\0smx-inbox-<16 hex digits of the session>": the abstract namespace (leading NUL), a name only
// smx uses.
socklen_t inbox_address(std::uint64_t session, sockaddr_un& addr) noexcept {
    std::memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    const int n = std::snprintf(addr.sun_path + 1, sizeof addr.sun_path - 1, "smx-inbox-%016llx",
                                static_cast<unsigned long long>(session));
    return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + static_cast<std::size_t>(n));
}

int datagram_socket() noexcept { return ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0); }

// Only an eventfd is ever written to: a pipe, socket or file handed in by someone else could
// block the writer or take bytes it has no business writing. /proc names it; without /proc (a
// namespace that did not mount it), the inode does: every eventfd shares the kernel's one
// anonymous inode (with timerfds, epoll and the like, whose write() fails at once: harmless).
bool is_eventfd(int fd) noexcept {
    char path[64], target[64];
    std::snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    const ssize_t n = ::readlink(path, target, sizeof target - 1);
    if (n > 0) {
        target[n] = '\0';
        return std::strcmp(target, "anon_inode:[eventfd]") == 0;
    }
    const int mine = ::eventfd(0, EFD_CLOEXEC);
    if (mine < 0) return false;
    struct stat a {}, b {};
    const bool same = ::fstat(fd, &a) == 0 && ::fstat(mine, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
    ::close(mine);
    return same;
}

}  // namespace

bool wait_readable(int fd, std::chrono::nanoseconds timeout) noexcept {
    if (timeout.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(timeout.count() % 1'000'000'000);
    return ::ppoll(&p, 1, &ts, nullptr) != 0;
}

Wakeup::Wakeup() : m_fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)), m_token(random_u64() | 1) {
    if (m_fd < 0) throw SystemError(errno, std::string("creating a wake-up eventfd: ") + std::strerror(errno));
}

Wakeup::~Wakeup() {
    if (m_fd >= 0) ::close(m_fd);
}

void Wakeup::notify() const noexcept {
    const std::uint64_t one = 1;
    (void)!::write(m_fd, &one, sizeof one);
}

void Wakeup::drain() const noexcept {
    std::uint64_t count = 0;
    (void)!::read(m_fd, &count, sizeof count);
}

bool Wakeup::offer_to(std::uint64_t session) const noexcept {
    const int s = datagram_socket();
    if (s < 0) return false;
    sockaddr_un addr;
    msghdr msg{};
    msg.msg_name = &addr;
    msg.msg_namelen = inbox_address(session, addr);
    std::uint64_t token = m_token;
    iovec iov{&token, sizeof token};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &m_fd, sizeof(int));
    const bool sent = ::sendmsg(s, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof token);
    ::close(s);
    return sent;
}

WakeSender::~WakeSender() {
    for (const Entry& e : m_fds) ::close(e.fd);
    if (m_inbox >= 0) ::close(m_inbox);
}

bool WakeSender::open_inbox(std::uint64_t session) noexcept {
    if (m_inbox >= 0) return true;
    const int s = datagram_socket();
    if (s < 0) return false;
    sockaddr_un addr;
    if (::bind(s, reinterpret_cast<const sockaddr*>(&addr), inbox_address(session, addr)) != 0) {
        ::close(s);
        return false;
    }
    m_inbox = s;
    return true;
}

void WakeSender::take_inbox() noexcept {
    for (;;) {
        std::uint64_t token = 0;
        iovec iov{&token, sizeof token};
        alignas(cmsghdr) char control[CMSG_SPACE(4 * sizeof(int))];
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        const ssize_t n = ::recvmsg(m_inbox, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0) return;  // empty (or broken: nothing more to take)
        int fd = -1;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
            const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (std::size_t i = 0; i < count; ++i) {
                int got;
                std::memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                if (fd < 0 && count == 1) fd = got;
                else ::close(got);  // more than one descriptor: not a reader's offer
            }
        }
        if (fd < 0) continue;
        if (n != static_cast<ssize_t>(sizeof token) || token == 0 || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 ||
            !is_eventfd(fd)) {
            ::close(fd);
            continue;
        }
        (void)::fcntl(fd, F_SETFL, O_NONBLOCK);  // never block the writer (an eventfd at its maximum)
        m_missing.clear();  // anything may have come now
        try {
            const auto it = std::find_if(m_fds.begin(), m_fds.end(), [&](const Entry& e) { return e.token == token; });
            if (it != m_fds.end()) {
                ::close(it->fd);
                *it = Entry{token, fd, m_generation};
            } else {
                m_fds.push_back(Entry{token, fd, m_generation});
            }
        } catch (...) {
            ::close(fd);  // no memory: that reader is not woken through its eventfd
        }
    }
}

bool WakeSender::send(std::uint64_t token) noexcept {
    auto find = [&] { return std::find_if(m_fds.begin(), m_fds.end(), [&](const Entry& e) { return e.token == token; }); };
    auto it = find();
    if (it == m_fds.end()) {
        // A token looked for in vain is not looked for again until the inbox brings something:
        // a reader whose eventfd was dropped costs no recvmsg per frame (it relays: see
        // LocalFrameSource::wake_missed).
        if (m_inbox < 0 || std::find(m_missing.begin(), m_missing.end(), token) != m_missing.end()) return false;
        take_inbox();
        it = find();
        if (it == m_fds.end()) {
            if (m_missing.size() < 64) {
                try {
                    m_missing.push_back(token);
                } catch (...) {
                }
            }
            return false;
        }
    }
    const std::uint64_t one = 1;
    // EAGAIN: the counter is at its maximum, so wakes are pending already.
    return ::write(it->fd, &one, sizeof one) == sizeof one || errno == EAGAIN;
}

void WakeSender::keep_only(const std::vector<std::uint64_t>& live) noexcept {
    // An eventfd handed in since the last prune is kept even if no registration names it yet:
    // its reader stores the token only after handing it in.
    std::erase_if(m_fds, [&](const Entry& e) {
        if (e.generation == m_generation || std::find(live.begin(), live.end(), e.token) != live.end()) return false;
        ::close(e.fd);
        return true;
    });
    ++m_generation;
}

}  // namespace smx::detail
