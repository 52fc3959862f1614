#pragma once
// Files replaced whole, so that a reader (a metrics collector, an operator, the next run) sees the old content or
// the new one, never a mix, even across a crash or power loss.
#include <sys/types.h>

#include <string>
#include <string_view>

namespace payrecon::env {

// Replaces `path` with `text`, with exactly `mode` whatever the umask: a hidden temporary file in the same folder, fsync of the file, rename
// over `path`, fsync of the folder so the rename itself survives a crash. The temporary name starts with a dot
// (collectors that read `*.prom` never see it) and is removed when anything fails. Throws std::runtime_error
// naming the path and the OS reason.
void WriteFileAtomically(const std::string& path, std::string_view text, mode_t mode = 0644);

}  // namespace payrecon::env
