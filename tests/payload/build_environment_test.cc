// livepatch-build in the environments CI systems and packagers bring: builds
// on other days and machines (reproducible build date), cache folders with a
// space or non-ASCII characters in their path, and disks that fill up. Each
// test checks what the user sees: the payload's bytes, or the one-line
// refusal, the exit code, and that nothing half-written is left.
#include "minitree.h"
#include "payload_fixture.h"

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sys/mount.h>

using lp::test::MiniTree;
using lp::test::RunResult;
namespace fs = std::filesystem;

namespace {

std::string bytes_text(const std::string &path) {
  auto b = lp::test::file_bytes(path);
  return std::string(b.begin(), b.end());
}

// livepatch-build on the minitree with `cache`, an environment prefix and
// extra arguments, through the shell.
RunResult build_with(const MiniTree &t, const std::string &patch, const std::string &out,
                     const std::string &cache, const std::string &env = "",
                     const std::string &extra = "") {
  auto q = [](const std::string &s) { return "'" + s + "'"; };
  std::string cmd = env + " " + q(lp::test::tool_path("livepatch-build")) + " -s " + q(t.src()) +
                    " -p " + q(MiniTree::patch(patch)) + " -c " + q(t.config()) + " -o " +
                    q(out) + " --depends " + lp::test::kDepends + " -j 2";
  if (!cache.empty())
    cmd += " --cache-dir " + q(cache);
  return lp::test::run_shell(cmd + " " + extra + " 2>&1");
}

// The text after `marker` on its line of `text`.
std::string after(const std::string &text, const std::string &marker) {
  auto at = text.find(marker);
  if (at == std::string::npos)
    return "";
  at += marker.size();
  return text.substr(at, text.find('\n', at) - at);
}

std::vector<std::string> leftovers(const std::string &dir) {
  std::vector<std::string> out;
  if (!fs::exists(dir))
    return out;
  for (const auto &e : fs::recursive_directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (name.find(".tmp.") != std::string::npos || name == "xen-syms" ||
        name.find(".livepatch") != std::string::npos)
      out.push_back(e.path().string());
  }
  return out;
}

// A tmpfs of `bytes` (whole pages) at `dir`, unmounted on destruction.
class Tmpfs {
public:
  Tmpfs(const std::string &dir, size_t bytes) : dir_(dir) {
    fs::create_directories(dir);
    std::string opts = "size=" + std::to_string(bytes) + ",mode=0755";
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, opts.c_str()) != 0)
      error_ = std::strerror(errno);
  }
  ~Tmpfs() {
    if (error_.empty())
      ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return error_.empty(); }
  const std::string &error() const { return error_; }
  // Fills every free page.
  void fill() const {
    std::ofstream f(dir_ + "/filler", std::ios::binary);
    std::string page(4096, 'x');
    while (f.write(page.data(), page.size()))
      f.flush();
  }

private:
  std::string dir_, error_;
};

size_t pages(uintmax_t bytes) { return (bytes + 4095) / 4096; }

} // namespace

TEST_CASE("reproducible: two fresh caches give byte-identical payloads when the patched "
          "function prints the build date",
          "[livepatch-build][reproducible]") {
  MiniTree t;
  // Without SOURCE_DATE_EPOCH, whatever the caller's environment holds
  // (dpkg-buildpackage exports it while the package's tests run).
  const std::string no_epoch = "env -u SOURCE_DATE_EPOCH";
  RunResult a =
      build_with(t, "09-build-date.patch", t.out("a"), t.dir().file("cache-a"), no_epoch);
  INFO(a.output);
  REQUIRE(a.status == 0);
  RunResult b =
      build_with(t, "09-build-date.patch", t.out("b"), t.dir().file("cache-b"), no_epoch);
  INFO(b.output);
  REQUIRE(b.status == 0);
  std::string payload_a = bytes_text(t.out("a") + "/09-build-date.livepatch");
  CHECK(payload_a == bytes_text(t.out("b") + "/09-build-date.livepatch"));
  // The date comes from the inputs, and is the one the payload carries.
  std::string date = after(a.output, "build date ");
  REQUIRE(date.find(" (from the cache key)") != std::string::npos);
  date = date.substr(0, date.find(" (from"));
  CHECK(payload_a.find("built " + date + " at ") != std::string::npos);

  // SOURCE_DATE_EPOCH pins it: the same date on every machine and day.
  RunResult c = build_with(t, "09-build-date.patch", t.out("c"), t.dir().file("cache-c"),
                           "SOURCE_DATE_EPOCH=1700000000");
  INFO(c.output);
  REQUIRE(c.status == 0);
  CHECK_THAT(c.output, Catch::Contains("build date Tue Nov 14 22:13:20 UTC 2023 (from the "
                                       "SOURCE_DATE_EPOCH)"));
  std::string payload_c = bytes_text(t.out("c") + "/09-build-date.livepatch");
  CHECK(payload_c.find("built Tue Nov 14 22:13:20 UTC 2023 at 22:13:20") != std::string::npos);
  // Another epoch is another cache entry, not a stale date from this one.
  RunResult d = build_with(t, "09-build-date.patch", t.out("d"), t.dir().file("cache-c"),
                           "SOURCE_DATE_EPOCH=1");
  INFO(d.output);
  REQUIRE(d.status == 0);
  CHECK(bytes_text(t.out("d") + "/09-build-date.livepatch").find(
            "built Thu Jan  1 00:00:01 UTC 1970 at 00:00:01") != std::string::npos);

  RunResult bad = build_with(t, "09-build-date.patch", t.out("e"), t.dir().file("cache-c"),
                             "SOURCE_DATE_EPOCH=yesterday");
  CHECK(bad.status == 1);
  CHECK_THAT(bad.output, Catch::Contains(
                             "ERROR: SOURCE_DATE_EPOCH: 'yesterday' is not a number of seconds "
                             "since 1970."));
}

TEST_CASE("odd paths: a non-ASCII cache folder works and one with a space is refused up front",
          "[livepatch-build][paths]") {
  MiniTree t;
  RunResult plain = build_with(t, "01-table-bounds.patch", t.out("plain"), t.cache());
  INFO(plain.output);
  REQUIRE(plain.status == 0);
  std::string unicode = t.dir().file("cache-\xc3\xa9t\xc3\xa9-\xe6\x97\xa5\xe6\x9c\xac"); // été-日本
  RunResult u = build_with(t, "01-table-bounds.patch", t.out("unicode"), unicode);
  INFO(u.output);
  REQUIRE(u.status == 0);
  CHECK(lp::test::file_bytes(t.out("plain") + "/01-table-bounds.livepatch") ==
        lp::test::file_bytes(t.out("unicode") + "/01-table-bounds.livepatch"));

  // A space: make would split the path. Refused before anything is built or
  // written, with the way out.
  std::string spaced = t.dir().file("my cache");
  RunResult s = build_with(t, "01-table-bounds.patch", t.out("spaced"), spaced);
  CHECK(s.status == 1);
  CHECK_THAT(s.output, Catch::Contains("ERROR: " + spaced +
                                       ": the cache folder's path holds a space, which make "
                                       "cannot build in; choose another folder with --cache-dir "
                                       "or XDG_CACHE_HOME."));
  CHECK(!fs::exists(t.out("spaced")));
  CHECK(!fs::exists(spaced));
  // The default cache, under a $XDG_CACHE_HOME (or $HOME) with a space.
  std::string home = t.dir().file("John Doe");
  RunResult d = build_with(t, "01-table-bounds.patch", t.out("default"), "",
                           "XDG_CACHE_HOME='" + home + "'");
  CHECK(d.status == 1);
  CHECK_THAT(d.output, Catch::Contains("ERROR: " + home + "/livepatch-build: the cache folder's "
                                       "path holds a space"));
  CHECK(!fs::exists(t.out("default")));
}

TEST_CASE("full disk: exit 7 names the full filesystem and nothing half-written is left",
          "[livepatch-build][disk-full]") {
  MiniTree t;
  std::string wrapper = lp::test::tool_path("livepatch-gcc");
  {
    Tmpfs probe(t.dir().file("probe"), 4096);
    if (!probe.mounted()) {
      WARN("SKIPPED: cannot mount a tmpfs here (" << probe.error()
                                                   << "); run as root to test a full disk");
      return;
    }
  }

  SECTION("the output folder's filesystem is full") {
    std::string mnt = t.dir().file("full-out");
    Tmpfs fs_(mnt, 4096);
    REQUIRE(fs_.mounted());
    fs_.fill();
    RunResult r = build_with(t, "01-table-bounds.patch", mnt + "/out", t.cache());
    INFO(r.output);
    CHECK(r.status == 7);
    CHECK_THAT(r.output, Catch::Contains("ERROR: no space left on device writing " + mnt +
                                         "/out/.config (filesystem mounted at " + mnt +
                                         ", 0 KiB free)."));
    CHECK(leftovers(mnt + "/out").empty());
    CHECK(!fs::exists(mnt + "/out/.config"));
  }

  SECTION("the cache's filesystem is full") {
    std::string mnt = t.dir().file("full-cache");
    Tmpfs fs_(mnt, 4096);
    REQUIRE(fs_.mounted());
    fs_.fill();
    RunResult r = build_with(t, "01-table-bounds.patch", t.out(), mnt + "/cache");
    INFO(r.output);
    CHECK(r.status == 7);
    CHECK_THAT(r.output, Catch::Contains("ERROR: no space left on device writing " + mnt +
                                         "/cache/"));
    CHECK_THAT(r.output, Catch::Contains("/bin/livepatch-gcc (filesystem mounted at " + mnt +
                                         ", 0 KiB free)."));
    CHECK(leftovers(t.out()).empty());
    CHECK(leftovers(mnt).empty());
  }

  SECTION("the disk fills up while make builds") {
    // Room for the wrapper, the copy of the tree and the few small files
    // written before make starts, and two pages for make: compiling fails.
    size_t tree = 0;
    for (const auto &e : fs::recursive_directory_iterator(t.src()))
      if (e.is_regular_file())
        tree += pages(e.file_size());
    size_t room = pages(fs::file_size(wrapper)) + tree + 3 + 2;
    std::string mnt = t.dir().file("small-cache");
    Tmpfs fs_(mnt, room * 4096);
    REQUIRE(fs_.mounted());
    RunResult r = build_with(t, "01-table-bounds.patch", t.out(), mnt + "/cache");
    INFO(r.output);
    CHECK(r.status == 7);
    CHECK_THAT(r.output, Catch::Contains("ERROR: the original build ran out of disk space: no "
                                         "space left on device in " + mnt + "/cache/"));
    CHECK_THAT(r.output, Catch::Contains("(filesystem mounted at " + mnt + ", 0 KiB free)"));
    CHECK(leftovers(t.out()).empty());
    // The entry is incomplete, so a run with space builds it afresh.
    CHECK(!fs::exists(mnt + "/cache/complete"));
  }
}
