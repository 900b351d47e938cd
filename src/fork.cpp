#include "fork.hpp"

#include <pthread.h>
#include <unistd.h>

namespace smx::detail {

namespace {
std::atomic<std::uint64_t> g_generation{0};

void forked_child() noexcept { g_generation.fetch_add(1, std::memory_order_relaxed); }
}  // namespace

std::uint64_t fork_generation() noexcept {
    // Registered before any smx object exists (each asks for the generation when made), so no
    // fork after that can be missed.
    static const int registered = ::pthread_atfork(nullptr, nullptr, &forked_child);
    (void)registered;
    return g_generation.load(std::memory_order_relaxed);
}

OwnerProcess::OwnerProcess() noexcept : m_generation(fork_generation()), m_pid(::getpid()) {}

std::string OwnerProcess::inherited_message(const std::string& what) const {
    return what + " belongs to process " + std::to_string(m_pid) + " and was inherited through fork() by process " +
           std::to_string(::getpid()) + "; create a new one in this process";
}

}  // namespace smx::detail
