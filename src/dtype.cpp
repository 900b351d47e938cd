#include <smx/dtype.hpp>
#include <smx/error.hpp>

#include <array>
#include <optional>
#include <string>

namespace smx {

namespace {
struct Entry {
    DType::Kind kind;
    const char* typestr;
    std::size_t itemsize;
};
constexpr std::array<Entry, 14> TABLE{{
    {DType::Kind::b1, "|b1", 1},  {DType::Kind::i1, "|i1", 1},  {DType::Kind::u1, "|u1", 1},
    {DType::Kind::i2, "<i2", 2},  {DType::Kind::u2, "<u2", 2},  {DType::Kind::i4, "<i4", 4},
    {DType::Kind::u4, "<u4", 4},  {DType::Kind::i8, "<i8", 8},  {DType::Kind::u8, "<u8", 8},
    {DType::Kind::f2, "<f2", 2},  {DType::Kind::f4, "<f4", 4},  {DType::Kind::f8, "<f8", 8},
    {DType::Kind::c8, "<c8", 8},  {DType::Kind::c16, "<c16", 16},
}};

const Entry* find(std::string_view s) noexcept {
    for (const Entry& e : TABLE) {
        const std::string_view t = e.typestr;
        // numpy spells one-byte types with '|' but also accepts '<' or '=' for them.
        if (s == t || (e.itemsize == 1 && s.size() == 3 && (s[0] == '<' || s[0] == '=') && s.substr(1) == t.substr(1)) ||
            (s.size() == t.size() && s[0] == '=' && s.substr(1) == t.substr(1)))
            return &e;
    }
    return nullptr;
}

// "|S<n>" (numpy also spells it "<S<n>" and "=S<n>"), n = 1..MAX_STRING_BYTES in plain decimal.
std::optional<std::uint32_t> string_capacity(std::string_view s) noexcept {
    if (s.size() < 3 || s.size() > 7 || (s[0] != '|' && s[0] != '<' && s[0] != '=') || s[1] != 'S' || s[2] == '0')
        return std::nullopt;
    std::uint32_t n = 0;
    for (const char c : s.substr(2)) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (n < 1 || n > MAX_STRING_BYTES) return std::nullopt;
    return n;
}
}  // namespace

DType DType::string(std::size_t capacity) {
    if (capacity < 1 || capacity > MAX_STRING_BYTES)
        throw InvalidArgument("a string field holds 1.." + std::to_string(MAX_STRING_BYTES) + " bytes, not " +
                              std::to_string(capacity));
    return DType(Kind::S, static_cast<std::uint32_t>(capacity));
}

DType DType::parse(std::string_view typestr) {
    if (const Entry* e = find(typestr)) return DType(e->kind);
    if (const auto n = string_capacity(typestr)) return DType(Kind::S, *n);
    std::string accepted;
    for (const Entry& e : TABLE) accepted += std::string(accepted.empty() ? "" : " ") + e.typestr;
    throw InvalidArgument("unsupported dtype '" + std::string(typestr) +
                          "': use a little-endian fixed-size numeric numpy typestr (" + accepted +
                          ") or a byte string |S1..|S" + std::to_string(MAX_STRING_BYTES));
}

bool DType::is_valid(std::string_view typestr) noexcept {
    return find(typestr) != nullptr || string_capacity(typestr).has_value();
}

std::size_t DType::itemsize() const noexcept {
    return m_kind == Kind::S ? m_size : TABLE[static_cast<std::size_t>(m_kind)].itemsize;
}

namespace detail {
void throw_string_too_long(std::size_t capacity, std::string_view text) {
    const bool nul = text.size() <= capacity;
    std::string shown(text.substr(0, 40));
    for (char& c : shown)
        if (static_cast<unsigned char>(c) < 0x20) c = '?';
    throw InvalidArgument(nul ? "text '" + shown + (text.size() > 40 ? "...": "") +
                                    "' holds a NUL byte before its end, where readers would see the text end; remove it"
                              : "text '" + shown + "...' has " + std::to_string(text.size()) +
                                    " bytes; the string field holds at most " + std::to_string(capacity) +
                                    " (nothing is truncated: shorten it, or declare a longer field)");
}
}  // namespace detail

}  // namespace smx
