#pragma once
// The plain-DDS baselines of `smx bench`: a Cyclone DDS writer and reader of whole frames (one
// sample per frame, its bytes a sequence<octet>) or of tiny notice-sized samples (the "DDS
// floor"), with the QoS of smx's notice topic: reliable, transient-local, keep-last = slots.
//
// The participant is created with dds_create_participant(domain): in a process that already
// holds an smx::Participant of that domain, it joins the domain smx created, so the baseline
// uses smx's configuration (built-in loopback-only unless CYCLONEDDS_URI says otherwise).

#include "stamp.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace smx::baseline {

/// What one sample carries.
enum class SampleKind {
    frame,  ///< the whole frame (frame_number, timestamp, sequence<octet>)
    tiny,   ///< the fields of an smx notice only
};

class PlainDdsWriter {
public:
    /// `bytes` is the frame size (ignored for tiny samples); `depth` the keep-last history.
    /// Throws std::runtime_error naming the Cyclone error.
    PlainDdsWriter(int domain_id, const std::string& topic, SampleKind kind, std::size_t bytes, std::int32_t depth);
    ~PlainDdsWriter();
    PlainDdsWriter(const PlainDdsWriter&) = delete;
    PlainDdsWriter& operator=(const PlainDdsWriter&) = delete;

    /// The bytes every frame sample carries (pre-faulted); empty for tiny samples.
    std::span<std::byte> payload() noexcept { return m_payload; }
    /// Publishes frame `frame_number` stamped `timestamp_ns`. False if Cyclone refused or timed
    /// out (reliable flow control blocks a writer up to the reliability's max blocking time).
    bool write(std::uint64_t frame_number, std::int64_t timestamp_ns);
    /// Last return code of a failed write (0 if none failed).
    int last_error() const noexcept { return m_last_error; }
    /// Readers matched by the DDS writer.
    std::uint32_t matched_readers() const;

private:
    SampleKind m_kind;
    std::vector<std::byte> m_payload;
    std::int32_t m_participant = 0, m_topic = 0, m_writer = 0;  // dds_entity_t
    int m_last_error = 0;
};

class PlainDdsReader {
public:
    PlainDdsReader(int domain_id, const std::string& topic, SampleKind kind, std::int32_t depth);
    ~PlainDdsReader();
    PlainDdsReader(const PlainDdsReader&) = delete;
    PlainDdsReader& operator=(const PlainDdsReader&) = delete;

    /// Blocks (on a waitset with the reader's status condition) up to `timeout` until a writer
    /// is matched.
    bool wait_matched(std::chrono::nanoseconds timeout);
    /// The next sample, waiting on a waitset (a read condition, as smx's reader) up to `timeout`.
    std::optional<Received> take(std::chrono::nanoseconds timeout);

private:
    SampleKind m_kind;
    std::int32_t m_participant = 0, m_topic = 0, m_reader = 0, m_condition = 0, m_waitset = 0;  // dds_entity_t
    std::int32_t m_match_waitset = 0;  // dds_entity_t: the reader itself, on "subscription matched"
};

}  // namespace smx::baseline
