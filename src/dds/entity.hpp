#pragma once
// Small owners of Cyclone DDS handles, shared by the channel (dds_channel.cpp) and the network
// path (dds_payload.cpp).

#include "dds/domain.hpp"
#include "fork.hpp"

#include <dds/dds.h>

#include <functional>
#include <mutex>
#include <string>
#include <utility>

namespace smx::detail {

/// Owns a DDS entity handle.
class Entity {
public:
    Entity() = default;
    explicit Entity(dds_entity_t e) noexcept : m_e(e) {}
    Entity(Entity&& o) noexcept : m_e(o.m_e), m_process(o.m_process) { o.m_e = 0; }
    // The owner travels with the handle: `e = Entity()` in a forked child hands the parent's
    // handle to a temporary that must know it is not the child's to delete.
    Entity& operator=(Entity&& o) noexcept {
        std::swap(m_e, o.m_e);
        std::swap(m_process, o.m_process);
        return *this;
    }
    // Not in a forked child: Cyclone's threads are not there, and deleting would hang.
    ~Entity() {
        if (m_e > 0 && m_process.is_current()) dds_delete(m_e);
    }
    dds_entity_t get() const noexcept { return m_e; }

private:
    dds_entity_t m_e = 0;
    OwnerProcess m_process;
};

/// A callback a DDS listener calls (on Cyclone's thread) when data arrives, set and cleared from
/// the reader's thread: the wait set's notification (channel.hpp's set_notify).
class Notify {
public:
    void set(std::function<void()> fn) {
        std::lock_guard lock(m_mutex);
        m_fn = std::move(fn);
    }
    void operator()() {
        std::lock_guard lock(m_mutex);
        if (m_fn) m_fn();
    }

private:
    std::mutex m_mutex;
    std::function<void()> m_fn;
};

/// Owns a QoS object.
class Qos {
public:
    Qos() : m_q(dds_create_qos()) {}
    ~Qos() { dds_delete_qos(m_q); }
    Qos(const Qos&) = delete;
    Qos& operator=(const Qos&) = delete;
    dds_qos_t* get() const noexcept { return m_q; }

private:
    dds_qos_t* m_q;
};

/// The DDS participant (its instance handle) of the writer `publication` matched by `reader`;
/// 0 if unknown (no longer matched).
inline std::uint64_t participant_of_publication(dds_entity_t reader, dds_instance_handle_t publication) noexcept {
    dds_builtintopic_endpoint_t* ep = dds_get_matched_publication_data(reader, publication);
    if (ep == nullptr) return 0;
    const std::uint64_t p = ep->participant_instance_handle;
    dds_builtintopic_free_endpoint(ep);
    return p;
}

/// Creates DDS topic `name` (of smx topic `topic`, for messages).
inline Entity make_topic(dds_entity_t participant, const dds_topic_descriptor_t* desc, const std::string& name,
                         const std::string& topic) {
    return Entity(dds_check(dds_create_topic(participant, desc, name.c_str(), nullptr, nullptr),
                            "creating DDS topic '" + name + "' for smx topic '" + topic + "'"));
}

}  // namespace smx::detail
