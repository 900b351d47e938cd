#pragma once
// Who a reader of the network path is, as it tells the domain: a short text in the USER_DATA
// QoS of its payload DataReader ("smx-reader host=<host> pid=<pid> machine=<machine id>"),
// written by the reader and parsed by tools that list remote readers (discovery.hpp). The
// DDS layer carries the bytes without knowing what they say; this file knows no DDS.
//
// Parsed text comes from the network: anyone in the domain can put any bytes there. The parser
// is strict (bounded length, known prefix, printable values, a pid in range) and says "not an smx
// reader" for everything else; display_bytes() makes untrusted bytes safe to print.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace smx::detail {

/// What a payload reader says about itself.
struct ReaderIdentity {
    std::string host;  ///< host name (uname nodename): for people
    std::int64_t pid = 0;
    std::string machine;  ///< machine_id(): equal to another's means the same shared memory
};

/// The first word of the text: what tells an smx reader's user data from anyone else's.
inline constexpr std::string_view READER_IDENTITY_PREFIX = "smx-reader";

/// User data longer than this is not an identity (ours is well under; see format).
inline constexpr std::size_t MAX_READER_IDENTITY_BYTES = 512;

/// Host and machine are cut to this many bytes when formatted.
inline constexpr std::size_t MAX_IDENTITY_VALUE_BYTES = 64;

/// This process's identity: host_name(), getpid(), machine_id().
ReaderIdentity this_reader_identity();

/// "smx-reader host=<host> pid=<pid> machine=<machine>". Host and machine are cut to
/// MAX_IDENTITY_VALUE_BYTES each and percent-encoded (a byte outside '!'..'~', and '%' itself,
/// becomes "%hh"), so the text always fits MAX_READER_IDENTITY_BYTES.
std::string format_reader_identity(const ReaderIdentity& identity);

/// The identity in `user_data`, or nullopt if it is not one: empty, longer than
/// MAX_READER_IDENTITY_BYTES, not starting with the prefix word, a word that is not key=value,
/// a bad escape, a decoded value with a byte outside ' '..'~', a key given twice, host, pid or
/// machine missing or empty, or a pid that is not a decimal number in 1..2^31-1. Words with
/// other keys are ignored (later versions may add some). Never throws.
std::optional<ReaderIdentity> parse_reader_identity(std::span<const std::byte> user_data) noexcept;

/// Untrusted bytes as printable ASCII, for showing: ' '..'~' kept except '\\' and '"', every
/// other byte "\xhh" (and "\\\\", "\\\""); at most `max_bytes` input bytes are shown, then "...".
std::string display_bytes(std::span<const std::byte> bytes, std::size_t max_bytes);

}  // namespace smx::detail
