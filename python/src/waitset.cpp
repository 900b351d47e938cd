// WaitSet bindings: the C++ wait set over Python readers. The Python half (smx/_waitset.py) maps
// the readers it reports back to their SMReader objects by a key given at attach().

#include "common.hpp"

#include <mutex>

namespace smx::python {

namespace {

/// One WaitSet shared by Python threads: wait, attach and the rest are serialised by a mutex
/// taken without the GIL; wake() needs none (it is what another thread calls). Readers are named
/// by integer keys the Python half maps back to its objects: holding those objects here would
/// hide reference cycles (reader -> its asyncio wait set -> reader) from Python's collector.
class PyWaitSet {
public:
    void attach(const SharedReader& r, std::uint64_t key) {
        {
            py::gil_scoped_release nogil;
            std::lock_guard<std::mutex> lock(m_mutex);
            set().attach(*r.reader);
        }
        m_entries.push_back(Entry{r.reader, key});
    }

    bool mute(const SharedReader& r, double seconds) {
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(seconds));
        py::gil_scoped_release nogil;
        std::lock_guard<std::mutex> lock(m_mutex);
        return set().mute(*r.reader, ns);
    }

    /// Lets go of every descriptor and reader now (later calls raise Closed).
    void close() {
        {
            py::gil_scoped_release nogil;
            std::lock_guard<std::mutex> lock(m_mutex);
            std::lock_guard<std::mutex> wake_lock(m_wake_mutex);
            m_set.reset();
        }
        m_entries.clear();
    }

    bool detach(const SharedReader& r) {
        bool found = false;
        {
            py::gil_scoped_release nogil;
            std::lock_guard<std::mutex> lock(m_mutex);
            found = m_set && m_set->detach(*r.reader);
        }
        std::erase_if(m_entries, [&](const Entry& e) { return e.reader == r.reader; });
        return found;
    }

    std::uint64_t add_timer(double period, bool oneshot) {
        if (!(period >= 0.0) || period > 1e9)
            throw InvalidArgument("wait set: a timer period of " + std::to_string(period) + " s is out of range");
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(period));
        py::gil_scoped_release nogil;
        std::lock_guard<std::mutex> lock(m_mutex);
        return (oneshot ? set().add_oneshot(ns) : set().add_timer(ns)).value;
    }

    bool remove_timer(std::uint64_t id) {
        py::gil_scoped_release nogil;
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_set && m_set->remove_timer(TimerId{id});
    }

    void wake() noexcept {
        std::lock_guard<std::mutex> lock(m_wake_mutex);  // not m_mutex: a wait() holds that
        if (m_set) m_set->wake();
    }

    /// (keys of the ready readers, [(timer id, expirations)], woken), or None on timeout.
    py::object wait(std::optional<double> timeout) {
        auto r = wait_in_slices(
            timeout,
            [&](std::chrono::nanoseconds slice) {
                std::lock_guard<std::mutex> lock(m_mutex);
                WaitResult w = set().wait(slice);
                return w.empty() ? std::nullopt : std::optional<WaitResult>(std::move(w));
            },
            [] { return false; });
        forget_closed();
        if (!r) return py::none();
        py::list readers;
        for (Reader* rd : r->readers)
            for (const auto& e : m_entries)
                if (e.reader.get() == rd) readers.append(e.key);
        py::list timers;
        for (std::size_t i = 0; i < r->timers.size(); ++i) timers.append(py::make_tuple(r->timers[i].value, r->expirations[i]));
        return py::make_tuple(readers, timers, r->woken);
    }

    int fileno() const noexcept { return m_set ? m_set->fd() : -1; }

    bool prepare() {
        py::gil_scoped_release nogil;
        std::lock_guard<std::mutex> lock(m_mutex);
        return set().prepare();
    }

    /// The keys of the readers attached (closed ones leave by themselves).
    py::list keys() {
        forget_closed();
        py::list out;
        for (const auto& e : m_entries) out.append(e.key);
        return out;
    }

private:
    struct Entry {
        std::shared_ptr<Reader> reader;  // keeps the object alive while the C++ set points at it
        std::uint64_t key;
    };

    WaitSet& set() {
        if (!m_set) throw Closed("wait set is closed");
        return *m_set;
    }

    // A reader closed elsewhere left the C++ set by itself; its entry goes here.
    void forget_closed() {
        std::vector<Reader*> live;
        {
            py::gil_scoped_release nogil;
            std::lock_guard<std::mutex> lock(m_mutex);
            if (m_set) live = m_set->readers();
        }
        std::erase_if(m_entries, [&](const Entry& e) {
            return std::find(live.begin(), live.end(), e.reader.get()) == live.end();
        });
    }

    std::mutex m_mutex;
    std::mutex m_wake_mutex;  // wake() against close()
    std::optional<WaitSet> m_set{std::in_place};
    std::vector<Entry> m_entries;
};

}  // namespace

void register_waitset(py::module_& m) {
    py::class_<SharedReader>(m, "_SharedReader");
    py::class_<PyWaitSet>(m, "WaitSet", "One wait for many readers (see smx.WaitSet).")
        .def(py::init<>())
        .def("attach", &PyWaitSet::attach, py::arg("reader"), py::arg("key"))
        .def("mute", &PyWaitSet::mute, py::arg("reader"), py::arg("seconds"))
        .def("close", &PyWaitSet::close)
        .def("detach", &PyWaitSet::detach, py::arg("reader"))
        .def("add_timer", &PyWaitSet::add_timer, py::arg("period"), py::arg("oneshot") = false)
        .def("remove_timer", &PyWaitSet::remove_timer, py::arg("id"))
        .def("wake", &PyWaitSet::wake)
        .def("wait", &PyWaitSet::wait, py::arg("timeout") = py::none())
        .def("fileno", &PyWaitSet::fileno)
        .def("prepare", &PyWaitSet::prepare)
        .def("keys", &PyWaitSet::keys);
}

}  // namespace smx::python
