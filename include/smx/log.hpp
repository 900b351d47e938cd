#pragma once
/// @file log.hpp
/// Where smx's warnings go. The library logs rarely and never on its usual path: a writer
/// whose slots are all pinned (at most once per 10 s per writer, naming the pinning readers'
/// pids) and a pin it broke after its lease (WriterOptions::pin_lease). By default a line goes
/// to stderr as "smx: warning: <message>"; an application (or the Python package, which passes
/// them to the `logging` logger "smx") may take them instead.

#include <smx/export.hpp>

#include <functional>
#include <string>

namespace smx {

enum class LogLevel {
    warning,  ///< something the user should act on; smx carries on
};

/// Receives every log message; may be called from any thread that uses smx, so it must be
/// thread-safe, and it must not throw (an exception is dropped) or call back into smx.
using LogHandler = std::function<void(LogLevel, const std::string& message)>;

/// Replaces the handler for the whole process; an empty handler restores the default (stderr).
SMX_EXPORT void set_log_handler(LogHandler handler);

/// Sends a message to the current handler (exceptions of the handler are dropped).
SMX_EXPORT void log(LogLevel level, const std::string& message) noexcept;

}  // namespace smx
