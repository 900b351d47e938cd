#pragma once
/// @file participant.hpp
/// A participant joins one DDS domain. Writers and readers are created from it.

#include <smx/export.hpp>

#include <memory>
#include <string>

namespace smx {

namespace detail {
class ParticipantImpl;
}

/// One DDS domain participant.
///
/// The domain is chosen as Cyclone DDS does: `domain_id` selects it, and when the environment
/// variable `CYCLONEDDS_URI` is set, its configuration is used as given. When it is *not* set,
/// smx keeps every packet on this host: it creates the domain with a built-in loopback-only
/// configuration (interface `lo`, no multicast, unicast peer 127.0.0.1). Shared memory is
/// local anyway; the network is opt-in through an explicit configuration.
/// The domain a participant joins when none is given (here, in Python, in the examples and in
/// the `smx` tool): the environment variable SMX_DOMAIN if set, else 0. Throws InvalidArgument
/// naming SMX_DOMAIN if it is set to anything but a number in 0..230.
SMX_EXPORT int default_domain();

class SMX_EXPORT Participant {
public:
    /// Joins the default domain: default_domain() (SMX_DOMAIN, else 0).
    Participant();
    /// Joins `domain_id` (0..230). Throws DdsError if Cyclone refuses (the message names the
    /// domain and the configuration source).
    explicit Participant(int domain_id);
    ~Participant();
    Participant(const Participant&) = default;
    Participant& operator=(const Participant&) = default;

    int domain_id() const noexcept;
    /// "built-in loopback-only" or the value of CYCLONEDDS_URI.
    std::string configuration() const;

    /// Internal: shared with writers and readers so they keep the domain alive.
    const std::shared_ptr<detail::ParticipantImpl>& impl() const noexcept { return m_impl; }

private:
    std::shared_ptr<detail::ParticipantImpl> m_impl;
};

}  // namespace smx
