#pragma once
// The network path, reader side: frames of a writer whose segment this process cannot map
// (another host, another /dev/shm, or a reader that asked for it), received whole over the
// payload channel (channel.hpp) into buffers of the reader's own. Knows neither shared memory
// nor DDS: the subscriber is made by the caller.

#include "frame_source.hpp"

#include <functional>
#include <memory>
#include <string>

namespace smx::detail {

/// Makes the payload subscriber of a topic (DDS in the library, fakes in tests).
using SubscriberFactory = std::function<std::unique_ptr<PayloadSubscriber>(const PayloadQos&)>;

/// Connects to announced sessions over the network path. Every info is taken at its word for the
/// layout of its frames (a remote writer's segment cannot be checked); frames that do not fit
/// it are dropped and counted.
std::unique_ptr<Connector> make_remote_connector(std::string topic, SubscriberFactory subscribe,
                                                 std::shared_ptr<FrameCounters> counters);

}  // namespace smx::detail
