#include "names.hpp"

#include <smx/error.hpp>

#include <cstdio>

namespace smx::detail {

namespace {
// Leaves room under NAME_MAX (255) for the temporary suffix "~t<16 hex>".
constexpr std::size_t MAX_ESCAPED = 160;

bool kept(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}
}  // namespace

void validate_topic(std::string_view topic) {
    if (topic.empty()) throw InvalidArgument("topic name is empty: give a name such as \"frame_data\"");
    if (topic.size() > MAX_TOPIC_BYTES)
        throw InvalidArgument("topic name '" + std::string(topic.substr(0, 40)) + "...' is " +
                              std::to_string(topic.size()) + " bytes; at most " +
                              std::to_string(MAX_TOPIC_BYTES) + " are allowed");
    for (unsigned char c : topic)
        if (c < 0x20 || c == 0x7f)
            throw InvalidArgument("topic name contains a control character (byte " +
                                  std::to_string(c) + "): use printable characters only");
}

std::string escape_topic(std::string_view topic) {
    std::string out;
    out.reserve(topic.size());
    for (unsigned char c : topic) {
        if (kept(c)) out += static_cast<char>(c);
        else append_hex_escape(out, ".", c);
    }
    return out;
}

void append_hex_escape(std::string& out, std::string_view marker, unsigned char byte) {
    static constexpr char HEX[] = "0123456789abcdef";
    out += marker;
    out += HEX[byte >> 4];
    out += HEX[byte & 15];
}

int hex_digit_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t seed) {
    std::uint64_t h = seed;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

namespace {
std::string cut_with_hash(std::string escaped, std::string_view topic) {
    if (escaped.size() <= MAX_ESCAPED) return escaped;
    char suffix[20];
    std::snprintf(suffix, sizeof suffix, "~%016llx", static_cast<unsigned long long>(fnv1a64(topic)));
    // Cut names are one byte longer than any uncut one, so the two kinds never collide.
    escaped.resize(MAX_ESCAPED - 16);
    return escaped + suffix;
}
}  // namespace

std::string dds_escape_topic(std::string_view topic) {
    std::string out;
    for (unsigned char c : topic) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) out += static_cast<char>(c);
        else if (c == '_') out += "__";
        else append_hex_escape(out, "_", c);
    }
    if (out.size() <= MAX_ESCAPED) return out;
    // Cut: '~' is not allowed in DDS names. (Not told by the length: an escape of 161 bytes is
    // cut to 161 bytes.)
    std::string cut = cut_with_hash(out, topic);
    cut[cut.size() - 17] = '_';
    return cut;
}

std::optional<std::string> dds_unescape_topic(std::string_view escaped) {
    if (escaped.empty() || escaped.size() > MAX_ESCAPED) return std::nullopt;  // longer ones were cut
    const auto hex = hex_digit_value;  // "_4A" decodes, but does not escape back: refused below
    std::string topic;
    for (std::size_t i = 0; i < escaped.size(); ++i) {
        const char c = escaped[i];
        if (c != '_') {
            topic += c;
            continue;
        }
        if (i + 1 < escaped.size() && escaped[i + 1] == '_') {
            topic += '_';
            ++i;
            continue;
        }
        if (i + 2 >= escaped.size() || hex(escaped[i + 1]) < 0 || hex(escaped[i + 2]) < 0) return std::nullopt;
        topic += static_cast<char>(hex(escaped[i + 1]) * 16 + hex(escaped[i + 2]));
        i += 2;
    }
    // Injective only one way: "_41" is not what 'A' escapes to. A name that does not escape back
    // to itself, or whose topic is not valid, is not one of ours.
    if (topic.size() > MAX_TOPIC_BYTES || dds_escape_topic(topic) != escaped) return std::nullopt;
    for (unsigned char c : topic)
        if (c < 0x20 || c == 0x7f) return std::nullopt;
    return topic;
}

std::string segment_name(int domain_id, std::string_view topic) {
    validate_topic(topic);
    return "/smx." + std::to_string(domain_id) + "." + cut_with_hash(escape_topic(topic), topic);
}

std::string temporary_segment_name(const std::string& final_name, std::uint64_t nonce) {
    char suffix[24];
    std::snprintf(suffix, sizeof suffix, "~t%016llx", static_cast<unsigned long long>(nonce));
    return final_name + suffix;
}

bool is_segment_name(std::string_view name) {
    if (!name.empty() && name.front() == '/') name.remove_prefix(1);
    return name.substr(0, 4) == "smx.";
}

}  // namespace smx::detail
