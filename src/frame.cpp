#include <smx/frame.hpp>

#include "frame_store.hpp"
#include "shm/seqlock_copy.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

namespace smx {

Frame::Frame(std::shared_ptr<detail::FrameStore> store, const FrameInfo& info, bool pinned, bool holds) noexcept
    : m_store(std::move(store)), m_info(info), m_pinned(pinned), m_holds(holds) {}

Frame::Frame(Frame&& o) noexcept
    : m_store(std::move(o.m_store)), m_info(o.m_info), m_pinned(o.m_pinned), m_holds(o.m_holds) {
    o.m_pinned = false;
    o.m_holds = false;
}

Frame& Frame::operator=(Frame&& o) noexcept {
    if (this != &o) {
        release();
        m_store = std::move(o.m_store);
        m_info = o.m_info;
        m_pinned = o.m_pinned;
        m_holds = o.m_holds;
        o.m_pinned = false;
        o.m_holds = false;
    }
    return *this;
}

Frame::~Frame() { release(); }

const Schema& Frame::schema() const { return store().schema(); }

detail::FrameStore& Frame::store() const {
    if (!m_store) throw Closed("frame was moved from");
    return *m_store;
}

// A pin guarantees its frame unless the writer broke it after its pin lease (slots.hpp): the
// seq is checked for pinned frames too, so a broken pin reads as changed.
bool Frame::valid() const noexcept {
    if (!m_store) return false;
    const bool ok = m_store->unchanged(m_info.slot, m_info.seq);
    if (!ok) m_store->counters().torn_views.fetch_add(1, std::memory_order_relaxed);
    return ok;
}

void Frame::release() noexcept {
    if (m_holds && m_store) m_store->unpin(m_info.slot);
    m_pinned = false;
    m_holds = false;
}

Transport Frame::transport() const { return store().transport(); }

const void* Frame::data(std::size_t index) const {
    const Schema& s = schema();
    if (index >= s.size())
        throw InvalidArgument("field index " + std::to_string(index) + " is out of range (schema has " +
                              std::to_string(s.size()) + " fields)");
    return m_store->data(m_info.slot) + s.offset(index);
}

std::uint64_t Frame::length(std::size_t index) const {
    const Schema& s = schema();
    const Field& f = s[index];
    if (!f.bounded) return f.shape.ndim() == 0 ? 1 : f.shape[0];
    // The writer may be storing it right now (an unpinned view): one aligned 8-byte load.
    const auto* word = reinterpret_cast<const std::uint64_t*>(m_store->data(m_info.slot) + s.length_offset(index));
    return std::min<std::uint64_t>(__atomic_load_n(word, __ATOMIC_RELAXED), f.shape[0]);
}

Shape Frame::shape(std::size_t index) const {
    const Field& f = schema()[index];
    if (!f.bounded) return f.shape;
    return f.shape.with_dim(0, length(index));
}

std::size_t Frame::checked_index(std::string_view name, DType dtype) const {
    const Schema& s = schema();
    const Field& f = s.field(name);
    if (!(f.dtype == dtype))
        throw InvalidArgument("field '" + f.name + "' has dtype " + f.dtype.typestr() + ", not " + dtype.typestr());
    return static_cast<std::size_t>(s.index_of(name));
}

bool Frame::copy_into(std::byte* dst, std::size_t dst_size) const {
    const std::uint64_t size = schema().frame_size();
    if (dst_size < size)
        throw InvalidArgument("copy_into: buffer of " + std::to_string(dst_size) + " bytes is smaller than a frame (" +
                              std::to_string(size) + " bytes)");
    detail::seqlock_copy(dst, store().data(m_info.slot), size);
    return m_store->unchanged(m_info.slot, m_info.seq);
}

bool Frame::copy_field_into(std::size_t index, std::byte* dst, std::size_t dst_size, std::uint64_t& rows) const {
    const Field& f = schema()[index];
    if (dst_size != f.nbytes())
        throw InvalidArgument("copy_field_into: field '" + f.name + "' has " + std::to_string(f.nbytes()) +
                              " bytes, the buffer " + std::to_string(dst_size));
    // The length read once: the rows copied are the rows reported, whatever a writer stores meanwhile.
    rows = length(index);
    const std::uint64_t n = f.bounded ? rows * f.row_bytes() : f.nbytes();
    detail::seqlock_copy(dst, static_cast<const std::byte*>(data(index)), n);
    return m_store->unchanged(m_info.slot, m_info.seq);
}

}  // namespace smx
