#pragma once
// Names derived from a topic: the shared memory object's and the DDS topics' (both layers use them).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace smx::detail {

inline constexpr std::size_t MAX_TOPIC_BYTES = 255;

/// Throws InvalidArgument unless 1..MAX_TOPIC_BYTES bytes without NUL or control characters.
void validate_topic(std::string_view topic);

/// Injective escape of a topic into [A-Za-z0-9_-] plus ".hh" escapes (lower-case hex);
/// '.' itself is escaped, so ".hh" always means one escaped byte.
std::string escape_topic(std::string_view topic);

/// "/smx.<domain>.<escaped topic>"; when too long for a file name the escaped topic is cut and
/// "~<16 hex of a 64-bit hash of the whole topic>" appended ('~' never appears otherwise; the
/// header also stores the full topic, so a hash collision is detected on attach).
std::string segment_name(int domain_id, std::string_view topic);

/// The name a writer builds its segment under before renaming it into place.
std::string temporary_segment_name(const std::string& final_name, std::uint64_t nonce);

/// True for names segment_name() or temporary_segment_name() could have produced.
bool is_segment_name(std::string_view name);

/// Injective escape into DDS's topic-name alphabet [A-Za-z0-9_]: '_' becomes "__", any other
/// byte outside [A-Za-z0-9] "_hh". Cut with a hash suffix like segment_name() if too long.
std::string dds_escape_topic(std::string_view topic);

/// The topic whose dds_escape_topic() is `escaped`; nullopt if `escaped` was cut with a hash
/// (the topic cannot be recovered) or is no such escape of a valid topic (a foreign name).
std::optional<std::string> dds_unescape_topic(std::string_view escaped);

/// Appends `marker` and the two lowercase hex digits of `byte` ("_2f", ".2f", "%2f", "\\x2f"):
/// the escape of every name and text smx makes printable.
void append_hex_escape(std::string& out, std::string_view marker, unsigned char byte);
/// The value of hex digit `c` (either case), or -1.
int hex_digit_value(char c) noexcept;

/// 64-bit FNV-1a.
std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t seed = 0xcbf29ce484222325ull);

}  // namespace smx::detail
