// The original-build cache (see build_cache.h).
#include "payload/build_cache.h"

#include "elf/atomic_file.h"
#include "elf/error.h"
#include "payload/digest.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fmt/format.h>
#include <map>
#include <string_view>
#include <sstream>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lp::payload {
namespace fs = std::filesystem;
namespace {

void write_text(const std::string &path, const std::string &text) {
  lp::write_file_atomically(path, std::span(reinterpret_cast<const uint8_t *>(text.data()), text.size()));
}

} // namespace

std::string cache_key(const CacheKeyInputs &in) {
  Sha256 h;
  for (const std::string *part : {&in.tree_hash, &in.config_text, &in.compiler_version,
                                  &in.make_vars, &in.tool_version}) {
    h.update(std::to_string(part->size()) + ":");
    h.update(*part);
  }
  return to_hex(h.finish()).substr(0, 32);
}

std::string default_cache_root() {
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return std::string(xdg) + "/livepatch-build";
  if (const char *home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.cache/livepatch-build";
  return (fs::temp_directory_path() / "livepatch-build-cache").string();
}

namespace {

// Characters a path may hold and still pass through make and the shell
// unquoted: letters, digits, a few punctuation marks, and every byte of a
// UTF-8 sequence.
bool make_safe(unsigned char c) {
  return c >= 0x80 || std::isalnum(c) || std::string_view("/._-+,@").find(static_cast<char>(c)) !=
                                             std::string_view::npos;
}

std::string describe_char(unsigned char c) {
  static const std::map<unsigned char, std::string> names = {
      {' ', "a space"}, {'\t', "a tab"}, {'\n', "a newline"}};
  auto it = names.find(c);
  return it != names.end() ? it->second : fmt::format("'{}'", static_cast<char>(c));
}

// The lock holder's pid, in the lock file: for a person looking at a stuck
// run, and nothing else (the lock itself is the kernel's flock).
void write_owner(int fd) {
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0 && ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // the owner record is informative only
  }
}

} // namespace

void check_cache_root(const std::string &root) {
  for (unsigned char c : root)
    if (!make_safe(c))
      throw FileError(root, fmt::format("the cache folder's path holds {}, which make cannot "
                                        "build in; choose another folder with --cache-dir or "
                                        "XDG_CACHE_HOME",
                                        describe_char(c)));
}

CacheEntry::CacheEntry(const std::string &root, const std::string &key) : dir_(root + "/" + key) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec)
    throw FileError(dir_, "cannot create cache folder: " + ec.message());
  std::string lock = dir_ + ".lock";
  lock_fd_ = open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0)
    throw FileError(lock, std::strerror(errno));
  while (flock(lock_fd_, LOCK_EX) < 0) {
    if (errno != EINTR)
      throw FileError(lock, std::strerror(errno));
  }
  write_owner(lock_fd_);
  remove_stale_temporaries(dir_, false);
  remove_stale_temporaries(dir_ + "/bin", false);
}

CacheEntry::~CacheEntry() {
  if (lock_fd_ >= 0)
    close(lock_fd_);
}

// The copy carries the source's modification time, so an unchanged wrapper is
// recognised from two stat calls (rsync's quick check) instead of by reading
// both files on every run.
std::string CacheEntry::install_wrapper(const std::string &wrapper) const {
  std::string installed = dir_ + "/bin/livepatch-gcc";
  struct stat src {}, dst {};
  if (::stat(wrapper.c_str(), &src) != 0)
    throw FileError(wrapper, std::strerror(errno));
  if (::stat(installed.c_str(), &dst) == 0 && dst.st_size == src.st_size &&
      dst.st_mtim.tv_sec == src.st_mtim.tv_sec && dst.st_mtim.tv_nsec == src.st_mtim.tv_nsec)
    return installed;
  std::error_code ec;
  fs::create_directories(dir_ + "/bin", ec);
  if (ec)
    throw FileError(dir_ + "/bin", "cannot create folder: " + ec.message());
  std::string bytes = lp::read_file(wrapper);
  lp::write_file_atomically(
      installed, std::span(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()), 0755);
  struct timespec times[2] = {src.st_atim, src.st_mtim};
  if (::utimensat(AT_FDCWD, installed.c_str(), times, 0) != 0)
    throw FileError(installed, std::strerror(errno));
  return installed;
}

bool CacheEntry::complete() const {
  return fs::exists(dir_ + "/complete") && fs::is_directory(pristine());
}

void CacheEntry::mark_complete() { write_text(dir_ + "/complete", "complete\n"); }

bool CacheEntry::build_dirty() const {
  return fs::exists(dir_ + "/build-dirty") || !fs::is_directory(build());
}

void CacheEntry::set_build_dirty(bool dirty) {
  if (dirty)
    write_text(dir_ + "/build-dirty", std::to_string(::getpid()) + "\n");
  else
    fs::remove(dir_ + "/build-dirty");
}

std::string CacheEntry::dirty_reason() const {
  if (!fs::is_directory(build()))
    return "the build copy is missing";
  if (!fs::exists(dir_ + "/build-dirty"))
    return "";
  long writer = std::strtol(lp::read_file(dir_ + "/build-dirty").c_str(), nullptr, 10);
  if (writer <= 0)
    return "the build copy was left patched";
  return fmt::format("the build copy was left patched by run {}", writer);
}

std::map<std::string, std::string> CacheEntry::facts() const {
  std::map<std::string, std::string> out;
  if (!fs::exists(dir_ + "/facts"))
    return out;
  std::istringstream in(lp::read_file(dir_ + "/facts"));
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos)
      out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

void CacheEntry::set_facts(const std::map<std::string, std::string> &facts) {
  std::string text;
  for (const auto &[k, v] : facts)
    text += k + "=" + v + "\n";
  write_text(dir_ + "/facts", text);
}

} // namespace lp::payload
