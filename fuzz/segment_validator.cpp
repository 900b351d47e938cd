// Fuzz target: the segment validator (Segment::inspect, Segment::attach, smx::inspect_topic).
// Whatever a file at a segment's name holds, and whatever its size, attaching or inspecting
// it yields a validated segment, nullptr, or an smx::Error — never a crash, and a validated
// segment's layout is the one its header and file size promise.
//
// Input: flags (1 byte), a size (4 bytes, little-endian; used when SIZE is set), then the
// file's contents. The contents are written into a fresh shm object of this process; its size
// is then set with ftruncate (the contents cut, or extended: with holes under SPARSE, else
// allocated as a writer would).

#include "fuzz_support.hpp"

#include "names.hpp"
#include "shm/layout.hpp"
#include "shm/segment.hpp"
#include "shm/slots.hpp"

#include <smx/error.hpp>
#include <smx/inspect.hpp>

#include <cstddef>

namespace {

using namespace smx::detail;
using smx::fuzz::check;

enum Flag : std::uint8_t {
    OWN_TOPIC = 1,    // the header names this process's topic: the file sits at that topic's name
    SPARSE = 2,       // pages of zeros are left as holes
    SIZE = 4,         // the file size is the input's size field, not the contents' length
    WRONG_TOPIC = 8,  // attach for another topic than the header's
};

constexpr std::uint64_t MAX_FILE = 16u << 20;  // attaching maps (and pre-faults) the whole file
constexpr int DOMAIN = 230;                    // the highest domain: out of the way of tests' 0

// The header's topic as a C string, if the contents reach that far (attach's topic argument).
std::string header_topic(const std::vector<std::uint8_t>& contents) {
    constexpr std::size_t at = offsetof(SegmentHeader, topic);
    if (contents.size() <= at) return {};
    const char* p = reinterpret_cast<const char*>(contents.data() + at);
    const std::size_t max = std::min<std::size_t>(sizeof(SegmentHeader::topic), contents.size() - at);
    return std::string(p, strnlen(p, max));
}

// Writes `value` over the contents at `offset`, as far as they reach.
void patch(std::vector<std::uint8_t>& contents, std::size_t offset, const void* value, std::size_t n) {
    if (offset >= contents.size()) return;
    std::memcpy(contents.data() + offset, value, std::min(n, contents.size() - offset));
}

// What a validated segment promises, checked against the file it came from.
void check_validated(const Segment& seg, std::uint64_t file_size) {
    const SegmentHeader& h = seg.header();
    check(h.segment_size == file_size, "a validated segment's size is the file's");
    check(seg.slot_count() >= 2 && seg.slot_count() <= MAX_SLOTS, "slot count in range");
    check(seg.reader_capacity() >= 1 && seg.reader_capacity() <= MAX_READERS, "reader capacity in range");
    const smx::Schema& schema = *seg.schema();
    check(schema.size() == h.field_count, "the schema has the header's fields");
    check(schema.frame_size() <= h.slot_stride, "a frame fits its slot");
    check(h.payload_offset + seg.slot_count() * h.slot_stride == file_size, "the slots end at the end of the file");
    check(h.reader_table_offset + seg.reader_capacity() * h.reader_stride <= h.payload_offset,
          "the reader table ends before the payload");
    // What tools read of it: every slot and registration (hostile values, in bounds).
    (void)SlotReader(seg).newest();
    (void)SlotReader(seg).oldest_after(0);
    for (const RegistrationSnapshot& r : registrations(seg)) (void)r;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    smx::fuzz::remove_stale_objects();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    smx::fuzz::Input in(data, size);
    const std::uint8_t flags = in.u8();
    const std::uint32_t size_field = in.u32();
    std::vector<std::uint8_t> contents = in.rest();

    const std::string own_topic = smx::fuzz::process_tag();
    std::string name, topic;
    if (flags & OWN_TOPIC) {
        // inspect() requires the name that the header's domain and topic give; this process's
        // topic in the highest domain keeps that name unique to it.
        char field[sizeof(SegmentHeader::topic)] = {};
        std::memcpy(field, own_topic.data(), own_topic.size());
        patch(contents, offsetof(SegmentHeader, topic), field, sizeof field);
        const std::uint32_t domain = DOMAIN;
        patch(contents, offsetof(SegmentHeader, domain_id), &domain, sizeof domain);
        name = segment_name(DOMAIN, own_topic);
        topic = own_topic;
    } else {
        name = "/" + own_topic + "-segment";
        topic = header_topic(contents);
    }
    if (flags & WRONG_TOPIC) topic += "~";
    const std::uint64_t file_size = (flags & SIZE) ? size_field % (MAX_FILE + 1) : contents.size();
    if (file_size > MAX_FILE) return 0;

    const smx::fuzz::ShmFile file(name, contents, file_size, (flags & SPARSE) != 0);
    if (!file.ok()) return 0;

    using smx::fuzz::note;
    try {
        if (const auto seg = Segment::inspect(name)) {
            check(!(flags & OWN_TOPIC) || seg->header().topic == own_topic, "inspect took the header's topic");
            check_validated(*seg, file_size);
            note("inspect: validated");
        }
    } catch (const smx::Error& e) {
        note(std::string("inspect: ") + e.what());
    }
    try {
        if (!topic.empty())
            if (const auto seg = Segment::attach(name, topic)) {
                check(seg->header().topic == topic, "attach checked the topic");
                check_validated(*seg, file_size);
                note("attach: validated");
            }
    } catch (const smx::Error& e) {
        note(std::string("attach: ") + e.what());
    }
    if (flags & OWN_TOPIC) {
        // The tools' view: never throws for what is in the file (it reports it in `error`).
        const auto info = smx::inspect_topic(DOMAIN, own_topic);
        check(info.has_value(), "inspect_topic finds the file");
        check(info->error.empty() != info->error_code.has_value(), "error and error_code agree");
        if (info->error.empty()) check(info->schema.has_value() && info->size_bytes == file_size, "a listed segment");
        note("inspect_topic: " + (info->error.empty() ? "validated" : info->error));
    }
    return 0;
}
