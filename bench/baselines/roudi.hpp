#pragma once
// A private iceoryx 2.0 RouDi for one benchmark run. iceoryx 2.0 allows one RouDi per host (its
// names are fixed: the lock /tmp/iox-unique-roudi.lock, the socket /tmp/roudi, the shared
// memory /iceoryx_mgmt and one segment named after the user's group), so this one is started
// only when none runs, with mempools sized for the run's payloads from a configuration file in a
// temporary directory, and stopped by pid when the run ends. A RouDi that is already running is
// never touched: starting ours then fails, and the iceoryx lane is n/a.
//
// While it runs it serves any iceoryx application on the host, and when it stops it asks the
// applications still registered with it to end (RouDi's own shutdown sends them SIGTERM).

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <sys/types.h>
#include <vector>

namespace smx::baseline {

/// Why iceoryx cannot be used here: RouDi is missing, would not start, or another one runs.
class RouDiUnavailable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class RouDi {
public:
    /// One mempool: `count` chunks for payloads of up to `payload_bytes` (plus the chunk's
    /// headers, for which room is added).
    struct Pool {
        std::uint64_t payload_bytes = 0;
        std::uint32_t count = 0;
    };

    /// Writes the configuration, starts `iox-roudi` (from PATH) in a process group of its own
    /// (a terminal's Ctrl-C reaches the bench, which then stops it in order), and waits up to
    /// `timeout` for it to report "ready". Throws RouDiUnavailable saying why it did not start.
    RouDi(const std::vector<Pool>& pools, std::chrono::milliseconds timeout);
    /// stop().
    ~RouDi();
    RouDi(const RouDi&) = delete;
    RouDi& operator=(const RouDi&) = delete;

    /// Removes what iceoryx 2.0 keeps in /tmp for the application runtime `name` (its socket
    /// and lock file), which an application killed before it could unregister leaves behind.
    static void remove_application_files(const std::string& name) noexcept;

    pid_t pid() const noexcept { return m_pid; }
    /// "pools 64 B x 19, ..." as configured.
    const std::string& describe() const noexcept { return m_description; }
    /// SIGTERM by pid and up to 10 s for RouDi to clean up and exit, then SIGKILL. If it did not
    /// exit cleanly, its files are removed by name (they are this RouDi's: it held the host's
    /// lock). Idempotent.
    void stop() noexcept;

private:
    void spawn(const std::string& program, const std::string& config);
    void wait_ready(std::chrono::milliseconds timeout);
    bool wait_exit(std::chrono::milliseconds timeout) noexcept;
    void remove_leftovers() noexcept;
    void remove_config() noexcept;

    std::string m_dir;          // the temporary directory of the configuration
    std::string m_description;
    std::string m_output;       // what RouDi printed, colours removed
    pid_t m_pid = -1;
    int m_pidfd = -1;
    int m_out = -1;             // read end of RouDi's stdout and stderr
    bool m_reaped = false;
};

}  // namespace smx::baseline
