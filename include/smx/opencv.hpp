#pragma once
/// @file opencv.hpp
/// Zero-copy `cv::Mat` headers over smx fields, for code that processes frames with OpenCV.
/// Include it only where OpenCV's core headers are (Debian: libopencv-core-dev); libsmx itself
/// never depends on OpenCV.
///
///     cv::Mat depth = smx::as_mat(frame->depth);      // CV_16UC1, 480 x 848, the slot's bytes
///     cv::Mat color = smx::as_mat(loan->color);       // CV_8UC3: OpenCV reads it as BGR
///
/// The Mat does not own the memory: it is valid while the frame or loan it came from is (pin a
/// frame you process). A Mat over a reader's frame must only be read: cv::Mat has no read-only
/// form, and the slot's pages are mapped read-only (a write faults).

#include <smx/array.hpp>
#include <smx/dtype.hpp>
#include <smx/error.hpp>
#include <smx/typed.hpp>

#include <opencv2/core.hpp>

#include <cstdint>
#include <type_traits>

namespace smx {

namespace detail {
template <class T>
constexpr int cv_depth() {
    using U = std::remove_cv_t<T>;
    if constexpr (std::is_same_v<U, std::uint8_t>) return CV_8U;
    else if constexpr (std::is_same_v<U, std::int8_t>) return CV_8S;
    else if constexpr (std::is_same_v<U, std::uint16_t>) return CV_16U;
    else if constexpr (std::is_same_v<U, std::int16_t>) return CV_16S;
    else if constexpr (std::is_same_v<U, std::int32_t>) return CV_32S;
    else if constexpr (std::is_same_v<U, float>) return CV_32F;
    else if constexpr (std::is_same_v<U, double>) return CV_64F;
    else if constexpr (std::is_same_v<U, float16>) return CV_16F;
    else return -1;
}
}  // namespace detail

/// A cv::Mat over a Tensor of shape (H, W) or (H, W, C): H rows, W columns, C channels (1 without
/// a third dimension), the element type's OpenCV depth. No copy. The compiler refuses other ranks
/// and element types OpenCV has no depth for (bool, 64-bit integers, complex).
template <class T, std::size_t H, std::size_t W, std::size_t... C>
cv::Mat as_mat(Tensor<T, H, W, C...>& tensor) {
    static_assert(sizeof...(C) <= 1, "smx::as_mat: a Tensor of shape (H, W) or (H, W, C)");
    static_assert(detail::cv_depth<T>() >= 0, "smx::as_mat: OpenCV has no depth for this element type");
    constexpr int channels = static_cast<int>((std::size_t{1} * ... * C));
    static_assert(channels <= CV_CN_MAX, "smx::as_mat: more channels than OpenCV allows");
    static_assert(H <= INT32_MAX && W <= INT32_MAX, "smx::as_mat: OpenCV's rows and columns are ints");
    return cv::Mat(static_cast<int>(H), static_cast<int>(W), CV_MAKETYPE(detail::cv_depth<T>(), channels),
                   static_cast<void*>(tensor.data()));
}

/// Tensors of rank 0 or 1 are no images: say so, instead of a list of overloads that do not fit.
template <class T, std::size_t... D, std::enable_if_t<(sizeof...(D) < 2), int> = 0>
cv::Mat as_mat(const Tensor<T, D...>&) {
    static_assert(sizeof...(D) >= 2, "smx::as_mat: a Tensor of shape (H, W) or (H, W, C); this one has fewer dimensions");
    return {};
}

/// The same over a read-only Tensor (a reader's frame): read the Mat, never write it.
template <class T, std::size_t H, std::size_t W, std::size_t... C>
const cv::Mat as_mat(const Tensor<T, H, W, C...>& tensor) {
    return as_mat(const_cast<Tensor<T, H, W, C...>&>(tensor));
}

/// The same over an untyped field view; throws InvalidArgument unless its shape is (H, W) or
/// (H, W, C) with C <= CV_CN_MAX and T has an OpenCV depth.
template <class T>
cv::Mat as_mat(const ArrayView<T>& view) {
    static_assert(detail::cv_depth<T>() >= 0, "smx::as_mat: OpenCV has no depth for this element type");
    const Shape& s = view.shape();
    if (s.ndim() < 2 || s.ndim() > 3 || (s.ndim() == 3 && s[2] > CV_CN_MAX) || s[0] > INT32_MAX || s[1] > INT32_MAX)
        throw InvalidArgument("smx::as_mat: a field of shape " + s.to_string() +
                              " is no image; OpenCV takes (H, W) or (H, W, C) with C <= " + std::to_string(CV_CN_MAX));
    const int channels = s.ndim() == 3 ? static_cast<int>(s[2]) : 1;
    return cv::Mat(static_cast<int>(s[0]), static_cast<int>(s[1]), CV_MAKETYPE(detail::cv_depth<T>(), channels),
                   const_cast<std::remove_const_t<T>*>(view.data()));
}

}  // namespace smx
