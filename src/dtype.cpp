#include <smx/dtype.hpp>
#include <smx/error.hpp>

#include <array>

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
}  // namespace

DType DType::parse(std::string_view typestr) {
    if (const Entry* e = find(typestr)) return DType(e->kind);
    std::string accepted;
    for (const Entry& e : TABLE) accepted += std::string(accepted.empty() ? "" : " ") + e.typestr;
    throw InvalidArgument("unsupported dtype '" + std::string(typestr) +
                          "': use a little-endian fixed-size numeric numpy typestr (" + accepted + ")");
}

bool DType::is_valid(std::string_view typestr) noexcept { return find(typestr) != nullptr; }

const char* DType::typestr() const noexcept { return TABLE[static_cast<std::size_t>(m_kind)].typestr; }

std::size_t DType::itemsize() const noexcept { return TABLE[static_cast<std::size_t>(m_kind)].itemsize; }

}  // namespace smx
