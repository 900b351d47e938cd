// Writer and Loan bindings. write() checks every array against the schema before a byte is
// copied (errors name the field, the expected and the given) and copies with the GIL released;
// non-contiguous arrays go through their byte strides. Loan arrays are writable views whose
// base (the Loan) keeps the mapping alive even after the writer closes.

#include "common.hpp"

#include <mutex>

namespace smx::python {

class PyWriter;

namespace {

WhenFull parse_when_full(const std::string& s) {
    if (s == "fail") return WhenFull::fail;
    if (s == "wait") return WhenFull::wait;
    throw InvalidArgument("when_full must be 'fail' or 'wait', not '" + s + "'");
}

std::string shape_string(const py::array& a) {
    std::string s = "(";
    for (py::ssize_t d = 0; d < a.ndim(); ++d) s += (d ? ", " : "") + std::to_string(a.shape(d));
    return s + (a.ndim() == 1 ? ",)" : ")");
}

}  // namespace

/// A slot lent for in-place filling.
struct PyLoan {
    PyWriter* owner = nullptr;             // kept alive by keep_alive on Writer.loan()
    std::optional<Loan> loan;              // empty once published or abandoned
    std::shared_ptr<const void> memory;    // the mapping, for arrays that outlive all else
    std::shared_ptr<const Schema> schema;
    std::vector<void*> addresses;
    std::uint64_t frame_number = 0;

    ~PyLoan();
    void abandon();
};

Compression parse_compression(const std::string& topic, const std::optional<std::string>& name) {
    if (!name || *name == "none") return Compression::none;
    if (*name == "lz4") return Compression::lz4;
    if (*name == "zstd") return Compression::zstd;
    throw InvalidArgument("writer of topic '" + topic + "': compression='" + *name +
                          "' is none of None, 'none', 'lz4', 'zstd'");
}

class PyWriter {
public:
    PyWriter(const Participant& participant, std::string topic, const Schema& schema, std::uint32_t slots,
             std::uint32_t reader_capacity, std::uint32_t mode, const std::string& when_full, double full_wait,
             const std::optional<std::string>& compression, int compression_level, bool network_reliable,
             std::uint32_t network_depth, std::optional<double> pin_lease) {
        WriterOptions o;
        if (pin_lease) {
            if (!(*pin_lease > 0) || *pin_lease > 1e9)
                throw InvalidArgument("writer of topic '" + topic + "': pin_lease must be a positive number of seconds "
                                      "(None never breaks a pin)");
            o.pin_lease = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(*pin_lease));
        } else {
            o.pin_lease = std::chrono::nanoseconds::max();
        }
        o.network.compression = parse_compression(topic, compression);
        o.network.compression_level = compression_level;
        o.network.reliable = network_reliable;
        o.network.depth = network_depth;
        o.slots = slots;
        o.reader_capacity = reader_capacity;
        o.mode = mode;
        o.when_full = parse_when_full(when_full);
        if (!(full_wait >= 0)) throw InvalidArgument("full_wait must be a non-negative number of seconds");
        o.full_wait = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(full_wait));
        py::gil_scoped_release nogil;
        m_writer = std::make_unique<Writer>(participant, std::move(topic), schema, o);
        m_schema = std::make_shared<const Schema>(m_writer->schema());
    }

    // No GIL release: may run during interpreter finalization (see PyReader).
    ~PyWriter() { close(); }

    template <class F>
    auto locked(F&& f) {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (m_closed) throw Closed("writer of topic '" + m_writer->topic() + "' is closed");
        return f(*m_writer);
    }

    void close() noexcept {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_closed = true;
        m_writer->close();
    }

    py::object write(const py::sequence& arrays, std::optional<std::int64_t> timestamp_ns) {
        const Schema& s = *m_schema;
        const std::string topic = m_writer->topic();
        if (static_cast<std::size_t>(py::len(arrays)) != s.size())
            throw InvalidArgument("write to topic '" + topic + "': got " + std::to_string(py::len(arrays)) +
                                  " arrays, the schema has " + std::to_string(s.size()) + " fields (" + s.to_string() + ")");
        std::vector<py::array> keep;
        std::vector<ArrayRef> refs(s.size());
        keep.reserve(s.size());
        for (std::size_t i = 0; i < s.size(); ++i) {
            const Field& f = s[i];
            const std::string where = "write to topic '" + topic + "', field '" + f.name + "': ";
            py::object obj = arrays[i];
            if (!py::isinstance<py::array>(obj))
                throw InvalidArgument(where + "expected a numpy array of dtype " + f.dtype.typestr() + " and shape " +
                                      f.shape_string() + ", got " + std::string(py::str(py::type::of(obj).attr("__name__"))));
            py::array a = obj.cast<py::array>();
            const auto dt = from_numpy(a.dtype());
            if (!dt)
                throw InvalidArgument(where + "expected dtype " + f.dtype.typestr() + ", got " + numpy_spelling(a.dtype()) +
                                      " (smx carries little-endian fixed-size numbers and bool)");
            if (static_cast<std::size_t>(a.ndim()) > MAX_DIMS)
                throw InvalidArgument(where + "expected shape " + f.shape_string() + ", got " + shape_string(a));
            std::vector<std::uint64_t> dims(a.shape(), a.shape() + a.ndim());
            ArrayRef& r = refs[i];
            r.data = a.data();
            r.dtype = *dt;
            r.shape = Shape(dims);
            r.has_strides = true;
            for (py::ssize_t d = 0; d < a.ndim(); ++d) r.strides[static_cast<std::size_t>(d)] = a.strides(d);
            keep.push_back(std::move(a));
        }
        PublishResult result;
        {
            py::gil_scoped_release nogil;
            result = locked([&](Writer& w) { return w.write(refs, timestamp_ns); });
        }
        forward_log();
        if (!result) return py::none();
        return py::int_(result.frame_number);
    }

    py::object loan() {
        std::optional<Loan> l;
        {
            py::gil_scoped_release nogil;
            l = locked([](Writer& w) { return w.loan(); });
        }
        forward_log();
        if (!l) return py::none();
        auto p = std::make_unique<PyLoan>();
        p->owner = this;
        p->memory = l->memory_owner();
        p->schema = m_schema;
        for (std::size_t i = 0; i < m_schema->size(); ++i) p->addresses.push_back(l->data(i));
        p->frame_number = l->frame_number();
        p->loan = std::move(l);
        return py::cast(std::move(p));
    }

    py::object publish(PyLoan& loan) {
        if (loan.owner != this)
            throw InvalidArgument("publish: the loan belongs to another writer");
        PublishResult result;
        {
            py::gil_scoped_release nogil;
            result = locked([&](Writer& w) {
                if (!loan.loan)
                    throw Closed("publish: the loan of frame " + std::to_string(loan.frame_number) +
                                          " was already published or abandoned");
                Loan l = std::move(*loan.loan);
                loan.loan.reset();
                return w.publish(std::move(l));
            });
        }
        if (!result) return py::none();
        return py::int_(result.frame_number);
    }

    void abandon(PyLoan& loan) {
        std::lock_guard<std::mutex> lock(m_mutex);
        loan.loan.reset();  // the slot is marked changed; nothing is announced
    }

    Writer& raw() noexcept { return *m_writer; }
    std::mutex& mutex() noexcept { return m_mutex; }
    bool closed() const noexcept { return m_closed; }
    const std::shared_ptr<const Schema>& schema() const noexcept { return m_schema; }

private:
    std::mutex m_mutex;
    std::unique_ptr<Writer> m_writer;
    std::shared_ptr<const Schema> m_schema;
    bool m_closed = false;
};

PyLoan::~PyLoan() {
    // Holding the GIL while taking the writer's mutex is safe: its holders never wait for the GIL.
    if (loan && owner) abandon();
}

void PyLoan::abandon() {
    if (owner) owner->abandon(*this);
}

void register_writer(py::module_& m) {
    py::class_<PyLoan>(m, "Loan", "A slot lent for in-place filling; publish it with Writer.publish().")
        .def("arrays", [](py::object self) {
            PyLoan& l = self.cast<PyLoan&>();
            py::dict out;
            for (std::size_t i = 0; i < l.schema->size(); ++i)
                out[py::str((*l.schema)[i].name)] =
                    field_array((*l.schema)[i].shape, (*l.schema)[i].dtype, l.addresses[i], self, true);
            return out;
        }, "{field name: writable ndarray view of the slot (a bounded field's whole capacity)}")
        .def("set_length", [](PyLoan& l, const std::string& name, std::uint64_t rows) {
            if (!l.loan) throw Closed("loan of frame " + std::to_string(l.frame_number) + " was already published or abandoned");
            l.loan->set_length(name, rows);
        }, py::arg("name"), py::arg("rows"), "Sets how many rows of bounded field `name` the frame carries.")
        .def("length", [](PyLoan& l, const std::string& name) {
            if (!l.loan) throw Closed("loan of frame " + std::to_string(l.frame_number) + " was already published or abandoned");
            return l.loan->length(static_cast<std::size_t>(l.schema->index_of(l.schema->field(name).name)));
        }, py::arg("name"), "The rows set so far for bounded field `name`.")
        .def_property_readonly("frame_number", [](const PyLoan& l) { return l.frame_number; })
        .def_property_readonly("active", [](const PyLoan& l) { return l.loan.has_value(); },
                               "True until published or abandoned.")
        .def("set_timestamp_ns", [](PyLoan& l, std::int64_t t) {
            if (!l.loan) throw Closed("loan of frame " + std::to_string(l.frame_number) + " was already published or abandoned");
            l.loan->set_timestamp_ns(t);
        }, py::arg("timestamp_ns"))
        .def("abandon", [](PyLoan& l) {
            py::gil_scoped_release nogil;
            l.abandon();
        }, "Gives the slot back unpublished (idempotent).");

    py::class_<PyWriter>(m, "Writer", "The single writer of a topic (see smx.SMWriter).")
        .def(py::init<const Participant&, std::string, const Schema&, std::uint32_t, std::uint32_t, std::uint32_t,
                      const std::string&, double, const std::optional<std::string>&, int, bool, std::uint32_t,
                      std::optional<double>>(),
             py::arg("participant"), py::arg("topic"), py::arg("schema"), py::arg("slots") = 3,
             py::arg("reader_capacity") = 64, py::arg("mode") = 0600, py::arg("when_full") = "wait",
             py::arg("full_wait") = 0.1, py::arg("compression") = py::none(), py::arg("compression_level") = 1,
             py::arg("network_reliable") = true, py::arg("network_depth") = 3, py::arg("pin_lease") = 10.0,
             py::keep_alive<1, 2>())
        .def("write", &PyWriter::write, py::arg("arrays"), py::arg("timestamp_ns") = py::none(),
             "Copies one frame (arrays in schema order); returns its number, or None if every slot was held.")
        .def("loan", &PyWriter::loan, py::keep_alive<0, 1>())
        .def("publish", &PyWriter::publish, py::arg("loan"))
        .def("close", [](PyWriter& w) {
            py::gil_scoped_release nogil;
            w.close();
        })
        .def_property_readonly("closed", &PyWriter::closed)
        .def_property_readonly("topic", [](PyWriter& w) { return w.raw().topic(); })
        .def_property_readonly("schema", [](PyWriter& w) { return std::const_pointer_cast<Schema>(w.schema()); })
        .def_property_readonly("session", [](PyWriter& w) {
            std::lock_guard<std::mutex> lock(w.mutex());
            return w.raw().session();
        })
        .def_property_readonly("segment_name", [](PyWriter& w) {
            std::lock_guard<std::mutex> lock(w.mutex());
            return w.raw().segment_name();
        })
        .def_property_readonly("reader_count", [](PyWriter& w) {
            std::lock_guard<std::mutex> lock(w.mutex());
            return w.raw().reader_count();
        })
        .def_property_readonly("frames_published", [](PyWriter& w) {
            std::lock_guard<std::mutex> lock(w.mutex());
            return w.raw().frames_published();
        })
        .def_property_readonly("stats", [](PyWriter& w) {
            std::lock_guard<std::mutex> lock(w.mutex());
            const WriterStats s = w.raw().stats();
            py::dict d;
            d["all_slots_held"] = s.all_slots_held;
            d["pins_broken"] = s.pins_broken;
            return d;
        })
        .def_property_readonly("pinning_pids", [](PyWriter& w) {
            std::lock_guard<std::mutex> lock(w.mutex());
            return w.raw().pinning_pids();
        })
        .def_property_readonly("network_stats", [](PyWriter& w) {
            std::lock_guard<std::mutex> lock(w.mutex());
            const NetworkStats s = w.raw().network_stats();
            py::dict d;
            d["remote_readers"] = s.remote_readers;
            d["frames_sent"] = s.frames_sent;
            d["frames_skipped"] = s.frames_skipped;
            d["bytes_sent"] = s.bytes_sent;
            return d;
        });
}

}  // namespace smx::python
