// Reader and Frame bindings. Every blocking call releases the GIL and wakes every WAIT_SLICE to
// run Python signal handlers. A Frame's arrays have the Frame as their numpy base, and the
// Frame holds the mapping: an array can never outlive the memory it views.

#include "common.hpp"

#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>

namespace smx::python {

namespace {

/// A frame handed to Python. Its arrays keep it (and so the mapping) alive.
struct PyFrame {
    explicit PyFrame(Frame&& f) : frame(std::move(f)) {}
    Frame frame;
};

py::dict frame_arrays(const Frame& frame, py::handle base) {
    py::dict out;
    const Schema& s = frame.schema();
    for (std::size_t i = 0; i < s.size(); ++i)
        out[py::str(s[i].name)] = field_array(frame.shape(i), s[i].dtype, frame.data(i), base, false);
    return out;
}

std::shared_ptr<Schema> as_holder(std::shared_ptr<const Schema> s) { return std::const_pointer_cast<Schema>(s); }

py::dict info_dict(const FrameInfo& info) {
    py::dict d;
    d["session"] = info.session;
    d["frame_number"] = info.frame_number;
    d["timestamp_ns"] = info.timestamp_ns;
    d["slot"] = info.slot;
    d["seq"] = info.seq;
    return d;
}

const char* transport_name(std::optional<Transport> t) {
    if (!t) return "";
    return *t == Transport::dds ? "dds" : "shm";
}

std::optional<Transport> transport_named(const std::string& topic, const std::optional<std::string>& name) {
    if (!name || *name == "auto") return std::nullopt;
    if (*name == "shm") return Transport::shm;
    if (*name == "dds") return Transport::dds;
    throw InvalidArgument("reader of topic '" + topic + "': transport='" + *name + "' is none of 'auto', 'shm', 'dds'");
}

const char* state_name(ReaderState s) {
    switch (s) {
        case ReaderState::waiting_for_writer: return "waiting_for_writer";
        case ReaderState::attached: return "attached";
        case ReaderState::writer_gone: return "writer_gone";
        case ReaderState::closed: return "closed";
    }
    return "unknown";
}

// The result of a consistent copy: the bytes (slot layout) and the schema they follow.
struct CopyOutcome {
    ReadStatus status = ReadStatus::no_frame;
    FrameInfo info;
    std::optional<Transport> transport;
    std::shared_ptr<const Schema> schema;
    std::unique_ptr<std::vector<std::byte>> bytes;
    explicit operator bool() const noexcept { return status != ReadStatus::no_frame; }
};

py::object copy_to_python(CopyOutcome&& c) {
    if (c.status == ReadStatus::no_frame) return py::none();
    if (c.status == ReadStatus::torn) return py::make_tuple("torn", py::none(), py::none(), py::none());
    auto* bytes = c.bytes.release();
    py::capsule owner(bytes, [](void* p) { delete static_cast<std::vector<std::byte>*>(p); });
    py::dict arrays;
    const Schema& s = *c.schema;
    for (std::size_t i = 0; i < s.size(); ++i)
        arrays[py::str(s[i].name)] = field_array(live_shape(s, i, bytes->data()), s[i].dtype, bytes->data() + s.offset(i), owner, true);
    py::dict info = info_dict(c.info);
    info["transport"] = transport_name(c.transport);
    return py::make_tuple("ok", arrays, as_holder(c.schema), info);
}

}  // namespace

/// One Reader shared by Python threads: calls are serialised by a mutex taken without the GIL.
class PyReader {
public:
    PyReader(const Participant& participant, std::string topic, std::shared_ptr<Schema> expected, double spin,
             std::vector<std::uint32_t> trusted_uids, std::optional<std::string> transport) {
        ReaderOptions options;
        options.trusted_uids = std::move(trusted_uids);
        options.transport = transport_named(topic, transport);
        if (!(spin >= 0.0) || spin > std::chrono::duration<double>(ReaderOptions::MAX_SPIN).count())
            throw InvalidArgument("reader of topic '" + topic + "': spin=" + std::to_string(spin) +
                                  " s is out of range 0.." +
                                  std::to_string(std::chrono::duration<double>(ReaderOptions::MAX_SPIN).count()) + " s");
        options.spin = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(spin));
        py::gil_scoped_release nogil;
        m_reader = expected ? std::make_shared<Reader>(participant, std::move(topic), *expected, options)
                            : std::make_shared<Reader>(participant, std::move(topic), options);
        m_topic = m_reader->topic();
    }

    // No GIL release here: destructors may run during interpreter finalization, and no other
    // thread can be inside this reader (each call holds a reference to it).
    ~PyReader() { close_now(); }

    template <class F>
    auto locked(F&& f) {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (!m_reader) throw Closed("reader of topic '" + m_topic + "' is closed");
        return f(*m_reader);
    }

    bool stop_requested() { return m_interrupted.exchange(false) || m_closed.load(); }

    bool wait_for_writer(std::optional<double> timeout) {
        auto r = wait_in_slices(
            timeout,
            [&](std::chrono::nanoseconds slice) {
                return locked([&](Reader& rd) { return rd.wait_for_writer(slice) ? std::optional<bool>(true) : std::nullopt; });
            },
            [&] { return stop_requested(); });
        return r.has_value();
    }

    py::object wrap(std::optional<Frame>&& f) {
        if (!f) return py::none();
        return py::cast(std::make_unique<PyFrame>(std::move(*f)));
    }

    py::object latest(bool pin) {
        std::optional<Frame> f;
        {
            py::gil_scoped_release nogil;
            f = locked([&](Reader& rd) { return rd.latest(pin ? Hold::pin : Hold::view); });
        }
        return wrap(std::move(f));
    }

    py::object next(std::optional<double> timeout, bool pin) {
        auto f = wait_in_slices(
            timeout,
            [&](std::chrono::nanoseconds slice) {
                return locked([&](Reader& rd) { return rd.next(slice, pin ? Hold::pin : Hold::view); });
            },
            [&] { return stop_requested(); });
        return wrap(std::move(f));
    }

    // One consistent copy into a buffer sized for the schema of the frame actually copied (the
    // reader asks for it once it has the frame), so a writer restart cannot mismatch them.
    CopyOutcome copy_once(Reader& rd, std::optional<std::chrono::nanoseconds> wait) {
        CopyOutcome out;
        const CopyBuffer buffer = [&](const std::shared_ptr<const Schema>& schema) {
            if (out.schema != schema) {
                out.schema = schema;
                out.bytes = std::make_unique<std::vector<std::byte>>(schema->frame_size());
            }
            return std::span<std::byte>(*out.bytes);
        };
        const CopyResult r = wait ? rd.copy_next(buffer, *wait) : rd.copy_latest(buffer);
        out.status = r.status;
        out.info = r.info;
        out.transport = rd.transport();
        return out;
    }

    py::object copy_latest() {
        CopyOutcome c;
        {
            py::gil_scoped_release nogil;
            c = locked([&](Reader& rd) { return copy_once(rd, std::nullopt); });
        }
        return copy_to_python(std::move(c));
    }

    py::object copy_next(std::optional<double> timeout) {
        CopyOutcome c = wait_in_slices(
            timeout,
            [&](std::chrono::nanoseconds slice) { return locked([&](Reader& rd) { return copy_once(rd, slice); }); },
            [&] { return stop_requested(); });
        return copy_to_python(std::move(c));
    }

    void interrupt() noexcept {
        m_interrupted = true;
        std::lock_guard<std::mutex> lock(m_interrupt_mutex);
        if (m_reader) m_reader->interrupt();
    }

    void close_now() noexcept {
        m_closed = true;
        {
            std::lock_guard<std::mutex> lock(m_interrupt_mutex);
            if (m_reader) m_reader->interrupt();
        }
        std::lock_guard<std::mutex> lock(m_mutex);
        std::shared_ptr<Reader> doomed;
        {
            std::lock_guard<std::mutex> ilock(m_interrupt_mutex);
            doomed = std::move(m_reader);
        }
        // DDS entities go now, even while a wait set still holds the (closed) object; frames
        // still out keep their mapping.
        if (doomed) doomed->close();
    }

    /// The reader itself, for a wait set (it outlives close(): a wait set may still hold it).
    std::shared_ptr<Reader> shared() {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (!m_reader) throw Closed("reader of topic '" + m_topic + "' is closed");
        return m_reader;
    }

    const std::string& topic() const noexcept { return m_topic; }
    bool closed() const noexcept { return m_closed.load(); }

private:
    std::mutex m_mutex;            // serialises every use of m_reader
    std::mutex m_interrupt_mutex;  // lets interrupt() reach a reader busy under m_mutex
    std::shared_ptr<Reader> m_reader;
    std::string m_topic;
    std::atomic<bool> m_interrupted{false};
    std::atomic<bool> m_closed{false};
};

void register_reader(py::module_& m) {
    py::class_<PyFrame>(m, "Frame",
        "A frame in shared memory. Its arrays are read-only views that keep the mapping alive.")
        .def("arrays", [](py::object self) { return frame_arrays(self.cast<PyFrame&>().frame, self); },
             "{field name: read-only ndarray view}")
        .def_property_readonly("valid", [](const PyFrame& f) { return f.frame.valid(); },
             "True while the slot still holds this frame (always while pinned).")
        .def_property_readonly("pinned", [](const PyFrame& f) { return f.frame.pinned(); })
        .def_property_readonly("transport", [](const PyFrame& f) { return std::string(transport_name(f.frame.transport())); })
        .def("release", [](PyFrame& f) { f.frame.release(); }, "Gives the pin back (idempotent).")
        .def_property_readonly("frame_number", [](const PyFrame& f) { return f.frame.frame_number(); })
        .def_property_readonly("timestamp_ns", [](const PyFrame& f) { return f.frame.timestamp_ns(); })
        .def_property_readonly("info", [](const PyFrame& f) { return info_dict(f.frame.info()); })
        .def_property_readonly("schema", [](const PyFrame& f) { return std::make_shared<Schema>(f.frame.schema()); })
        .def("copy_into", [](const PyFrame& f, const std::vector<py::array>& dst) {
            const Schema& s = f.frame.schema();
            if (dst.size() != s.size())
                throw InvalidArgument("copy_into: got " + std::to_string(dst.size()) + " arrays for " +
                                      std::to_string(s.size()) + " fields (" + s.to_string() + ")");
            std::vector<std::span<std::byte>> spans;
            for (std::size_t i = 0; i < s.size(); ++i) {
                const py::array& a = dst[i];
                const auto dt = from_numpy(a.dtype());
                const bool shape_ok = static_cast<std::size_t>(a.ndim()) == s[i].shape.ndim() &&
                    std::equal(s[i].shape.begin(), s[i].shape.end(), a.shape(),
                               [](std::uint64_t x, py::ssize_t y) { return x == static_cast<std::uint64_t>(y); });
                if (!dt || !(*dt == s[i].dtype) || !shape_ok || !(a.flags() & py::array::c_style) || !a.writeable())
                    throw InvalidArgument("copy_into: field '" + s[i].name + "' needs a writable C-contiguous " +
                                          s[i].dtype.typestr() + " array of shape " + s[i].shape.to_string());
                spans.emplace_back(static_cast<std::byte*>(const_cast<void*>(a.data())), static_cast<std::size_t>(a.nbytes()));
            }
            std::vector<std::uint64_t> rows(s.size());
            bool ok = true;
            {
                py::gil_scoped_release nogil;
                for (std::size_t i = 0; i < spans.size(); ++i) ok = f.frame.copy_field_into(i, spans[i], rows[i]) && ok;
            }
            return py::make_tuple(ok, rows);
        }, py::arg("arrays"),
           "Copies every field into `arrays` (schema order, a bounded field's at its capacity: its live rows "
           "come first); returns (consistent, [rows of each field]).");

    py::class_<PyReader>(m, "Reader", "Reads one topic (see smx.SMReader).")
        .def("_shared", [](PyReader& r) { return SharedReader{r.shared()}; })
        .def(py::init<const Participant&, std::string, std::shared_ptr<Schema>, double, std::vector<std::uint32_t>,
                      std::optional<std::string>>(),
             py::arg("participant"), py::arg("topic"), py::arg("schema") = nullptr, py::arg("spin") = 0.0,
             py::arg("trusted_uids") = std::vector<std::uint32_t>{}, py::arg("transport") = py::none(),
             py::keep_alive<1, 2>())
        .def("wait_for_writer", &PyReader::wait_for_writer, py::arg("timeout") = py::none())
        .def("latest", &PyReader::latest, py::arg("pin") = false)
        .def("next", &PyReader::next, py::arg("timeout") = py::none(), py::arg("pin") = false)
        .def("copy_latest", &PyReader::copy_latest)
        .def("copy_next", &PyReader::copy_next, py::arg("timeout") = py::none())
        .def("interrupt", &PyReader::interrupt)
        .def("close", [](PyReader& r) {
            py::gil_scoped_release nogil;
            r.close_now();
        })
        .def_property_readonly("closed", &PyReader::closed)
        .def_property_readonly("topic", &PyReader::topic)
        .def_property_readonly("state", [](PyReader& r) {
            py::gil_scoped_release nogil;
            return r.locked([](Reader& rd) { return std::string(state_name(rd.state())); });
        })
        .def_property_readonly("transport", [](PyReader& r) {
            py::gil_scoped_release nogil;
            return std::string(transport_name(r.locked([](Reader& rd) { return rd.transport(); })));
        })
        .def_property_readonly("waiting_reason", [](PyReader& r) {
            py::gil_scoped_release nogil;
            return r.locked([](Reader& rd) { return rd.waiting_reason(); });
        })
        .def_property_readonly("schema", [](PyReader& r) {
            std::shared_ptr<const Schema> s;
            {
                py::gil_scoped_release nogil;
                s = r.locked([](Reader& rd) { return rd.schema_if_known(); });
            }
            return s ? py::cast(as_holder(s)) : py::none();
        })
        .def_property_readonly("stats", [](PyReader& r) {
            ReaderStats s;
            {
                py::gil_scoped_release nogil;
                s = r.locked([](Reader& rd) { return rd.stats(); });
            }
            py::dict d;
            d["delivered"] = s.delivered;
            d["missed"] = s.missed;
            d["torn_views"] = s.torn_views;
            d["torn_copies"] = s.torn_copies;
            d["notices_ignored"] = s.notices_ignored;
            d["attachments"] = s.attachments;
            d["sleeps"] = s.sleeps;
            d["unnoticed_frames"] = s.unnoticed_frames;
            d["dropped_samples"] = s.dropped_samples;
            return d;
        });
}

}  // namespace smx::python
