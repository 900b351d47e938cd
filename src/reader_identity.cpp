#include "reader_identity.hpp"

#include "names.hpp"
#include "shm/process.hpp"

#include <algorithm>
#include <charconv>
#include <unistd.h>

namespace smx::detail {

namespace {

std::string encode_value(std::string_view value) {
    std::string out;
    for (unsigned char c : value.substr(0, MAX_IDENTITY_VALUE_BYTES)) {
        if (c > ' ' && c <= '~' && c != '%') out += static_cast<char>(c);
        else append_hex_escape(out, "%", c);
    }
    return out;
}

// nullopt for a bad escape or a decoded byte that is not printable.
std::optional<std::string> decode_value(std::string_view value) {
    std::string out;
    for (std::size_t i = 0; i < value.size(); ++i) {
        char c = value[i];
        if (c == '%') {
            if (i + 2 >= value.size()) return std::nullopt;
            const int hi = hex_digit_value(value[i + 1]), lo = hex_digit_value(value[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            c = static_cast<char>(hi * 16 + lo);
            i += 2;
        }
        if (c < ' ' || c > '~') return std::nullopt;
        out += c;
    }
    return out;
}

std::optional<std::int64_t> parse_pid(std::string_view text) {
    std::int64_t pid = 0;
    if (text.empty() || text.size() > 10 || text.front() == '0') return std::nullopt;
    for (char c : text)
        if (c < '0' || c > '9') return std::nullopt;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
    if (ec != std::errc() || end != text.data() + text.size() || pid < 1 || pid > 0x7fffffff) return std::nullopt;
    return pid;
}

// One "key=value" word into `id`; false if it makes the text no identity.
bool take_word(std::string_view word, ReaderIdentity& id, bool& have_pid) {
    const std::size_t eq = word.find('=');
    if (eq == std::string_view::npos || eq == 0) return false;
    const std::string_view key = word.substr(0, eq);
    const std::optional<std::string> value = decode_value(word.substr(eq + 1));
    if (!value) return false;
    if (key == "host") {
        if (!id.host.empty() || value->empty()) return false;
        id.host = *value;
    } else if (key == "machine") {
        if (!id.machine.empty() || value->empty()) return false;
        id.machine = *value;
    } else if (key == "pid") {
        const auto pid = parse_pid(*value);
        if (have_pid || !pid) return false;
        id.pid = *pid;
        have_pid = true;
    }
    return true;  // another key: a later version's, ignored
}

}  // namespace

ReaderIdentity this_reader_identity() { return {host_name(), static_cast<std::int64_t>(::getpid()), machine_id()}; }

std::string format_reader_identity(const ReaderIdentity& identity) {
    return std::string(READER_IDENTITY_PREFIX) + " host=" + encode_value(identity.host) +
           " pid=" + std::to_string(identity.pid) + " machine=" + encode_value(identity.machine);
}

std::optional<ReaderIdentity> parse_reader_identity(std::span<const std::byte> user_data) noexcept {
    try {
        if (user_data.empty() || user_data.size() > MAX_READER_IDENTITY_BYTES) return std::nullopt;
        const std::string_view text(reinterpret_cast<const char*>(user_data.data()), user_data.size());
        if (text.substr(0, READER_IDENTITY_PREFIX.size()) != READER_IDENTITY_PREFIX) return std::nullopt;
        std::string_view rest = text.substr(READER_IDENTITY_PREFIX.size());
        ReaderIdentity id;
        bool have_pid = false;
        // Words separated by exactly one space: "smx-readerX", a trailing or double space are not ours.
        while (!rest.empty()) {
            if (rest.front() != ' ') return std::nullopt;
            rest.remove_prefix(1);
            const std::size_t end = rest.find(' ');
            if (!take_word(rest.substr(0, end), id, have_pid)) return std::nullopt;
            rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
        }
        if (id.host.empty() || id.machine.empty() || !have_pid) return std::nullopt;
        return id;
    } catch (...) {  // std::bad_alloc: not worth a crash in a tool
        return std::nullopt;
    }
}

std::string display_bytes(std::span<const std::byte> bytes, std::size_t max_bytes) {
    std::string out;
    const std::size_t shown = std::min(bytes.size(), max_bytes);
    for (std::size_t i = 0; i < shown; ++i) {
        const auto c = static_cast<unsigned char>(bytes[i]);
        if (c == '\\' || c == '"') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c >= ' ' && c <= '~') {
            out += static_cast<char>(c);
        } else {
            append_hex_escape(out, "\\x", c);
        }
    }
    if (bytes.size() > shown) out += "...";
    return out;
}

}  // namespace smx::detail
