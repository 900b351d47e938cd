#pragma once
// What a received DDS sample (src/dds/smx_wire.idl) becomes on the smx side. Separate from the
// channel so that it can be checked without a DDS domain (fuzz/info_sample.cpp).

#include "channel.hpp"
#include "smx_wire.h"

namespace smx::detail {

/// The session an info sample announces. Null strings read as empty; nothing else is checked
/// here (the reader side decides what to trust: LocalConnector::connect).
SessionInfo session_info_from_wire(const smx_wire_Info& sample);

}  // namespace smx::detail
