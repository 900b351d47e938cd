#pragma once
// The DDS domain participant behind smx::Participant, and the one helper that turns Cyclone
// return codes into exceptions.

#include "fork.hpp"

#include <dds/dds.h>

#include <string>

namespace smx::detail {

/// Throws DdsError "<what>: <Cyclone's text>" if `rc` is negative; returns it otherwise.
dds_return_t dds_check(dds_return_t rc, const std::string& what);

/// The loopback-only configuration used when CYCLONEDDS_URI is unset.
const char* loopback_configuration() noexcept;

class ParticipantImpl {
public:
    explicit ParticipantImpl(int domain_id);
    ~ParticipantImpl();
    ParticipantImpl(const ParticipantImpl&) = delete;
    ParticipantImpl& operator=(const ParticipantImpl&) = delete;

    /// The participant's handle, for making entities. Throws Closed in a forked child (the
    /// participant is its parent's, and Cyclone's threads are not in the child).
    dds_entity_t entity() const;
    int domain_id() const noexcept { return m_domain_id; }
    const std::string& configuration() const noexcept { return m_configuration; }

private:
    void release_domain() noexcept;

    int m_domain_id;
    std::string m_configuration;
    dds_entity_t m_participant = 0;
    OwnerProcess m_process;
};

}  // namespace smx::detail
