// Writes one frame and reads it back through the installed library: proves the package works
// for a consumer (headers, exported target, shared library, private Cyclone DDS dependency).
#include <smx/smx.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <unistd.h>
#include <vector>

int main() {
    using namespace std::chrono_literals;
    const std::string topic = "consumer_" + std::to_string(::getpid());
    smx::Participant participant;
    smx::Schema schema{{"values", smx::DType::Kind::f4, {4}}};
    smx::Writer writer(participant, topic, schema);
    smx::Reader reader(participant, topic, schema);
    if (!reader.wait_for_writer(10s)) {
        std::fprintf(stderr, "no writer\n");
        return 1;
    }
    const std::vector<float> values{1.5f, 2.5f, 3.5f, 4.5f};
    if (!writer.write({smx::array_ref(values, {4})})) return 1;
    auto frame = reader.next(10s, smx::Hold::pin);
    if (!frame) {
        std::fprintf(stderr, "no frame\n");
        return 1;
    }
    const auto v = frame->field<float>("values");
    std::printf("smx %s consumer read %g %g %g %g\n", SMX_VERSION_STRING, v[0], v[1], v[2], v[3]);
    return v[3] == 4.5f ? 0 : 1;
}
