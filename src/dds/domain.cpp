#include "dds/domain.hpp"

#include <smx/error.hpp>
#include <smx/participant.hpp>

#include <atomic>
#include <charconv>
#include <cstdlib>
#include <unistd.h>
#include <map>
#include <mutex>

namespace smx::detail {

dds_return_t dds_check(dds_return_t rc, const std::string& what) {
    if (rc < 0) throw DdsError(rc, what + ": " + dds_strretcode(rc));
    return rc;
}

const char* loopback_configuration() noexcept {
    // Keep every packet on this host: loopback interface, no multicast, unicast discovery of
    // 127.0.0.1 over enough participant indices for dozens of processes.
    return "<CycloneDDS><Domain id=\"any\">"
           "<General><Interfaces><NetworkInterface name=\"lo\" multicast=\"false\"/></Interfaces>"
           "<AllowMulticast>false</AllowMulticast>"
           // Large frames on the network path (dds_payload.cpp): 64 kB datagrams instead of
           // 1,344-byte fragments, so a 2 MB frame is 33 datagrams, not 1,515.
           "<MaxMessageSize>65500B</MaxMessageSize><FragmentSize>65000B</FragmentSize></General>"
           "<Discovery><ParticipantIndex>auto</ParticipantIndex>"
           "<MaxAutoParticipantIndex>100</MaxAutoParticipantIndex>"
           "<Peers><Peer address=\"127.0.0.1\"/></Peers></Discovery>"
           // A closing writer waits at most this long for acknowledgements (of its "gone"
           // notice) from readers; a reader that was killed never acknowledges.
           "<Internal><WriterLingerDuration>200ms</WriterLingerDuration>"
           "<SocketReceiveBufferSize min=\"default\" max=\"16MB\"/></Internal>"
           "</Domain></CycloneDDS>";
}

namespace {

// Domains this process created with the built-in configuration, shared by its participants.
struct DomainRegistry {
    std::mutex mutex;
    struct Entry {
        dds_entity_t domain = 0;
        int users = 0;
    };
    std::map<int, Entry> domains;

    static DomainRegistry& instance() {
        static DomainRegistry* registry = new DomainRegistry();  // outlives static destructors
        return *registry;
    }
};

// Cyclone DDS does not survive fork(): its threads stay in the parent, so in a child its
// state (domains, participants, the library's own globals) only looks alive, and deleting any of
// it waits forever for threads that are not there. A child of a process that had participants
// open when it forked can therefore use no DDS at all. Counted per process; the generation is
// the fork generation of the process that opened them (fork.hpp).
std::atomic<int> g_live_participants{0};
std::atomic<std::uint64_t> g_live_generation{0};

void check_dds_not_inherited(const std::string& where) {
    if (g_live_participants.load() == 0 || g_live_generation.load() == fork_generation()) return;
    throw DdsError(DDS_RETCODE_PRECONDITION_NOT_MET,
                   "cannot join DDS " + where + " in process " + std::to_string(::getpid()) +
                       ": it was forked from a process that had smx participants open, and Cyclone DDS does not "
                       "survive fork() (its threads stay in the parent); start such processes with spawn "
                       "(Python: multiprocessing.get_context('spawn')), or fork before the first participant");
}

bool uri_configured() {
    const char* uri = std::getenv("CYCLONEDDS_URI");
    return uri != nullptr && *uri != '\0';
}

}  // namespace

ParticipantImpl::ParticipantImpl(int domain_id) : m_domain_id(domain_id) {
    if (domain_id < 0 || domain_id > 230)
        throw InvalidArgument("DDS domain id " + std::to_string(domain_id) + " is out of range 0..230");
    const std::string where = "domain " + std::to_string(domain_id);
    check_dds_not_inherited(where);
    if (uri_configured()) {
        m_configuration = std::string("CYCLONEDDS_URI=") + std::getenv("CYCLONEDDS_URI");
    } else {
        m_configuration = "built-in loopback-only";
        auto& reg = DomainRegistry::instance();
        std::lock_guard lock(reg.mutex);
        auto& entry = reg.domains[domain_id];
        if (entry.users == 0) {
            const dds_entity_t d = dds_create_domain(static_cast<dds_domainid_t>(domain_id), loopback_configuration());
            // PRECONDITION_NOT_MET: the domain already exists in this process (created outside
            // smx); use it as it is.
            if (d < 0 && d != DDS_RETCODE_PRECONDITION_NOT_MET)
                dds_check(d, "creating DDS " + where + " with the built-in loopback configuration");
            entry.domain = d > 0 ? d : 0;
        }
        ++entry.users;
    }
    m_participant = dds_create_participant(static_cast<dds_domainid_t>(domain_id), nullptr, nullptr);
    if (m_participant < 0) {
        const dds_return_t rc = m_participant;
        m_participant = 0;
        release_domain();
        // Cyclone says why only on stderr (an unknown interface, a malformed file, ...).
        const std::string hint =
            uri_configured() ? "; Cyclone DDS printed the reason on stderr: check the configuration it names (with "
                               "smx's config/cyclonedds-network.xml, SMX_INTERFACE must name an interface of this "
                               "host: `ip -br link`)"
                             : "";
        dds_check(rc, "creating a DDS participant in " + where + " (" + m_configuration + ")" + hint);
    }
    g_live_generation.store(fork_generation());
    g_live_participants.fetch_add(1);
}

dds_entity_t ParticipantImpl::entity() const {
    if (!m_process.is_current())
        throw Closed(m_process.inherited_message("the DDS participant of domain " + std::to_string(m_domain_id)));
    return m_participant;
}

ParticipantImpl::~ParticipantImpl() {
    // A forked child leaves the parent's participant and domain alone (see fork.hpp); the
    // registry's mutex may even have been held by another thread at the fork.
    if (!m_process.is_current()) return;
    if (m_participant > 0) {
        dds_delete(m_participant);
        g_live_participants.fetch_sub(1);
    }
    release_domain();
}

void ParticipantImpl::release_domain() noexcept {
    if (m_configuration == "built-in loopback-only") {
        auto& reg = DomainRegistry::instance();
        std::lock_guard lock(reg.mutex);
        auto it = reg.domains.find(m_domain_id);
        if (it != reg.domains.end() && --it->second.users == 0) {
            if (it->second.domain > 0) dds_delete(it->second.domain);
            reg.domains.erase(it);
        }
        m_configuration.clear();
    }
}

}  // namespace smx::detail

namespace smx {

int default_domain() {
    const char* env = std::getenv("SMX_DOMAIN");
    if (!env || !*env) return 0;
    const std::string text(env);
    int value = -1;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < 0 || value > 230)
        throw InvalidArgument("SMX_DOMAIN='" + text.substr(0, 32) +
                              "' is not a DDS domain id: set it to a number in 0..230, or unset it for domain 0");
    return value;
}

Participant::Participant() : Participant(default_domain()) {}
Participant::Participant(int domain_id) : m_impl(std::make_shared<detail::ParticipantImpl>(domain_id)) {}
Participant::~Participant() = default;
int Participant::domain_id() const noexcept { return m_impl->domain_id(); }
std::string Participant::configuration() const { return m_impl->configuration(); }

}  // namespace smx
