// Writes the seed inputs of the fuzz targets (fuzz/corpus/<target>/seed-*): real segments made
// by Segment::create and cut in various ways, schemas, topics, serialized info samples, and
// reader scenarios. Run once after changing an input format:
//
//     cmake --build build --target smx_fuzz_seeds && build/fuzz/smx_fuzz_seeds fuzz/corpus
//
// The seeds are deterministic (pids, times and host in the dumped headers are fixed).

#include "dds/wire.hpp"
#include "names.hpp"
#include "shm/layout.hpp"
#include "shm/segment.hpp"
#include "smx_wire.h"

#include <dds/ddsi/ddsi_cdrstream.h>

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

using namespace smx;
using namespace smx::detail;
using Bytes = std::vector<std::uint8_t>;
using K = DType::Kind;

// The encoding fuzz_support.hpp's Input reads.
struct Out {
    Bytes b;
    Out& u8(std::uint64_t v) { b.push_back(static_cast<std::uint8_t>(v)); return *this; }
    Out& u16(std::uint64_t v) { return u8(v).u8(v >> 8); }
    Out& u32(std::uint64_t v) { return u16(v).u16(v >> 16); }
    Out& u64(std::uint64_t v) { return u32(v).u32(v >> 32); }
    Out& raw(const void* p, std::size_t n) {
        const auto* c = static_cast<const std::uint8_t*>(p);
        b.insert(b.end(), c, c + n);
        return *this;
    }
    Out& raw(const std::string& s) { return raw(s.data(), s.size()); }
    Out& str(const std::string& s) { return u8(s.size()).raw(s); }
};

std::filesystem::path g_root;

void write(const std::string& target, const std::string& name, const Bytes& bytes) {
    const auto dir = g_root / target;
    std::filesystem::create_directories(dir);
    std::ofstream(dir / ("seed-" + name), std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                                   static_cast<std::streamsize>(bytes.size()));
}

// ---- segment_validator: flags, size, contents ---------------------------------------------

Bytes dump_segment(const Schema& schema, std::uint32_t slots, std::uint32_t readers) {
    SegmentConfig c;
    c.domain_id = 230;
    c.topic = "smx-fuzz-seed-" + std::to_string(::getpid());
    c.slots = slots;
    c.reader_capacity = readers;
    c.session = 0x5eed;
    auto seg = Segment::create(c, schema);
    std::ifstream in(std::string(shm_directory()) + seg->name(), std::ios::binary);
    Bytes bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    auto& h = *reinterpret_cast<SegmentHeader*>(bytes.data());
    h.writer_pid = 1;
    h.writer_start_time = 0;
    h.creation_time_ns = 0;
    std::memset(h.host, 0, sizeof h.host);
    std::strcpy(h.host, "seed-host");
    std::memset(h.topic, 0, sizeof h.topic);
    std::strcpy(h.topic, "camera");
    return bytes;
}

Bytes segment_input(std::uint8_t flags, std::uint32_t size, const Bytes& contents) {
    Out o;
    o.u8(flags).u32(size).raw(contents.data(), contents.size());
    return o.b;
}

// The contents up to their last non-zero byte: with SIZE, the rest of the file is a hole that
// reads as zeros, so a seed of ~1 KB stands for a whole segment.
Bytes trimmed(const Bytes& contents) {
    std::size_t n = contents.size();
    while (n > 0 && contents[n - 1] == 0) --n;
    return Bytes(contents.begin(), contents.begin() + static_cast<std::ptrdiff_t>(n));
}

void segment_seeds() {
    enum { OWN_TOPIC = 1, SPARSE = 2, SIZE = 4, WRONG_TOPIC = 8 };
    const Bytes small = dump_segment(Schema{{"a", K::i4, {4}}, {"b", K::f4, {2, 3}}}, 2, 1);
    const Bytes wide = dump_segment(Schema{{"color", K::u1, {4, 8, 3}}, {"depth", K::u2, {4, 8}},
                                           {"pose", K::f8, {7}}, {"flags", K::b1, {1}}, {"z", K::c16, {2}}},
                                    3, 64);
    const auto& h = *reinterpret_cast<const SegmentHeader*>(small.data());
    const auto size = static_cast<std::uint32_t>(small.size());
    const Bytes head = trimmed(small);
    // One whole dump, so that inputs may reach the slot and reader tables; the rest trimmed.
    write("segment_validator", "valid-whole", segment_input(OWN_TOPIC, 0, small));
    write("segment_validator", "valid", segment_input(SIZE, size, head));
    write("segment_validator", "valid-own-topic", segment_input(OWN_TOPIC | SIZE, size, head));
    write("segment_validator", "valid-own-topic-sparse", segment_input(OWN_TOPIC | SPARSE | SIZE, size, head));
    write("segment_validator", "valid-wrong-topic", segment_input(WRONG_TOPIC | SIZE, size, head));
    write("segment_validator", "wide-own-topic",
          segment_input(OWN_TOPIC | SIZE, static_cast<std::uint32_t>(wide.size()), trimmed(wide)));
    write("segment_validator", "oversized", segment_input(OWN_TOPIC | SIZE, size + 4096, head));
    write("segment_validator", "truncated-payload", segment_input(OWN_TOPIC | SIZE, size - 4096, head));
    write("segment_validator", "truncated-to-control",
          segment_input(OWN_TOPIC | SIZE, static_cast<std::uint32_t>(h.payload_offset), head));
    write("segment_validator", "truncated-header",
          segment_input(OWN_TOPIC | SIZE, static_cast<std::uint32_t>(sizeof(SegmentHeader) - 1), head));
    write("segment_validator", "magic-only", segment_input(0, 0, Bytes(small.begin(), small.begin() + 8)));
    write("segment_validator", "empty", segment_input(0, 0, {}));
    write("segment_validator", "holes-only", segment_input(OWN_TOPIC | SIZE, size, {}));
}

// ---- schema: A's fields, how B is made, B, slots, readers -------------------------------

void field(Out& o, const std::string& name, const std::string& dtype, std::initializer_list<std::uint64_t> dims) {
    o.str(name).str(dtype).u8(dims.size());
    for (std::uint64_t d : dims) {
        if (d < 0x80) o.u8(d);
        else o.u8(0x80).u64(d);
    }
}

void schema_seeds() {
    {
        Out o;
        o.u8(2);
        field(o, "color", "|u1", {480, 848, 3});
        field(o, "depth", "<u2", {480, 848});
        o.u8(1).u8(0).u8(1);  // B: A with fields 0 and 1 swapped
        o.u32(3).u32(64);
        write("schema", "rgbd-swapped", o.b);
    }
    {
        Out o;
        const char* all[] = {"|b1", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8", "<f2", "<f4", "<f8", "<c8", "<c16"};
        o.u8(14);
        for (int i = 0; i < 14; ++i) field(o, "f" + std::to_string(i), all[i], {static_cast<std::uint64_t>(i + 1)});
        o.u8(2).u8(3).u8(0).u8(9);  // B: a dim of field 3 changed to 9
        o.u32(1024).u32(4096);
        write("schema", "every-dtype", o.b);
    }
    {
        Out o;
        o.u8(64);
        for (int i = 0; i < 64; ++i) field(o, "n" + std::to_string(i) + ":;", "=u2", {1, 2, 3, 4, 5, 6, 7, 8});
        o.u8(4).u8(63).u8(0);  // B: the last field dropped
        o.u32(2).u32(1);
        write("schema", "64-fields", o.b);
    }
    {
        Out o;
        o.u8(1);
        field(o, "huge", "<c16", {1ull << 20, 1ull << 20});
        o.u8(0);  // B: independent
        o.u8(1);
        field(o, "a b", ">u2", {0});
        write("schema", "limits", o.b);
    }
}

// ---- names: domain, length of A, A, B ----------------------------------------------------

void name_seeds() {
    auto input = [](std::uint16_t domain, const std::string& a, const std::string& b) {
        Out o;
        o.u16(domain);
        if (a.size() >= 255) o.u8(255).u8(a.size() - 255);
        else o.u8(a.size());
        o.raw(a).raw(b);
        return o.b;
    };
    write("names", "plain", input(0, "camera", "camera/depth"));
    write("names", "escapes", input(7, "a.b c_d~e", "a.2eb c_d~e"));
    write("names", "long", input(230, std::string(300, 'x'), std::string(100, '.')));
    write("names", "control", input(1, std::string("tab\there"), std::string("\x7f", 1)));
    write("names", "utf8", input(42, "kamera/\xc3\xa9t\xc3\xa9", std::string(255, '_')));
}

// ---- info_sample: CDR encapsulation + serialized Info ---------------------------------------

Bytes serialize(const smx_wire_Info& s, bool big_endian, std::uint32_t xcdr) {
    Bytes out;
    // Encapsulation identifier on the wire (big-endian): CDR 0/1, CDR2 6/7 (+1 little-endian).
    const std::uint8_t id = static_cast<std::uint8_t>((xcdr == 2 ? 6 : 0) + (big_endian ? 0 : 1));
    const std::uint8_t* data = nullptr;
    std::size_t size = 0;
    dds_ostream_t os;
    dds_ostreamBE_t be;
    if (big_endian) {
        dds_ostreamBE_init(&be, 0, xcdr);
        dds_stream_writeBE(&be, reinterpret_cast<const char*>(&s), smx_wire_Info_desc.m_ops);
        data = be.x.m_buffer;
        size = be.x.m_index;
    } else {
        dds_ostream_init(&os, 0, xcdr);
        dds_stream_write(&os, reinterpret_cast<const char*>(&s), smx_wire_Info_desc.m_ops);
        data = os.m_buffer;
        size = os.m_index;
    }
    const std::uint8_t pad = static_cast<std::uint8_t>((4 - size % 4) % 4);
    out = {0, id, 0, pad};
    out.insert(out.end(), data, data + size);
    out.insert(out.end(), pad, 0);
    if (big_endian) dds_ostreamBE_fini(&be); else dds_ostream_fini(&os);
    return out;
}

void info_seeds() {
    std::uint64_t shape_a[] = {480, 848, 3}, shape_b[] = {480, 848};
    smx_wire_FieldInfo fields[2] = {};
    fields[0].name = const_cast<char*>("color");
    fields[0].dtype = const_cast<char*>("|u1");
    fields[0].shape = {3, 3, shape_a, false};
    fields[0].offset = 0;
    fields[1].name = const_cast<char*>("depth");
    fields[1].dtype = const_cast<char*>("<u2");
    fields[1].shape = {2, 2, shape_b, false};
    fields[1].offset = 1221120;
    smx_wire_Info s{};
    s.session = 0x0123456789abcdefull;
    s.host = const_cast<char*>("seed-host");
    s.pid = 4242;
    s.topic = const_cast<char*>("camera");
    s.shm_name = const_cast<char*>("/smx.0.camera");
    s.slot_count = 3;
    s.reader_capacity = 64;
    s.layout_version = LAYOUT_VERSION;
    s.frame_size = 2035200;
    s.schema_hash = 0xfeedfacecafebeefull;
    s.fields = {2, 2, fields, false};
    write("info_sample", "cdr-le", serialize(s, false, 1));
    write("info_sample", "cdr-be", serialize(s, true, 1));
    write("info_sample", "cdr2-le", serialize(s, false, 2));
    write("info_sample", "cdr2-be", serialize(s, true, 2));
    smx_wire_Info empty{};
    empty.host = empty.topic = empty.shm_name = const_cast<char*>("");
    write("info_sample", "empty-le", serialize(empty, false, 1));
}

// ---- reader_info: flags, infos, hostile writes, operations --------------------------------

enum { ABSENT = 1, TEMPLATE = 2, OTHER_TEMPLATE = 4 };
enum { OWN_SHM_NAME = 1, OWN_TOPIC = 2, OWN_HOST = 4, OWN_LAYOUT = 8 };
enum Op { LATEST_VIEW, LATEST_PIN, NEXT_VIEW, NEXT_PIN, COPY_LATEST, COPY_NEXT, COPY_SMALL, WAIT, WRITE, DROP, PUBLISH, USE };

// An info as the writer would announce it, except for the parts given.
void info(Out& o, std::uint8_t own, const std::string& value = {}, std::uint32_t layout = 0) {
    o.u8(own).u64(7).u32(1);
    if (own & OWN_HOST) o.str(value);
    if (own & OWN_TOPIC) o.str(value);
    if (own & OWN_SHM_NAME) o.str(value);
    if (own & OWN_LAYOUT) o.u32(layout);
    o.u32(3).u32(4).u64(256).u64(0).u8(1);
    o.str("a").str("<i4").u8(1).u64(4).u64(0);
}

// A hostile write: where (0: tables, 1: doorbell, 2: slot table, 3: header), offset, bytes.
void hostile(Out& o, std::uint8_t where, std::uint16_t at, const Bytes& bytes) {
    o.u8(where).u16(at).u8(bytes.size()).raw(bytes.data(), bytes.size());
}

Bytes le64(std::uint64_t v) {
    Bytes b(8);
    std::memcpy(b.data(), &v, 8);
    return b;
}

// Slot `slot` published frame `frame` with sequence `seq` (the slot table, written as a writer
// would): two hostile writes, each preceded by the WRITE operation if `as_ops`.
void publish(Out& o, std::uint16_t slot, std::uint64_t seq, std::uint64_t frame, bool as_ops) {
    if (as_ops) o.u8(WRITE);
    hostile(o, 2, static_cast<std::uint16_t>(slot * 64 + 8), le64(frame));
    if (as_ops) o.u8(WRITE);
    hostile(o, 2, static_cast<std::uint16_t>(slot * 64), le64(seq));
}

void reader_seeds() {
    {   // The writer's own info, two published frames, every kind of read.
        Out o;
        o.u8(0).u8(1);
        info(o, 0);
        o.u8(0);
        publish(o, 0, 2, 1, true);
        publish(o, 1, 2, 2, true);
        for (Op op : {LATEST_VIEW, LATEST_PIN, NEXT_VIEW, NEXT_PIN, COPY_LATEST, COPY_NEXT, COPY_SMALL, USE, DROP}) o.u8(op);
        write("reader_info", "published-frames", o.b);
    }
    {   // A frame published before the reader came, then written over while held.
        Out o;
        o.u8(TEMPLATE).u8(1);
        info(o, 0);
        o.u8(2);
        publish(o, 2, 4, 9, false);
        o.u8(LATEST_PIN).u8(LATEST_VIEW).u8(WRITE);
        hostile(o, 2, 2 * 64, le64(5));
        o.u8(USE).u8(NEXT_VIEW).u8(WAIT);
        write("reader_info", "overwritten-while-held", o.b);
    }
    {   // Forged infos: another segment name, another topic, another host, an old layout.
        Out o;
        o.u8(0).u8(3);
        info(o, OWN_SHM_NAME, "/smx.0.elsewhere");
        info(o, OWN_TOPIC, "other");
        info(o, OWN_LAYOUT, {}, 1);
        o.u8(0);
        o.u8(LATEST_VIEW).u8(WAIT).u8(LATEST_VIEW).u8(NEXT_PIN);
        write("reader_info", "forged-infos", o.b);
    }
    {   // A template that differs from the writer's schema.
        Out o;
        o.u8(TEMPLATE | OTHER_TEMPLATE).u8(1);
        info(o, 0);
        o.u8(0);
        o.u8(WAIT).u8(LATEST_VIEW).u8(COPY_LATEST);
        write("reader_info", "template-mismatch", o.b);
    }
    {   // The writer publishes while the reader pins, reads next and copies; a pin it cannot
        // overwrite, a registration of a dead process.
        Out o;
        o.u8(0).u8(1);
        info(o, 0);
        o.u8(1);
        hostile(o, 0, static_cast<std::uint16_t>(3 * 64 + 64), le64(999999999));  // registration 1: pid
        for (Op op : {PUBLISH, NEXT_PIN, PUBLISH, PUBLISH, NEXT_VIEW, PUBLISH, COPY_NEXT, PUBLISH, LATEST_PIN, PUBLISH,
                      PUBLISH, PUBLISH, USE, DROP, PUBLISH, NEXT_VIEW})
            o.u8(op);
        write("reader_info", "writer-publishes", o.b);
    }
    {   // No writer at the reader's topic.
        Out o;
        o.u8(ABSENT).u8(1);
        info(o, 0);
        o.u8(0);
        o.u8(WAIT).u8(LATEST_VIEW).u8(NEXT_VIEW);
        write("reader_info", "no-writer", o.b);
    }
    {   // The writer closes (writer_closed) while the reader holds a frame; registrations full.
        Out o;
        o.u8(0).u8(1);
        info(o, 0);
        o.u8(2);
        publish(o, 0, 2, 1, false);
        o.u8(LATEST_PIN).u8(WRITE);
        hostile(o, 1, 68, {1, 0, 0, 0});  // writer_closed (after pin_release_epoch's line and bell)
        o.u8(LATEST_VIEW).u8(NEXT_VIEW).u8(USE).u8(DROP).u8(WAIT);
        write("reader_info", "writer-closes", o.b);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CORPUS_ROOT (fuzz/corpus)\n", argv[0]);
        return 2;
    }
    g_root = argv[1];
    segment_seeds();
    schema_seeds();
    name_seeds();
    info_seeds();
    reader_seeds();
    std::printf("seeds written under %s\n", argv[1]);
    return 0;
}
