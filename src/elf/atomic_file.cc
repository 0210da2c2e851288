// Atomic file output and whole-file input.
//
// write_file_atomically() writes to "<path>.tmp.<pid>" in the destination
// folder, fsyncs, sets the mode and renames over the destination, so readers
// see either the old file or the complete new one, never a partial write. Any
// failure removes the temporary and throws FileError naming the destination.
// The temporary's name carries the writer's pid so that a later run can tell
// a dead writer's leftover from a live one's work in progress.
#include "elf/atomic_file.h"

#include "elf/error.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <optional>
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

// The one place that names temporaries; remove_stale_temporaries parses it.
constexpr std::string_view kTmpMarker = ".tmp.";

std::string temporary_name(const std::string &path) {
  return path + std::string(kTmpMarker) + std::to_string(::getpid());
}

// The pid of a "<name>.tmp.<pid>" file name, if it is one.
std::optional<pid_t> temporary_owner(std::string_view name) {
  auto at = name.rfind(kTmpMarker);
  if (at == std::string_view::npos || at == 0)
    return std::nullopt;
  std::string_view digits = name.substr(at + kTmpMarker.size());
  if (digits.empty() || digits.size() > 9 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  pid_t pid = static_cast<pid_t>(std::stol(std::string(digits)));
  return pid > 0 ? std::optional<pid_t>(pid) : std::nullopt;
}

bool process_gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

} // namespace

std::vector<std::string> remove_stale_temporaries(const std::string &folder, bool recursive) {
  namespace fs = std::filesystem;
  std::vector<std::string> removed;
  std::error_code ec;
  auto options = fs::directory_options::skip_permission_denied;
  auto consider = [&](const fs::directory_entry &e) {
    std::error_code sec;
    if (!e.is_regular_file(sec))
      return;
    auto owner = temporary_owner(e.path().filename().string());
    struct stat st {};
    if (!owner || ::lstat(e.path().c_str(), &st) != 0 || st.st_uid != ::getuid() ||
        !process_gone(*owner))
      return;
    if (::unlink(e.path().c_str()) == 0)
      removed.push_back(e.path().string());
  };
  if (recursive) {
    for (auto it = fs::recursive_directory_iterator(folder, options, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
      consider(*it);
  } else {
    for (auto it = fs::directory_iterator(folder, options, ec);
         !ec && it != fs::directory_iterator(); it.increment(ec))
      consider(*it);
  }
  std::sort(removed.begin(), removed.end());
  return removed;
}

void write_file_atomically(const std::string &path, std::span<const uint8_t> bytes,
                           unsigned mode) {
  std::string tmp = temporary_name(path);
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

void copy_file_atomically(const std::string &from, const std::string &to) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0)
    throw FileError(from, errno_text());
  struct stat st {};
  if (::fstat(in, &st) != 0) {
    std::string err = errno_text();
    ::close(in);
    throw FileError(from, err);
  }
  std::string tmp = temporary_name(to);
  TempFile file(tmp);
  if (!file.ok()) {
    std::string err = errno_text();
    ::close(in);
    throw FileError(to, err);
  }
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      std::string err = errno_text();
      ::close(in);
      throw FileError(from, err);
    }
    if (n == 0)
      break;
    if (!write_all(file.fd(), std::span(reinterpret_cast<const uint8_t *>(buf), size_t(n)))) {
      std::string err = errno_text();
      ::close(in);
      throw FileError(to, err);
    }
  }
  ::close(in);
  if (::fchmod(file.fd(), st.st_mode & 07777) != 0 || ::fsync(file.fd()) != 0 || !file.close())
    throw FileError(to, errno_text());
  if (::rename(tmp.c_str(), to.c_str()) != 0)
    throw FileError(to, errno_text());
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
