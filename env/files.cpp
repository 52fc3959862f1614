#include "env/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>

namespace payrecon::env {
namespace {

std::runtime_error OsError(const std::string& what, const std::string& path) {
  return std::runtime_error(what + " \"" + path + "\": " + std::strerror(errno));
}

// Closes the descriptor and removes the temporary file unless released.
struct TempFile {
  int fd = -1;
  std::string path;
  bool keep = false;
  ~TempFile() {
    if (fd >= 0) ::close(fd);
    if (!keep && !path.empty()) ::unlink(path.c_str());
  }
};

}  // namespace

void WriteFileAtomically(const std::string& path, std::string_view text, mode_t mode) {
  const std::filesystem::path target(path);
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  std::random_device rd;
  TempFile tmp;
  tmp.path = dir + "/." + target.filename().string() + "." + std::to_string(rd()) + ".tmp";
  tmp.fd = ::open(tmp.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (tmp.fd < 0) {
    const std::string failed = tmp.path;
    tmp.path.clear();
    throw OsError("cannot create", failed);
  }
  // open() applies the umask; the mode is a contract (reports must not become world-readable under umask 0000).
  if (::fchmod(tmp.fd, mode) != 0) throw OsError("cannot chmod", tmp.path);
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(tmp.fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw OsError("cannot write", tmp.path);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(tmp.fd) != 0) throw OsError("cannot fsync", tmp.path);
  if (::close(tmp.fd) != 0) {
    tmp.fd = -1;
    throw OsError("cannot close", tmp.path);
  }
  tmp.fd = -1;
  if (::rename(tmp.path.c_str(), path.c_str()) != 0) throw OsError("cannot rename to", path);
  tmp.keep = true;
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace payrecon::env
