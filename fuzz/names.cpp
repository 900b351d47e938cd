// Fuzz target: names derived from a topic (src/names.cpp). validate_topic() accepts exactly the
// documented topics; the segment name and the DDS topic names are file-system and DDS safe,
// short enough for a temporary suffix, and injective (an uncut escape decodes back to the
// topic; two different topics never share an uncut name).
//
// Input: a domain (2 bytes), the length of topic A (1 byte, or 2 when the first is 255), topic
// A, then topic B (the rest).

#include "fuzz_support.hpp"

#include "names.hpp"

#include <smx/error.hpp>

#include <optional>

namespace {

using namespace smx::detail;
using smx::fuzz::check;

constexpr std::size_t NAME_MAX_BYTES = 255;  // a file name in /dev/shm
constexpr std::size_t TEMP_SUFFIX = 18;      // "~t" + 16 hex digits

int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// escape_topic() undone; nullopt if `e` is not something it produces.
std::optional<std::string> unescape_segment(std::string_view e) {
    std::string out;
    for (std::size_t i = 0; i < e.size(); ++i) {
        if (e[i] != '.') {
            out += e[i];
            continue;
        }
        if (i + 2 >= e.size() || hex(e[i + 1]) < 0 || hex(e[i + 2]) < 0) return std::nullopt;
        out += static_cast<char>(hex(e[i + 1]) * 16 + hex(e[i + 2]));
        i += 2;
    }
    return out;
}

// dds_escape_topic() undone.
std::optional<std::string> unescape_dds(std::string_view e) {
    std::string out;
    for (std::size_t i = 0; i < e.size(); ++i) {
        if (e[i] != '_') {
            out += e[i];
        } else if (i + 1 < e.size() && e[i + 1] == '_') {
            out += '_';
            ++i;
        } else if (i + 2 < e.size() && hex(e[i + 1]) >= 0 && hex(e[i + 2]) >= 0) {
            out += static_cast<char>(hex(e[i + 1]) * 16 + hex(e[i + 2]));
            i += 2;
        } else {
            return std::nullopt;
        }
    }
    return out;
}

bool documented_valid(std::string_view t) {
    if (t.empty() || t.size() > MAX_TOPIC_BYTES) return false;
    for (unsigned char c : t)
        if (c < 0x20 || c == 0x7f) return false;
    return true;
}

struct Names {
    std::string segment, escaped, dds;
    bool segment_cut, dds_cut;
};

// The names of a valid topic, checked one by one.
Names names_of(int domain, const std::string& t) {
    Names n;
    n.segment = segment_name(domain, t);
    const std::string prefix = "/smx." + std::to_string(domain) + ".";
    check(n.segment.compare(0, prefix.size(), prefix) == 0, "segment name prefix", n.segment);
    n.escaped = n.segment.substr(prefix.size());
    check(n.segment.find('/', 1) == std::string::npos, "no '/' after the first", n.segment);
    check(n.segment.find('\0') == std::string::npos, "no NUL in a segment name");
    check(n.segment.size() - 1 + TEMP_SUFFIX <= NAME_MAX_BYTES, "a temporary name fits a file name", n.segment);
    check(is_segment_name(n.segment), "is_segment_name() knows it", n.segment);
    const std::string temp = temporary_segment_name(n.segment, fnv1a64(t));
    check(temp.size() == n.segment.size() + TEMP_SUFFIX && temp.compare(0, n.segment.size(), n.segment) == 0 &&
              is_segment_name(temp),
          "temporary name", temp);
    n.segment_cut = n.escaped.find('~') != std::string::npos;
    if (n.segment_cut) {
        check(n.escaped.size() == 161 && n.escaped[144] == '~' && n.escaped.find('~') == 144,
              "a cut escape is 144 bytes, '~' and 16 hex digits", n.escaped);
    } else {
        check(n.escaped == escape_topic(t), "an uncut segment name is the escape");
        const auto back = unescape_segment(n.escaped);
        check(back && *back == t, "an uncut escape decodes back to the topic", n.escaped);
    }
    for (char c : n.escaped)
        check((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                  c == '.' || c == '~',
              "segment name alphabet", n.escaped);

    n.dds = dds_escape_topic(t);
    for (char c : n.dds)
        check((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_',
              "DDS name alphabet", n.dds);
    const auto back = unescape_dds(n.dds);
    n.dds_cut = !(back && *back == t);
    if (n.dds_cut) check(n.dds.size() == 161, "only a cut DDS escape fails to decode", n.dds);
    check(n.dds.size() <= 161, "DDS escape length", std::to_string(n.dds.size()));
    return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    smx::fuzz::Input in(data, size);
    const int domain = in.u16() % 1000;
    std::size_t len_a = in.u8();
    if (len_a == 255) len_a += in.u8();
    const std::string a = in.bytes(len_a);
    const auto rest = in.rest();
    const std::string b(rest.begin(), rest.end());

    check(fnv1a64("") == 0xcbf29ce484222325ull, "FNV-1a-64 of nothing is its offset basis");
    std::optional<Names> names_a, names_b;
    for (const std::string* t : {&a, &b}) {
        // escape_topic() is total and injective on any bytes, valid topic or not.
        const auto back = unescape_segment(escape_topic(*t));
        check(back && *back == *t, "escape_topic() decodes back");
        bool valid = true;
        try {
            validate_topic(*t);
        } catch (const smx::InvalidArgument&) {
            valid = false;
        }
        check(valid == documented_valid(*t), "validate_topic() accepts exactly the documented topics");
        try {
            const Names n = names_of(domain, *t);
            check(valid, "segment_name() of an invalid topic");
            (t == &a ? names_a : names_b) = n;
        } catch (const smx::InvalidArgument&) {
            check(!valid, "segment_name() refused a valid topic");
        }
    }
    if (names_a && names_b && a != b) {
        // Injective while uncut; cut names carry a 64-bit hash of the whole topic (a collision
        // there is detected on attach: the header holds the full topic).
        if (!names_a->segment_cut || !names_b->segment_cut)
            check(names_a->segment != names_b->segment, "two topics, one segment name", a + " / " + b);
        if (!names_a->dds_cut || !names_b->dds_cut) check(names_a->dds != names_b->dds, "two topics, one DDS name");
    }
    return 0;
}
