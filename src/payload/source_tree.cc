// Source tree hashing, copying and patch file lists (see source_tree.h).
#include "payload/source_tree.h"

#include "elf/atomic_file.h"
#include "elf/error.h"
#include "payload/digest.h"
#include "payload/process.h"

#include <algorithm>
#include <filesystem>
#include <fcntl.h>
#include <fstream>
#include <sys/stat.h>
#include <set>
#include <sstream>

namespace lp::payload {
namespace fs = std::filesystem;
namespace {

std::vector<fs::path> sorted_entries(const fs::path &root) {
  std::vector<fs::path> out;
  auto it = fs::recursive_directory_iterator(root);
  for (; it != fs::recursive_directory_iterator(); ++it) {
    if (it->path().filename() == ".git" && it->is_directory()) {
      it.disable_recursion_pending();
      continue;
    }
    out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void hash_file(Sha256 &h, const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), buf.size());
    h.update(std::string_view(buf.data(), in.gcount()));
  }
}

std::string strip_one_component(std::string path) {
  auto tab = path.find('\t');
  if (tab != std::string::npos)
    path.erase(tab);
  while (!path.empty() && (path.back() == ' ' || path.back() == '\r'))
    path.pop_back();
  auto slash = path.find('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

} // namespace

std::string tree_content_hash(const std::string &root) {
  Sha256 h;
  for (const fs::path &p : sorted_entries(root)) {
    auto st = fs::symlink_status(p);
    std::string rel = p.lexically_relative(root).string();
    if (fs::is_symlink(st)) {
      h.update("L " + rel + "\n" + fs::read_symlink(p).string() + "\n");
    } else if (fs::is_regular_file(st)) {
      bool exec = (st.permissions() & fs::perms::owner_exec) != fs::perms::none;
      h.update((exec ? "X " : "F ") + rel + "\n" + std::to_string(fs::file_size(p)) + "\n");
      hash_file(h, p);
    } else if (fs::is_directory(st)) {
      h.update("D " + rel + "\n");
    }
  }
  return to_hex(h.finish());
}

void copy_tree(const std::string &src, const std::string &dst) {
  std::string out;
  int rc = run_capture({"cp", "-a", "--reflink=auto", src, dst}, out);
  check_interrupted();
  if (rc != 0)
    throw FileError(dst, "copying " + src + " failed: " + out.substr(0, out.find('\n')));
}

namespace {

bool same_file(const fs::path &a, const fs::path &b) {
  struct stat sa {}, sb {};
  if (lstat(a.c_str(), &sa) != 0 || lstat(b.c_str(), &sb) != 0)
    return false;
  return sa.st_mode == sb.st_mode && sa.st_size == sb.st_size &&
         sa.st_mtim.tv_sec == sb.st_mtim.tv_sec && sa.st_mtim.tv_nsec == sb.st_mtim.tv_nsec;
}

void copy_entry(const fs::path &from, const fs::path &to) {
  std::error_code ec;
  fs::remove_all(to, ec);
  auto st = fs::symlink_status(from);
  if (fs::is_symlink(st))
    fs::copy_symlink(from, to);
  else if (fs::is_directory(st))
    fs::create_directory(to, from);
  else
    fs::copy_file(from, to);
  struct stat sf {};
  lstat(from.c_str(), &sf);
  struct timespec times[2] = {sf.st_atim, sf.st_mtim};
  utimensat(AT_FDCWD, to.c_str(), times, AT_SYMLINK_NOFOLLOW);
}

} // namespace

void sync_tree(const std::string &src, const std::string &dst) {
  std::set<std::string> wanted;
  for (const fs::path &p : sorted_entries(src)) {
    std::string rel = p.lexically_relative(src).string();
    wanted.insert(rel);
    fs::path target = fs::path(dst) / rel;
    if (fs::is_directory(fs::symlink_status(p)) && fs::is_directory(fs::symlink_status(target)))
      continue;
    if (!same_file(p, target))
      copy_entry(p, target);
  }
  std::vector<fs::path> extra;
  for (const fs::path &p : sorted_entries(dst))
    if (!wanted.count(p.lexically_relative(dst).string()))
      extra.push_back(p);
  for (auto it = extra.rbegin(); it != extra.rend(); ++it)
    fs::remove_all(*it);
  // Directory mtimes last: entries created or removed above changed them.
  for (const fs::path &p : sorted_entries(src))
    if (fs::is_directory(fs::symlink_status(p))) {
      struct stat sf {};
      lstat(p.c_str(), &sf);
      struct timespec times[2] = {sf.st_atim, sf.st_mtim};
      utimensat(AT_FDCWD, (fs::path(dst) / p.lexically_relative(src)).c_str(), times, 0);
    }
}

bool tree_has_objects(const std::string &root) {
  for (const fs::path &p : sorted_entries(root))
    if (p.extension() == ".o")
      return true;
  return false;
}

void remove_tree(const std::string &path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec)
    throw FileError(path, "cannot remove: " + ec.message());
}

// A file header is a "--- old" line directly followed by "+++ new"; removed
// lines that happen to start with "-- " are not mistaken for one.
std::vector<std::string> patched_files(const std::string &patch_text) {
  std::set<std::string> files;
  std::istringstream in(patch_text);
  std::string prev, line;
  while (std::getline(in, line)) {
    if (prev.starts_with("--- ") && line.starts_with("+++ ")) {
      for (const std::string *h : {&prev, &line}) {
        std::string path = h->substr(4);
        if (!path.starts_with("/dev/null"))
          files.insert(strip_one_component(path));
      }
    }
    prev = line;
  }
  return {files.begin(), files.end()};
}

} // namespace lp::payload
