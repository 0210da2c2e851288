// Atomic file output and whole-file input.
//
// write_file_atomically() writes to "<path>.tmp.<pid>" in the destination
// folder, fsyncs, sets the mode and renames over the destination, so readers
// see either the old file or the complete new one, never a partial write. Any
// failure removes the temporary and throws FileError naming the destination.
#include "elf/atomic_file.h"

#include "elf/error.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace lp {
namespace {

std::string errno_text() { return std::strerror(errno); }

// Owns a file descriptor and the temporary name until the rename succeeds.
class TempFile {
public:
  explicit TempFile(std::string name) : name_(std::move(name)) {
    fd_ = ::open(name_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  }
  ~TempFile() {
    if (fd_ >= 0)
      ::close(fd_);
    if (!committed_)
      ::unlink(name_.c_str());
  }
  TempFile(const TempFile &) = delete;
  TempFile &operator=(const TempFile &) = delete;

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  bool close() {
    int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }
  void commit() { committed_ = true; }

private:
  std::string name_;
  int fd_ = -1;
  bool committed_ = false;
};

bool write_all(int fd, std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

} // namespace

void write_file_atomically(const std::string &path, std::span<const uint8_t> bytes,
                           unsigned mode) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  TempFile file(tmp);
  if (!file.ok())
    throw FileError(path, errno_text());
  if (!write_all(file.fd(), bytes) || ::fchmod(file.fd(), mode) != 0 || ::fsync(file.fd()) != 0)
    throw FileError(path, errno_text());
  if (!file.close())
    throw FileError(path, errno_text());
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    throw FileError(path, errno_text());
  file.commit();
}

std::string read_file(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw FileError(path, errno_text());
  struct stat st {};
  std::string out;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
    out.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      std::string err = errno_text();
      ::close(fd);
      throw FileError(path, err);
    }
    if (n == 0)
      break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

} // namespace lp
