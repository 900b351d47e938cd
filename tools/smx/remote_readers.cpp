#include "remote_readers.hpp"

#include "topic_common.hpp"

#include <smx/error.hpp>

#include <cstdio>
#include <thread>

namespace smx::cli {

void add_remote_lookup_options(CLI::App* sub, RemoteLookupOptions& options) {
    sub->add_flag("--no-dds", options.skip, "do not join DDS to look for remote readers (shared memory only)");
    sub->add_option("--dds-wait", options.wait_s, "seconds of DDS discovery when looking for remote readers")
        ->check(seconds_check(60))
        ->capture_default_str();
}

RemoteReaderLookup::RemoteReaderLookup(int domain, const RemoteLookupOptions& options)
    : m_options(options),
      m_until(std::chrono::steady_clock::now() +
              std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(options.wait_s))) {
    if (m_options.skip) return;
    try {
        m_participant = std::make_unique<Participant>(domain);
        m_watch = std::make_unique<RemoteReaderWatch>(*m_participant);
    } catch (const Error& e) {
        m_error = e.what();
        m_watch.reset();
        m_participant.reset();
    }
}

RemoteReaderLookup::~RemoteReaderLookup() = default;

const std::optional<std::vector<RemoteReader>>& RemoteReaderLookup::readers() {
    if (m_done || !m_watch) return m_readers;
    m_done = true;
    std::this_thread::sleep_until(m_until);
    try {
        m_readers = m_watch->readers();
    } catch (const Error& e) {
        m_error = e.what();
    }
    return m_readers;
}

std::optional<std::vector<RemoteReader>> RemoteReaderLookup::readers_of(const std::string& topic) {
    if (!readers() || !m_watch) return std::nullopt;
    // By DDS name, not by the decoded topic: long topics' names are cut.
    try {
        return m_watch->readers_of(topic);
    } catch (const Error&) {
        return std::nullopt;
    }
}

std::string RemoteReaderLookup::json_member() const {
    return "\"dds\": {\"looked_up\": " + std::string(m_options.skip || !m_error.empty() ? "false" : "true") +
           ", \"wait_s\": " + format_number(m_options.wait_s) +
           ", \"error\": " + (m_error.empty() ? std::string("null") : json_string(m_error)) + "}";
}

std::string RemoteReaderLookup::missing_reason() const {
    if (m_options.skip) return "not looked up (--no-dds)";
    return "unknown (" + m_error + ")";
}

std::string remote_reader_text(const RemoteReader& r) {
    char pid[32];
    if (!r.identified) {
        std::snprintf(pid, sizeof pid, "%-12s", "?");
        return std::string(pid) + " not an smx reader: " +
               (r.user_data.empty() ? std::string("no user data") : "user data \"" + r.user_data + "\"");
    }
    std::snprintf(pid, sizeof pid, "pid %-8lld", static_cast<long long>(r.pid));
    return std::string(pid) + " on " + r.host + (r.this_machine ? " (this machine)" : " (machine " + r.machine + ")");
}

std::string remote_readers_json(const std::optional<std::vector<RemoteReader>>& readers) {
    if (!readers) return "null";
    std::string j = "[";
    for (std::size_t i = 0; i < readers->size(); ++i) {
        const RemoteReader& r = (*readers)[i];
        j += std::string(i ? ", " : "") +
             "{\"transport\": \"dds\", \"topic\": " + (r.topic.empty() ? std::string("null") : json_string(r.topic)) +
             ", \"dds_topic\": " + json_string(r.dds_topic) + ", \"guid\": " + json_string(r.guid) +
             ", \"identified\": " + (r.identified ? "true" : "false");
        if (r.identified)
            j += ", \"pid\": " + std::to_string(r.pid) + ", \"host\": " + json_string(r.host) +
                 ", \"machine\": " + json_string(r.machine) +
                 ", \"this_machine\": " + (r.this_machine ? "true" : "false");
        else
            j += ", \"user_data\": " + json_string(r.user_data);
        j += "}";
    }
    return j + "]";
}

}  // namespace smx::cli
