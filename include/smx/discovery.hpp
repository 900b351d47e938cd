#pragma once
/// @file discovery.hpp
/// The remote readers of a domain: readers on the network path (another host, another
/// /dev/shm, or forced with ReaderOptions::transport = Transport::dds), which receive whole
/// frames over DDS and never register in a topic's shared segment, so inspect.hpp cannot see
/// them. They are found the DDS way: each announces its payload DataReader, with who it is in
/// the reader's USER_DATA QoS, and DDS discovery tells every participant of the domain.
///
/// Discovery takes a moment after joining (typically tens of milliseconds on one host, longer
/// over a network): a watch lists only what has arrived so far. For tools (`smx list`,
/// `smx info`) and monitoring; it creates no smx reader and changes nothing others see.

#include <smx/export.hpp>
#include <smx/participant.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace smx {

namespace detail {
class RemoteReaderWatchImpl;
}

/// A reader of some topic's network path, as DDS discovery announced it. Everything in it came
/// from the network: strings are printable ASCII and bounded in length.
struct RemoteReader {
    /// The smx topic it reads. Empty when its DDS topic name does not tell it: a long topic's
    /// name is cut with a hash (match such readers with RemoteReaderWatch::readers_of).
    std::string topic;
    std::string dds_topic;  ///< "smx_payload_<escaped topic>"
    std::string guid;       ///< its DDS endpoint GUID, 32 hex digits (tells readers apart)

    /// True if its user data is an smx reader's identity: `host`, `pid` and `machine` are set.
    /// False for a DataReader of the payload topic made by something else (or by an smx older
    /// than this field): then only `user_data` says anything.
    bool identified = false;
    std::string host;      ///< its host name (for people; equal names prove nothing)
    std::int64_t pid = 0;  ///< its process id, on its machine
    std::string machine;   ///< its machine id: boot id and /dev/shm device
    /// Its machine is this process's machine (it could map this machine's segments; it is on
    /// the network path because it was told to be, or could not map the segment).
    bool this_machine = false;

    /// When not identified: its USER_DATA as printable text (other bytes as "\xhh", '\' and '"'
    /// escaped), at most MAX_SHOWN_USER_DATA bytes of it then "..."; empty if it had none.
    std::string user_data;
    static constexpr std::size_t MAX_SHOWN_USER_DATA = 64;
};

/// Watches the domain of `participant` for remote readers of every smx topic. Discovery runs
/// from construction on (in DDS's threads); each call lists what has arrived by then, and a
/// reader that left (closed, or its process gone and its DDS lease expired) is no longer listed.
/// Make one early and ask it after a wait, so the wait overlaps other work.
class SMX_EXPORT RemoteReaderWatch {
public:
    /// Joins discovery with `participant`. Throws DdsError if DDS refuses the built-in reader.
    explicit RemoteReaderWatch(const Participant& participant);
    ~RemoteReaderWatch();
    RemoteReaderWatch(RemoteReaderWatch&&) noexcept;
    RemoteReaderWatch& operator=(RemoteReaderWatch&&) noexcept;

    /// Every remote reader seen so far and still there, sorted by topic, then host, then pid.
    std::vector<RemoteReader> readers() const;
    /// Those of `topic` (matched by its DDS name, so long topics too). Throws InvalidArgument
    /// for a bad topic name.
    std::vector<RemoteReader> readers_of(std::string_view topic) const;

private:
    std::unique_ptr<detail::RemoteReaderWatchImpl> m_impl;
};

/// A fair discovery wait on one host with smx's loopback configuration: most remote readers are
/// listed well within it. Over a network, allow more.
inline constexpr std::chrono::milliseconds DEFAULT_DISCOVERY_WAIT{500};

/// The remote readers of `topic` in the domain of `participant`, after waiting `wait` for
/// discovery (it always waits that long: DDS cannot tell when all have been heard of). Throws
/// as RemoteReaderWatch and readers_of().
SMX_EXPORT std::vector<RemoteReader> find_remote_readers(const Participant& participant, std::string_view topic,
                                                         std::chrono::nanoseconds wait);

/// The remote readers of every topic, after waiting `wait`, as RemoteReaderWatch::readers().
SMX_EXPORT std::vector<RemoteReader> find_remote_readers(const Participant& participant, std::chrono::nanoseconds wait);

}  // namespace smx
