#pragma once
// The remote readers `smx list` and `smx info` show beside a segment's registrations: looked up
// through DDS discovery (smx/discovery.hpp) while the command does its other work, for a short
// bounded wait, unless --no-dds.

#include "cli.hpp"

#include <smx/discovery.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace smx::cli {

/// --no-dds and --dds-wait of list and info.
struct RemoteLookupOptions {
    bool skip = false;
    double wait_s = std::chrono::duration<double>(DEFAULT_DISCOVERY_WAIT).count();
};
void add_remote_lookup_options(CLI::App* sub, RemoteLookupOptions& options);

/// Joins DDS discovery on construction (unless skipped) and lists the remote readers once the
/// wait has passed. A DDS failure does not fail the command: the readers are then unknown and
/// error() says why.
class RemoteReaderLookup {
public:
    RemoteReaderLookup(int domain, const RemoteLookupOptions& options);
    ~RemoteReaderLookup();

    /// Sleeps for what is left of the wait, then lists (once; later calls return the same).
    /// nullopt if skipped or DDS failed.
    const std::optional<std::vector<RemoteReader>>& readers();
    /// The readers of `topic` (after readers()); nullopt as readers().
    std::optional<std::vector<RemoteReader>> readers_of(const std::string& topic);

    bool skipped() const noexcept { return m_options.skip; }
    const std::string& error() const noexcept { return m_error; }
    double wait_s() const noexcept { return m_options.wait_s; }
    /// `"dds": {"looked_up", "wait_s", "error"}` members for JSON (without braces around).
    std::string json_member() const;
    /// Why there is no list, for text: "not looked up (--no-dds)", "unknown: <DDS error>".
    std::string missing_reason() const;

private:
    RemoteLookupOptions m_options;
    std::chrono::steady_clock::time_point m_until;
    std::unique_ptr<Participant> m_participant;
    std::unique_ptr<RemoteReaderWatch> m_watch;
    std::optional<std::vector<RemoteReader>> m_readers;
    bool m_done = false;
    std::string m_error;
};

/// "pid 4243      on vm (this machine)"; for a reader that is not smx's, what its user data says.
std::string remote_reader_text(const RemoteReader& reader);

/// A JSON array of the readers, or null for nullopt.
std::string remote_readers_json(const std::optional<std::vector<RemoteReader>>& readers);

}  // namespace smx::cli
