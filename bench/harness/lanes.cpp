#include "lanes.hpp"

#include "stamp.hpp"

namespace smx::cli::bench {

std::unique_ptr<Source> make_source(const LaneContext& context, const Lane& lane, const std::string& topic) {
    switch (lane.path) {
        case Path::smx_zero_copy:
        case Path::smx_zero_copy_spin:
        case Path::smx_copy:
        case Path::smx_waitset_1:
        case Path::smx_waitset_8:
        case Path::smx_remote:
        case Path::smx_remote_lz4:
        case Path::smx_remote_zstd: return make_smx_source(context, lane, topic);
        case Path::iceoryx: return make_iceoryx_source(context, lane, topic);
        case Path::futex_floor:
        case Path::memcpy_floor:
        case Path::plain_dds:
        case Path::dds_floor: return make_baseline_source(context, lane, topic);
    }
    return nullptr;
}

std::unique_ptr<Sink> make_sink(const LaneContext& context, const Lane& lane, const std::string& topic) {
    if (!info(lane.path).delivered) return nullptr;
    switch (lane.path) {
        case Path::smx_zero_copy:
        case Path::smx_zero_copy_spin:
        case Path::smx_copy:
        case Path::smx_waitset_1:
        case Path::smx_waitset_8:
        case Path::smx_remote:
        case Path::smx_remote_lz4:
        case Path::smx_remote_zstd: return make_smx_sink(context, lane, topic);
        case Path::iceoryx: return make_iceoryx_sink(context, lane, topic);
        default: return make_baseline_sink(context, lane, topic);
    }
}

std::string futex_block_name(const std::string& topic) { return "/smx-bench-futex." + topic; }

std::string iceoryx_runtime_name(int pid) { return "smx-bench-" + std::to_string(pid); }

void stamp_fields(const Schema& schema, std::byte* frame, std::uint64_t n) {
    for (std::size_t i = 0; i < schema.size(); ++i)
        baseline::stamp({frame + schema.offset(i), static_cast<std::size_t>(schema[i].nbytes())}, n);
}

bool fields_stamped(const Schema& schema, const std::byte* frame, std::uint64_t n) {
    for (std::size_t i = 0; i < schema.size(); ++i)
        if (!baseline::stamped({frame + schema.offset(i), static_cast<std::size_t>(schema[i].nbytes())}, n)) return false;
    return true;
}

}  // namespace smx::cli::bench
