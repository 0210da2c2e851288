// Recognising a full disk and saying where it is (see disk_space.h).
#include "payload/disk_space.h"

#include <cerrno>
#include <filesystem>
#include <fmt/format.h>
#include <optional>
#include <sys/stat.h>
#include <sys/statvfs.h>

namespace lp::payload {
namespace fs = std::filesystem;
namespace {

// What strerror says for ENOSPC and EDQUOT, as tools print it.
constexpr std::string_view kMessages[] = {"No space left on device", "Disk quota exceeded"};

// `path`, or its nearest parent that exists.
fs::path existing(const std::string &path) {
  std::error_code ec;
  fs::path p = fs::absolute(path, ec);
  while (!p.empty() && !fs::exists(p, ec) && p != p.root_path())
    p = p.parent_path();
  return p.empty() ? fs::path("/") : p;
}

std::optional<unsigned long long> free_bytes(const std::string &path) {
  struct statvfs vfs {};
  if (::statvfs(existing(path).c_str(), &vfs) != 0)
    return std::nullopt;
  return static_cast<unsigned long long>(vfs.f_bavail) * vfs.f_frsize;
}

// The top folder of the filesystem holding `path`: the last parent on the
// same device.
std::string mount_point(const std::string &path) {
  fs::path p = existing(path);
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0)
    return p.string();
  dev_t dev = st.st_dev;
  while (p != p.root_path()) {
    struct stat up {};
    if (::stat(p.parent_path().c_str(), &up) != 0 || up.st_dev != dev)
      break;
    p = p.parent_path();
  }
  return p.string();
}

} // namespace

bool is_no_space_errno(int err) { return err == ENOSPC || err == EDQUOT; }

bool mentions_no_space(std::string_view text) {
  for (std::string_view m : kMessages)
    if (text.find(m) != std::string_view::npos)
      return true;
  return false;
}

bool filesystem_full(const std::string &path) {
  auto free = free_bytes(path);
  return free && *free == 0;
}

std::string describe_location(const std::string &path) {
  auto free = free_bytes(path);
  return fmt::format("{} (filesystem mounted at {}, {} KiB free)", path, mount_point(path),
                     free ? *free / 1024 : 0);
}

std::string no_space_writing(const std::string &path) {
  return "no space left on device writing " + describe_location(path);
}

std::string fullest(const std::vector<std::string> &candidates) {
  std::string best;
  std::optional<unsigned long long> least;
  for (const std::string &c : candidates) {
    auto free = free_bytes(c);
    if (free && (!least || *free < *least)) {
      least = free;
      best = c;
    }
  }
  return best.empty() && !candidates.empty() ? candidates.front() : best;
}

} // namespace lp::payload
