// Fuzz target: a DDS info sample as it arrives, without a DDS domain. The bytes
// are a serialized payload (4-byte CDR encapsulation header, then the data) that go the way
// Cyclone DDS takes a received sample: the encapsulation picks byte order and XCDR version,
// dds_stream_normalize_data validates (and byte-swaps) it, dds_stream_read turns it into the
// IDL-generated struct; an info then becomes a SessionInfo (session_info_from_wire). Any bytes
// are either refused by the normalizer or give a SessionInfo that says what the sample said.
// (Notices are not fuzzed: no smx reader takes them, so no smx code turns one into anything.)

#include "fuzz_support.hpp"

#include "dds/wire.hpp"
#include "smx_wire.h"

#include <dds/dds.h>
#include <dds/ddsi/ddsi_cdrstream.h>
#include <dds/ddsi/ddsi_sertype.h>
#include <dds/ddsi/q_protocol.h>

#include <cstring>

namespace {

using smx::fuzz::check;

// A received payload is at most what one sample can be; more is not worth the fuzzer's time.
constexpr std::size_t MAX_PAYLOAD = 1u << 20;

std::string str_or_empty(const char* s) { return s ? s : ""; }

void check_info(const smx_wire_Info& s) {
    const smx::detail::SessionInfo info = smx::detail::session_info_from_wire(s);
    check(info.session == s.session && info.pid == s.pid && info.slot_count == s.slot_count &&
              info.reader_capacity == s.reader_capacity && info.layout_version == s.layout_version &&
              info.frame_size == s.frame_size && info.schema_hash == s.schema_hash,
          "the info's numbers carried over");
    check(info.host == str_or_empty(s.host) && info.topic == str_or_empty(s.topic) &&
              info.shm_name == str_or_empty(s.shm_name),
          "the info's strings carried over");
    check(info.fields.size() == s.fields._length, "every field carried over");
    for (std::size_t i = 0; i < info.fields.size(); ++i) {
        const smx_wire_FieldInfo& f = s.fields._buffer[i];
        const smx::detail::FieldDescription& d = info.fields[i];
        check(d.name == str_or_empty(f.name) && d.dtype == str_or_empty(f.dtype) && d.offset == f.offset &&
                  d.shape.size() == f.shape._length &&
                  (f.shape._length == 0 || std::memcmp(d.shape.data(), f.shape._buffer, f.shape._length * 8) == 0),
              "a field carried over");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 4 || size - 4 > MAX_PAYLOAD) return 0;
    // The encapsulation header: identifier as it is on the wire (compared raw, as Cyclone
    // does), options big-endian, whose low two bits count padding bytes at the end.
    std::uint16_t identifier = 0;
    std::memcpy(&identifier, data, 2);
    const std::uint32_t pad = static_cast<std::uint32_t>((data[2] << 8) | data[3]) & 3u;
    if (!CDR_ENC_IS_VALID(identifier)) return 0;
    const bool bswap = !CDR_ENC_IS_NATIVE(identifier);
    identifier = static_cast<std::uint16_t>(CDR_ENC_TO_NATIVE(identifier));
    // Cyclone drops encapsulations without an XCDR version (PL_CDR) before asking for the format
    // (ddsi_sertype_enc_id_enc_format aborts on them); Info is @final: plain CDR only.
    const std::uint32_t xcdr = ddsi_sertype_enc_id_xcdr_version(identifier);
    if (xcdr == CDR_ENC_VERSION_UNDEF) return 0;
    if (ddsi_sertype_enc_id_enc_format(identifier) != CDR_ENC_FORMAT_PLAIN) return 0;
    if (size - 4 < pad) return 0;
    const auto payload_size = static_cast<std::uint32_t>(size - 4 - pad);

    // Cyclone normalizes in place, in an 8-byte aligned buffer of its own.
    std::vector<std::uint64_t> buffer(payload_size / 8 + 1);
    std::memcpy(buffer.data(), data + 4, payload_size);
    char* bytes = reinterpret_cast<char*>(buffer.data());

    const dds_topic_descriptor_t& desc = smx_wire_Info_desc;
    std::uint32_t end = 0;
    if (!dds_stream_normalize_data(bytes, &end, payload_size, bswap, xcdr, desc.m_ops)) return 0;
    check(end <= payload_size, "the normalizer stays inside the payload");

    dds_istream_t is;
    dds_istream_init(&is, end, bytes, xcdr);
    smx_wire_Info sample{};
    dds_stream_read(&is, reinterpret_cast<char*>(&sample), desc.m_ops);
    check_info(sample);
    dds_stream_free_sample(&sample, desc.m_ops);
    dds_istream_fini(&is);
    return 0;
}
