// Schemas across processes: a reader's template is checked field by field against the writer's,
// and a reader without a template learns the writer's schema.

#include "multiprocess.hpp"
#include "pattern.hpp"

#include <smx/smx.hpp>

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using smx::test::Child;

namespace {

using K = smx::DType::Kind;

// The writer's schema, as the peer spells it and as C++ does.
constexpr const char* WRITER_SPEC = "spec:color:|u1:480x640x3,depth:<u2:480x640,pose:<f8:4x4,label:<i4:1";
smx::Schema writer_schema() {
    return smx::Schema{{"color", K::u1, {480, 640, 3}}, {"depth", K::u2, {480, 640}}, {"pose", K::f8, {4, 4}},
                       {"label", K::i4, {1}}};
}

// Same color; depth of another size; pose in another dtype; a field the writer lacks; and the
// writer's label missing.
smx::Schema reader_template() {
    return smx::Schema{{"color", K::u1, {480, 640, 3}}, {"depth", K::u2, {480, 848}}, {"pose", K::f4, {4, 4}},
                       {"conf", K::f4, {480, 848}}};
}

const std::vector<std::string> EVERY_DIFFERENCE = {
    "depth: shape (480, 848) vs (480, 640)",
    "pose: dtype <f4 vs <f8",
    "conf: missing in the writer's schema (expected <f4 (480, 848))",
    "label: only in the writer's schema (<i4 (1,))",
};

}  // namespace

TEST(SchemaCheck, a_reader_whose_template_differs_fails_with_an_error_naming_every_difference) {
    const std::string topic = smx::test::unique_topic("mismatch");
    smx::test::ShmGuard guard(topic);
    Child writer({smx::test::peer(), "writer", "--topic", topic, "--schema", WRITER_SPEC, "--frames", "1", "--linger"});
    ASSERT_TRUE(writer.wait_for_line("PUBLISHED", 10s)) << writer.transcript();

    {
        smx::Participant participant;
        smx::Reader reader(participant, topic, reader_template());
        try {
            reader.wait_for_writer(10s);
            FAIL() << "a reader with a different template attached";
        } catch (const smx::SchemaMismatch& e) {
            EXPECT_EQ(e.code(), smx::ErrorCode::schema_mismatch);
            const std::string msg = e.what();
            for (const auto& difference : EVERY_DIFFERENCE)
                EXPECT_NE(msg.find(difference), std::string::npos) << "missing '" << difference << "' in: " << msg;
            EXPECT_EQ(msg.find("color"), std::string::npos) << "an equal field is named as different: " << msg;
            EXPECT_NE(msg.find(topic), std::string::npos) << msg;
            EXPECT_NE(msg.find("pid " + std::to_string(writer.pid())), std::string::npos) << msg;
        }
        // It stays refused (no frame handed out against the wrong layout).
        EXPECT_THROW(reader.latest(), smx::SchemaMismatch);
        EXPECT_NE(reader.state(), smx::ReaderState::attached);
    }

    // The same from a reader process (template "rgbd640" vs this writer's schema).
    Child reader({smx::test::peer(), "reader", "--topic", topic, "--schema", "rgbd640", "--timeout-ms", "10000"});
    const auto line = reader.wait_for_line("EXCEPTION", 15s);
    ASSERT_TRUE(line) << reader.transcript();
    EXPECT_NE(line->find("schema_mismatch"), std::string::npos) << *line;
    for (const auto& difference : smx::pattern::rgbd_schema(640, 480).differences(writer_schema()))
        EXPECT_NE(line->find(difference), std::string::npos) << "missing '" << difference << "' in: " << *line;
    EXPECT_NE(reader.exit_code(10s), 0);

    writer.send_line("quit");
    EXPECT_EQ(writer.exit_code(10s), 0) << writer.transcript();
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}

TEST(SchemaCheck, a_reader_without_a_template_learns_the_writers_schema) {
    const std::string topic = smx::test::unique_topic("learn");
    smx::test::ShmGuard guard(topic);
    Child writer({smx::test::peer(), "writer", "--topic", topic, "--schema", WRITER_SPEC, "--frames", "2", "--linger"});
    ASSERT_TRUE(writer.wait_for_line("PUBLISHED", 10s)) << writer.transcript();
    const smx::Schema expected = writer_schema();

    {
        smx::Participant participant;
        smx::Reader reader(participant, topic);
        EXPECT_EQ(reader.schema_if_known(), nullptr);
        ASSERT_TRUE(reader.wait_for_writer(10s));
        EXPECT_EQ(reader.schema(), expected);
        EXPECT_EQ(reader.schema().to_string(), expected.to_string());
        for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(reader.schema().offset(i), expected.offset(i));
        auto f = reader.next(10s);
        ASSERT_TRUE(f);
        EXPECT_EQ(f->frame_number(), 2u);
        EXPECT_TRUE(smx::pattern::check_all(*f, 2));
        EXPECT_EQ(f->field<std::uint16_t>("depth").shape(), (smx::Shape{480, 640}));
    }

    Child reader({smx::test::peer(), "reader", "--topic", topic, "--schema", "none", "--until", "2",
                  "--timeout-ms", "10000"});
    const auto attached = reader.wait_for_line("ATTACHED", 15s);
    ASSERT_TRUE(attached) << reader.transcript();
    EXPECT_EQ(*attached, "ATTACHED " + expected.to_string());
    const auto result = reader.wait_for_line("RESULT", 15s);
    ASSERT_TRUE(result) << reader.transcript();
    EXPECT_EQ(smx::test::values(*result)["accepted"], 1u) << *result;
    EXPECT_EQ(reader.exit_code(10s), 0);

    writer.send_line("quit");
    EXPECT_EQ(writer.exit_code(10s), 0) << writer.transcript();
    EXPECT_TRUE(smx::test::shm_entries_containing(topic).empty());
}
