#pragma once
// Surviving truncation. A mapped shared-memory object that another process shrinks (anyone who
// can write the file can) raises SIGBUS on the next access to a page past its new end; the
// default action kills the process. smx registers every mapping it makes here; a SIGBUS inside
// one replaces that whole mapping with private zero pages (the faulting access then completes,
// reading zeros) and marks it hit, so the owner can tell the segment is lost and say so. A
// SIGBUS anywhere else goes to the handler that was installed before smx's (or kills, as
// without smx).

#include <cstddef>

namespace smx::detail::bus_guard {

/// Watches [start, start + length). Returns the registration to pass to hit() and remove(), or
/// -1 if the table is full (the range is then unguarded, as without smx). Installs the SIGBUS
/// handler on first use.
int add(void* start, std::size_t length, bool writable) noexcept;
/// Stops watching (before the range is unmapped).
void remove(int registration) noexcept;
/// True once a SIGBUS hit the range: its contents are zeros from then on, not the file's.
bool hit(int registration) noexcept;

}  // namespace smx::detail::bus_guard
