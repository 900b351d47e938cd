#pragma once
// What the `smx` subcommands and the processes they start share without the command-line
// parser: exit statuses, the error that carries one, and a safe time difference. (cli.hpp adds
// CLI11, whose headers cost every file that includes them seconds of compile time.)

#include <cstdint>
#include <stdexcept>
#include <string>

namespace smx::cli {

/// Exit statuses of `smx`, listed in `smx --help`.
inline constexpr int STATUS_OK = 0;       ///< the command did what was asked
inline constexpr int STATUS_FAILED = 1;   ///< it ran, but the outcome is a failure (a torn frame accepted)
inline constexpr int STATUS_USAGE = 2;    ///< the command line is wrong
inline constexpr int STATUS_RUNTIME = 3;  ///< the environment stopped it (no writer, DDS or /dev/shm refused)

/// A failure the user can act on: main prints "smx: <message>" and exits with `status()`.
class CommandError : public std::runtime_error {
public:
    CommandError(int status, const std::string& message) : std::runtime_error(message), m_status(status) {}
    int status() const noexcept { return m_status; }

private:
    int m_status;
};

/// Seconds from `earlier_ns` to `later_ns`. Timestamps come from shared memory that any process
/// mapping it may have written: subtracted as doubles, a hostile value cannot overflow.
inline double seconds_between(std::int64_t later_ns, std::int64_t earlier_ns) noexcept {
    return (static_cast<double>(later_ns) - static_cast<double>(earlier_ns)) / 1e9;
}

}  // namespace smx::cli
