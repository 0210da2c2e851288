// livepatch-build on the in-tree hypervisor (hypervisor/, the "Xen repository
// root" holding xen/) with the example patch 01-extra-version.patch: the
// payload replaces xen_extra_version, its .livepatch.funcs entry has the
// bytes Xen expects, the offline loader check passes, and the tree is left as
// it was.
#include "minitree.h"
#include "payload_fixture.h"

#include "elf/image.h"
#include "elf/reader.h"
#include "payload/funcs_table.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <elf.h>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using lp::test::RunResult;

TEST_CASE("livepatch-build on the in-tree hypervisor: 01-extra-version",
          "[livepatch-build][hypervisor]") {
  lp::test::TempDir dir;
  std::string src = dir.file("hypervisor");
  REQUIRE(lp::test::run({"cp", "-a", std::string(LP_SOURCE_DIR) + "/hypervisor", src}).status == 0);
  REQUIRE(lp::test::run({"make", "-s", "-C", src + "/xen", "clean"}).status == 0);
  REQUIRE(lp::test::run({"make", "-s", "-C", src + "/xen", "defconfig"}).status == 0);
  fs::rename(src + "/xen/.config", dir.file("config"));
  std::string patch = std::string(LP_SOURCE_DIR) + "/tests/fixtures/patches/01-extra-version.patch";
  std::string out = dir.file("out");
  RunResult r = lp::test::run({lp::test::tool_path("livepatch-build"), "-s", src, "-p", patch,
                               "-c", dir.file("config"), "-o", out, "--depends",
                               lp::test::kDepends, "--cache-dir", dir.file("cache"), "--json",
                               dir.file("r.json")});
  INFO(r.output);
  REQUIRE(r.status == 0);
  std::ifstream json(dir.file("r.json"));
  std::string summary((std::istreambuf_iterator<char>(json)), std::istreambuf_iterator<char>());
  CHECK_THAT(summary, Catch::Contains("\"check\": \"passed\""));

  std::string payload = out + "/01-extra-version.livepatch";
  auto p = lp::elf::read_object(payload);
  auto xen = lp::elf::LinkedImage::open(out + "/xen-syms");
  auto funcs = lp::payload::read_funcs(p);
  REQUIRE(!funcs.empty());
  auto it = std::find_if(funcs.begin(), funcs.end(),
                         [](const auto &f) { return f.name == "xen_extra_version"; });
  REQUIRE(it != funcs.end());
  const auto *old = xen.global("xen_extra_version");
  REQUIRE(old);
  CHECK(it->new_symbol == "xen_extra_version");
  CHECK(it->version == 2);
  CHECK(it->old_size >= old->size);
  auto news = p.symbols_named("xen_extra_version");
  REQUIRE(news.size() == 1);
  CHECK(it->new_size == news[0]->size);

  const auto *sec = p.section_named(".livepatch.funcs");
  const uint8_t *e = sec->data.data() + it->offset;
  uint64_t name_ptr, new_addr, old_addr;
  std::memcpy(&name_ptr, e, 8);
  std::memcpy(&new_addr, e + 8, 8);
  std::memcpy(&old_addr, e + 16, 8);
  CHECK(name_ptr == 0); // filled by the R_X86_64_64 relocations
  CHECK(new_addr == 0);
  CHECK(old_addr == 0); // Xen resolves it by name
  CHECK(std::all_of(e + 33, e + 104, [](uint8_t b) { return b == 0; }));
  int relocs = 0;
  for (const auto &rela : sec->rela->relas)
    if (rela.offset == it->offset || rela.offset == it->offset + 8) {
      CHECK(rela.type == R_X86_64_64);
      relocs++;
    }
  CHECK(relocs == 2);
}

// Issue 16: every example patch of the in-tree hypervisor is built with
// --check-fast-path, which runs make and then the fast path (only the
// affected objects compiled from the original build's records) and fails
// with exit 8 if they rebuilt other objects or other bytes. Each must take
// the fast path (they all modify existing C sources and headers) and pass
// the comparison. 05 applies on top of 02, so it is built from a tree that
// holds 02.
TEST_CASE("livepatch-build on the in-tree hypervisor: --check-fast-path on every example patch",
          "[livepatch-build][hypervisor][fast-path]") {
  lp::test::TempDir dir;
  std::string src = dir.file("hypervisor");
  std::string patches = std::string(LP_SOURCE_DIR) + "/tests/fixtures/patches/";
  REQUIRE(lp::test::run({"cp", "-a", std::string(LP_SOURCE_DIR) + "/hypervisor", src}).status == 0);
  REQUIRE(lp::test::run({"make", "-s", "-C", src + "/xen", "clean"}).status == 0);
  REQUIRE(lp::test::run({"make", "-s", "-C", src + "/xen", "defconfig"}).status == 0);
  fs::rename(src + "/xen/.config", dir.file("config"));
  std::string with_02 = dir.file("hypervisor-02");
  REQUIRE(lp::test::run({"cp", "-a", src, with_02}).status == 0);
  REQUIRE(lp::test::run({"patch", "-s", "-d", with_02, "-p1", "-i",
                         patches + "02-table-bounds-xsa.patch"})
              .status == 0);
  std::vector<std::string> names;
  for (const auto &e : fs::directory_iterator(patches))
    if (e.path().extension() == ".patch")
      names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  REQUIRE(names.size() >= 9);
  for (const std::string &name : names) {
    std::string tree = name.starts_with("05-") ? with_02 : src;
    std::string out = dir.file("out-" + name);
    RunResult r = lp::test::run_shell(
        "LIVEPATCH_INCLUDE=" LP_SOURCE_DIR "/include " + lp::test::tool_path("livepatch-build") +
        " -s " + tree + " -p " + patches + name + " -c " + dir.file("config") + " -o " + out +
        " -k diff --check-fast-path -j 2 --cache-dir " + dir.file("cache") + " --json " +
        out + ".json");
    INFO(name << "\n" << r.output);
    CHECK(r.status == 0);
    CHECK_THAT(r.output, Catch::Contains("the fast path rebuilt the same"));
    std::ifstream json(out + ".json");
    std::string summary((std::istreambuf_iterator<char>(json)), std::istreambuf_iterator<char>());
    CHECK_THAT(summary, Catch::Contains("\"check\": \"identical: "));
  }
}
