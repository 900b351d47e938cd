#pragma once
/// @file error.hpp
/// The one exception hierarchy of smx: every failure is an `smx::Error` carrying an
/// `ErrorCode`; ordinary outcomes (timeout, nothing new, torn view) are return values.

#include <smx/export.hpp>

#include <stdexcept>
#include <string>

namespace smx {

/// What went wrong, stable across C++ and Python (`smx.Error.code`).
enum class ErrorCode : int {
    invalid_argument = 1,  ///< bad schema, wrong shape/dtype, bad option
    schema_mismatch = 2,   ///< reader template differs from the writer's schema
    writer_exists = 3,     ///< a live writer already owns the topic
    segment_corrupt = 4,   ///< shared segment is truncated, foreign or inconsistent
    out_of_space = 5,      ///< /dev/shm cannot hold the segment
    permission_denied = 6, ///< the segment exists but may not be opened
    system = 7,            ///< another POSIX failure; errno kept
    dds = 8,               ///< Cyclone DDS refused an operation
    no_writer = 9,         ///< the operation needs a writer and none is attached
    closed = 10,           ///< the writer/reader was closed
    too_many_readers = 11, ///< every reader registration of the segment is in use
};

/// Name of a code as used in messages and in Python ("schema_mismatch").
SMX_EXPORT const char* to_string(ErrorCode code) noexcept;

/// Base of every exception smx throws.
class SMX_EXPORT Error : public std::runtime_error {
public:
    Error(ErrorCode code, const std::string& message);
    /// The category of the failure.
    ErrorCode code() const noexcept { return m_code; }

private:
    ErrorCode m_code;
};

/// A schema, shape, dtype or option that cannot be accepted.
class SMX_EXPORT InvalidArgument : public Error {
public:
    explicit InvalidArgument(const std::string& message);
};

/// A reader's template differs from the writer's schema; the message lists every difference.
class SMX_EXPORT SchemaMismatch : public Error {
public:
    explicit SchemaMismatch(const std::string& message);
};

/// Another live writer already owns the topic (its pid and host are in the message).
class SMX_EXPORT WriterExists : public Error {
public:
    explicit WriterExists(const std::string& message);
};

/// The shared segment is not one smx can trust (truncated, wrong magic/version, bad offsets).
class SMX_EXPORT SegmentCorrupt : public Error {
public:
    explicit SegmentCorrupt(const std::string& message);
};

/// /dev/shm is too small for the segment; nothing was left behind.
class SMX_EXPORT OutOfSpace : public Error {
public:
    explicit OutOfSpace(const std::string& message);
};

/// The segment exists but this user may not open it.
class SMX_EXPORT PermissionDenied : public Error {
public:
    explicit PermissionDenied(const std::string& message);
};

/// Any other failing system call; `error_number()` is its errno.
class SMX_EXPORT SystemError : public Error {
public:
    SystemError(int error_number, const std::string& message);
    int error_number() const noexcept { return m_errno; }

private:
    int m_errno;
};

/// Cyclone DDS refused an operation; `dds_code()` is its return code.
class SMX_EXPORT DdsError : public Error {
public:
    DdsError(int dds_code, const std::string& message);
    int dds_code() const noexcept { return m_dds_code; }

private:
    int m_dds_code;
};

/// An operation needed a live writer (for example the schema of a template-less reader).
class SMX_EXPORT NoWriter : public Error {
public:
    explicit NoWriter(const std::string& message);
};

/// The object was closed.
class SMX_EXPORT Closed : public Error {
public:
    explicit Closed(const std::string& message);
};

/// Every reader registration of the writer's segment is taken by a live reader.
class SMX_EXPORT TooManyReaders : public Error {
public:
    explicit TooManyReaders(const std::string& message);
};

}  // namespace smx
