#pragma once
/// @file frame.hpp
/// A frame as a reader sees it: zero-copy views into the writer's slot, with a way to know
/// whether the slot is still unchanged (`valid()`), a consistent copy (`copy_into`), and an
/// optional pin that keeps the slot unchanged until released.

#include <smx/array.hpp>
#include <smx/error.hpp>
#include <smx/export.hpp>
#include <smx/schema.hpp>
#include <smx/span.hpp>

#include <cstdint>
#include <memory>
#include <string_view>

namespace smx {

namespace detail {
class FrameStore;
}

/// How a frame reached this reader.
enum class Transport {
    shm,  ///< zero copy from the writer's shared segment (same host, same /dev/shm)
    dds   ///< received whole over DDS into the reader's own buffer (docs/design.md, "The network path")
};

/// Where and when a frame was written.
struct FrameInfo {
    std::uint64_t session = 0;       ///< writer session that wrote it
    std::uint64_t frame_number = 0;  ///< 1, 2, 3 ... per session
    std::int64_t timestamp_ns = 0;   ///< CLOCK_REALTIME at the start of the writer's call
    std::uint32_t slot = 0;          ///< slot index in the segment (remote: the reader's buffer)
    std::uint64_t seq = 0;           ///< the slot's sequence value for this frame
};

/// A frame in shared memory, held by a reader. Move-only.
///
/// Views returned by `field()` point straight into the writer's slot (read-only pages).
/// Unless the frame is pinned, the writer may reuse the slot after the frame was published;
/// `valid()` tells whether that has happened yet. Check it *after* using the data: a frame
/// whose `valid()` is true after processing was processed consistently.
class SMX_EXPORT Frame {
public:
    Frame(Frame&&) noexcept;
    Frame& operator=(Frame&&) noexcept;
    Frame(const Frame&) = delete;
    Frame& operator=(const Frame&) = delete;
    /// Releases the pin, if any.
    ~Frame();

    const FrameInfo& info() const noexcept { return m_info; }
    std::uint64_t frame_number() const noexcept { return m_info.frame_number; }
    std::int64_t timestamp_ns() const noexcept { return m_info.timestamp_ns; }
    /// Throws Closed on a moved-from frame (as do field, data, bytes and the copies; valid()
    /// is false and release() a no-op there).
    const Schema& schema() const;

    /// True while the slot still holds this frame: true while pinned — unless the writer broke
    /// the pin after its pin lease (WriterOptions::pin_lease) — and for a frame received over
    /// the network (it is in the reader's own buffer, kept until the Frame goes). A false result
    /// is counted in the reader's `torn_views` statistic.
    bool valid() const noexcept;
    /// True if this frame holds a pin (see Reader::latest with Hold::pin).
    bool pinned() const noexcept { return m_pinned; }
    /// Gives the pin back early; afterwards the frame is an ordinary view (a frame received over
    /// the network then no longer keeps its buffer: valid() tells when it was reused).
    void release() noexcept;
    /// How the frame reached this reader: Transport::shm or Transport::dds. Throws Closed on a
    /// moved-from frame.
    Transport transport() const;

    /// Zero-copy typed view of a field (of a bounded field, its live rows). Throws
    /// InvalidArgument if the name is unknown or T does not match the field's dtype.
    template <class T>
    ArrayView<const T> field(std::string_view name) const {
        const std::size_t i = checked_index(name, dtype_of<T>());
        return ArrayView<const T>(static_cast<const T*>(data(i)), shape(i));
    }
    /// Address of field `index` in the slot.
    const void* data(std::size_t index) const;
    /// The live rows of bounded field `index` (shape[0] of any other field with a dimension, 1 for
    /// shape ()). Never more than the capacity: a length beyond it (a forged segment) reads as
    /// the capacity. Unless the frame is pinned, check valid() after using it, as for the data.
    std::uint64_t length(std::size_t index) const;
    /// The shape of field `index` in this frame: the schema's, with a bounded field's first
    /// dimension set to its live length.
    Shape shape(std::size_t index) const;
    /// Bytes of field `index` in the slot (a bounded field's live rows).
    span<const std::byte> bytes(std::size_t index) const {
        const Field& f = schema()[index];
        const std::uint64_t n = f.bounded ? length(index) * f.row_bytes() : f.nbytes();
        return {static_cast<const std::byte*>(data(index)), static_cast<std::size_t>(n)};
    }

    /// Copies the whole frame (schema().frame_size() bytes, the slot layout) into `dst` and
    /// returns true if the copy is consistent. Throws InvalidArgument if `dst` is too small.
    [[nodiscard]] bool copy_into(span<std::byte> dst) const { return copy_into(dst.data(), dst.size()); }
    /// The same into `size` bytes at `dst`.
    [[nodiscard]] bool copy_into(std::byte* dst, std::size_t size) const;
    /// Copies one field into `dst`, which must hold exactly the field's nbytes(), and returns
    /// true if consistent. Of a bounded field only the live rows are copied (the rest of `dst` is
    /// left alone); the overloads with `rows` say how many (length() for any other field).
    [[nodiscard]] bool copy_field_into(std::size_t index, span<std::byte> dst) const {
        std::uint64_t rows = 0;
        return copy_field_into(index, dst.data(), dst.size(), rows);
    }
    [[nodiscard]] bool copy_field_into(std::size_t index, span<std::byte> dst, std::uint64_t& rows) const {
        return copy_field_into(index, dst.data(), dst.size(), rows);
    }
    /// The same into `size` bytes at `dst`.
    [[nodiscard]] bool copy_field_into(std::size_t index, std::byte* dst, std::size_t size) const {
        std::uint64_t rows = 0;
        return copy_field_into(index, dst, size, rows);
    }
    [[nodiscard]] bool copy_field_into(std::size_t index, std::byte* dst, std::size_t size, std::uint64_t& rows) const;

    /// Internal: built by Reader. `holds`: the frame keeps its slot (a pin, or a remote view).
    Frame(std::shared_ptr<detail::FrameStore> store, const FrameInfo& info, bool pinned, bool holds) noexcept;

private:
    std::size_t checked_index(std::string_view name, DType dtype) const;
    detail::FrameStore& store() const;  // throws Closed when moved from

    std::shared_ptr<detail::FrameStore> m_store;
    FrameInfo m_info;
    bool m_pinned = false;
    bool m_holds = false;  // unpinned on release(): a pin, or a remote view
};

}  // namespace smx
