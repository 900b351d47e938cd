// Writes frames and reads them back through the installed library: proves the package works
// for a consumer (headers, exported target, shared library, private Cyclone DDS dependency) in
// the C++ standard it is built with — C++17 and C++20 alike (run.sh builds both) — including
// the calls that take or give spans (smx::span: std::span in C++20, smx's own in C++17).
#include <smx/smx.hpp>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

int fail(const char* what) {
    std::fprintf(stderr, "consumer: %s\n", what);
    return 1;
}

}  // namespace

int main() {
    using namespace std::chrono_literals;
    const std::string topic = "consumer_" + std::to_string(__cplusplus) + "_" + std::to_string(::getpid());
    smx::Participant participant;
    smx::Schema schema{{"values", smx::DType::Kind::f4, {4}}};
    smx::Writer writer(participant, topic, schema);
    smx::Reader reader(participant, topic, schema);
    if (!reader.wait_for_writer(10s)) return fail("no writer");

    // write() from an initializer list, then from a vector of ArrayRefs (a span of them).
    const std::vector<float> values{1.5f, 2.5f, 3.5f, 4.5f};
    if (!writer.write({smx::array_ref(values, {4})})) return fail("write from a list");
    auto frame = reader.next(10s, smx::Hold::pin);
    if (!frame) return fail("no frame");
    const auto v = frame->field<float>("values");
    if (v[3] != 4.5f || v.flat().size() != 4 || frame->bytes(0).size() != 16) return fail("frame 1 differs");
    std::vector<std::byte> copy(schema.frame_size());
    if (!frame->copy_into(copy) || std::memcmp(copy.data(), values.data(), 16) != 0) return fail("copy_into");
    frame.reset();

    const std::vector<float> more{5.5f, 6.5f, 7.5f, 8.5f};
    const std::vector<smx::ArrayRef> fields{smx::array_ref(more, {4})};
    if (!writer.write(fields)) return fail("write from a vector");
    const smx::CopyResult copied = reader.copy_next(
        [&copy](const std::shared_ptr<const smx::Schema>&) { return smx::span<std::byte>(copy); }, 10s);
    float first = 0;
    std::memcpy(&first, copy.data(), sizeof first);
    if (!copied || first != 5.5f) return fail("copy_next into a CopyBuffer");

    // A loan, filled through its bytes.
    auto loan = writer.loan();
    if (!loan) return fail("no loan");
    const smx::span<std::byte> bytes = loan->bytes(0);
    std::memcpy(bytes.data(), values.data(), bytes.size());
    if (!writer.publish(std::move(*loan))) return fail("publish");
    auto last = reader.next(10s, smx::Hold::pin);
    if (!last || last->field<float>("values")[0] != 1.5f) return fail("loaned frame differs");

    std::printf("smx %s consumer (C++ %ld) read %g %g %g %g\n", SMX_VERSION_STRING, static_cast<long>(__cplusplus),
                values[0], values[1], values[2], values[3]);
    return 0;
}
