// ArrayView and array_ref: sizes and indices are checked — array_ref against the shape always,
// ArrayView::at always, operator() and operator[] by assert in debug builds (this file is one).
#undef NDEBUG  // before any include: the asserts of array.hpp are what is tested

#include <smx/array.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

using K = smx::DType::Kind;

namespace {

template <class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const smx::InvalidArgument& e) {
        return e.what();
    }
    return "(no InvalidArgument)";
}

}  // namespace

TEST(ArrayRef, a_container_of_the_shapes_size_is_described_with_its_dtype) {
    const std::vector<std::uint16_t> depth(480 * 640);
    const smx::ArrayRef r = smx::array_ref(depth, smx::Shape{480, 640}, "depth");
    EXPECT_EQ(r.data, depth.data());
    EXPECT_EQ(r.dtype, smx::DType(K::u2));
    EXPECT_EQ(r.shape, (smx::Shape{480, 640}));
    const std::array<double, 16> m{};
    EXPECT_EQ(smx::array_ref(m, smx::Shape{4, 4}).data, m.data());
}

TEST(ArrayRef, a_container_too_small_or_too_large_for_the_shape_is_refused_naming_both_sizes) {
    const std::vector<std::uint16_t> small(10);
    EXPECT_EQ(message_of([&] { (void)smx::array_ref(small, smx::Shape{480, 640}, "depth"); }),
              "array_ref 'depth': 10 elements given, shape (480, 640) needs 307200");
    const std::vector<float> large(13);
    EXPECT_EQ(message_of([&] { (void)smx::array_ref(large, smx::Shape{3, 4}); }),
              "array_ref: 13 elements given, shape (3, 4) needs 12");
    const std::span<const float> span(large.data(), 11);
    EXPECT_EQ(message_of([&] { (void)smx::array_ref(span, smx::Shape{3, 4}); }),
              "array_ref: 11 elements given, shape (3, 4) needs 12");
}

TEST(ArrayView, at_checks_every_index_and_their_number) {
    std::vector<int> v(6);
    for (int i = 0; i < 6; ++i) v[static_cast<std::size_t>(i)] = i;
    const smx::ArrayView<int> a(v.data(), smx::Shape{2, 3});
    EXPECT_EQ(a.at(1, 2), 5);
    EXPECT_EQ(a(1, 0), 3);
    EXPECT_EQ(message_of([&] { (void)a.at(2, 0); }), "ArrayView::at: index 2 of dimension 0 is out of range for shape (2, 3)");
    EXPECT_EQ(message_of([&] { (void)a.at(0, -1); }), "ArrayView::at: index -1 of dimension 1 is out of range for shape (2, 3)");
    EXPECT_EQ(message_of([&] { (void)a.at(1); }), "ArrayView::at: 1 indices for shape (2, 3)");
}

TEST(ArrayViewDeathTest, out_of_range_access_aborts_in_a_debug_build) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    std::vector<int> v(6);
    const smx::ArrayView<int> a(v.data(), smx::Shape{2, 3});
    EXPECT_DEATH((void)a(0, 3), "index out of range");
    EXPECT_DEATH((void)a(2, 0), "index out of range");
    EXPECT_DEATH((void)a[6], "flat index out of range");
    EXPECT_DEATH((void)a(1), "as many indices as dimensions");
}
