#include <smx/error.hpp>

namespace smx {

const char* to_string(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::invalid_argument: return "invalid_argument";
        case ErrorCode::schema_mismatch: return "schema_mismatch";
        case ErrorCode::writer_exists: return "writer_exists";
        case ErrorCode::segment_corrupt: return "segment_corrupt";
        case ErrorCode::out_of_space: return "out_of_space";
        case ErrorCode::permission_denied: return "permission_denied";
        case ErrorCode::system: return "system";
        case ErrorCode::dds: return "dds";
        case ErrorCode::no_writer: return "no_writer";
        case ErrorCode::closed: return "closed";
        case ErrorCode::too_many_readers: return "too_many_readers";
    }
    return "unknown";
}

Error::Error(ErrorCode code, const std::string& message) : std::runtime_error(message), m_code(code) {}
InvalidArgument::InvalidArgument(const std::string& m) : Error(ErrorCode::invalid_argument, m) {}
SchemaMismatch::SchemaMismatch(const std::string& m) : Error(ErrorCode::schema_mismatch, m) {}
WriterExists::WriterExists(const std::string& m) : Error(ErrorCode::writer_exists, m) {}
SegmentCorrupt::SegmentCorrupt(const std::string& m) : Error(ErrorCode::segment_corrupt, m) {}
OutOfSpace::OutOfSpace(const std::string& m) : Error(ErrorCode::out_of_space, m) {}
PermissionDenied::PermissionDenied(const std::string& m) : Error(ErrorCode::permission_denied, m) {}
SystemError::SystemError(int e, const std::string& m) : Error(ErrorCode::system, m), m_errno(e) {}
DdsError::DdsError(int c, const std::string& m) : Error(ErrorCode::dds, m), m_dds_code(c) {}
NoWriter::NoWriter(const std::string& m) : Error(ErrorCode::no_writer, m) {}
Closed::Closed(const std::string& m) : Error(ErrorCode::closed, m) {}
TooManyReaders::TooManyReaders(const std::string& m) : Error(ErrorCode::too_many_readers, m) {}

}  // namespace smx
