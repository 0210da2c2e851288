// End to end: this repository's livepatch-build turns the example patches
// (tests/fixtures/patches) into payloads for the hypervisor image the tests
// boot, and the running hypervisor applies them. The XSA-style fix changes
// what the CPU-1 workload sees; the data change is refused at build time; a
// WARN_ON added by a patch is reported from the payload's bug frame while it
// is applied, and the hypervisor carries on; a structure layout change is
// refused unless its author declares it safe.
#include "qemu_harness.h"

#include "elf/reader.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fmt/format.h>

using minixen::test::livepatch_build_example;
using minixen::test::Minixen;

namespace {

size_t count(const std::string &text, const std::string &what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    n++;
  return n;
}

} // namespace

TEST_CASE("livepatch-build payloads from the example patches apply on the hypervisor",
          "[qemu][livepatch-build]") {
  if (!std::filesystem::exists(lp::test::tool_path("livepatch-build")))
    FAIL("livepatch-build is not built (target livepatch-build)");
  lp::test::TempDir out;
  auto fix = livepatch_build_example(out, "02-table-bounds-xsa");
  INFO(fix.output);
  REQUIRE(fix.status == 0);
  auto data = livepatch_build_example(out, "06-data-change");
  INFO(data.output);
  CHECK(data.status == 2); // unsupported change: existing data

  Minixen m;
  CHECK(m.call("table_lookup", "8") == std::to_string(0x5ec2e7));
  auto load = m.act({"load", out.file("02-table-bounds-xsa") + "/02-table-bounds-xsa.livepatch"});
  INFO(load.output << m.console());
  REQUIRE(load.status == 0);
  CHECK(m.call("table_lookup", "8") == "-22");
  CHECK(m.call("table_lookup", "3") == "103");
  REQUIRE(m.act({"revert", "02-table-bounds-xsa"}).status == 0);
  CHECK(m.call("table_lookup", "8") == std::to_string(0x5ec2e7));
  auto work = m.tool({"workload"}).output;
  CHECK(work.find("probe table_lookup(8) value 6210279 changes 2") != std::string::npos);
  CHECK(work.find("fatal 0") != std::string::npos);
}

TEST_CASE("a WARN_ON added by a live patch is reported and survived",
          "[qemu][livepatch-build][bug-frames]") {
  if (!std::filesystem::exists(lp::test::tool_path("livepatch-build")))
    FAIL("livepatch-build is not built (target livepatch-build)");
  lp::test::TempDir out;
  auto build = livepatch_build_example(out, "07-warn");
  INFO(build.output);
  REQUIRE(build.status == 0);
  std::string payload = out.file("07-warn") + "/07-warn.livepatch";
  auto obj = lp::elf::read_object(payload);
  const auto *frames = obj.section_named(".bug_frames.1");
  REQUIRE(frames);
  CHECK(frames->size == 8); // one WARN frame, in do_compute
  for (const char *other : {".bug_frames.0", ".bug_frames.2", ".bug_frames.3"})
    CHECK(obj.section_named(other) == nullptr);

  const std::string warning = "Xen WARN at common/compute.c:16";
  Minixen m;
  CHECK(m.call("compute", "2000000") == "6000001");
  CHECK(m.console().find("Xen WARN") == std::string::npos);

  auto load = m.act({"load", payload});
  INFO(load.output << m.console());
  REQUIRE(load.status == 0);
  CHECK(m.call("compute", "2000000") == "6000001"); // the call returns its result
  REQUIRE(m.wait_console(warning));
  INFO(m.console());
  CHECK(m.console().find("<do_compute+") != std::string::npos);
  CHECK(m.call("compute", "5") == "16");            // below the limit: no warning
  CHECK(m.call("table_lookup", "3") == "103");
  CHECK(count(m.console(), "Xen WARN") == 1);

  REQUIRE(m.act({"revert", "07-warn"}).status == 0);
  CHECK(m.call("compute", "2000000") == "6000001");
  CHECK(count(m.console(), "Xen WARN") == 1);
  REQUIRE(m.act({"unload", "07-warn"}).status == 0);
  CHECK(m.tool({"list"}).output.find("07-warn") == std::string::npos);
  auto work = m.tool({"workload"}).output;
  CHECK(work.find("fatal 0") != std::string::npos);
  CHECK(m.console().find("FATAL") == std::string::npos);
}

// Issue 11 on the in-tree hypervisor: a member added to struct payload, which
// has live instances (one per uploaded payload), is refused with the exact
// reason; with the author's LIVEPATCH_LAYOUT_CHANGE_SAFE marker the same
// change builds (the reason travels in .modinfo), applies, and payloads
// uploaded afterwards go through the patched upload.
TEST_CASE("a struct payload layout change is refused and applies with the author's marker",
          "[qemu][livepatch-build][types]") {
  if (!std::filesystem::exists(lp::test::tool_path("livepatch-build")))
    FAIL("livepatch-build is not built (target livepatch-build)");
  lp::test::TempDir out;
  auto refused = livepatch_build_example(out, "08-payload-member");
  INFO(refused.output);
  CHECK(refused.status == 2);
  CHECK_THAT(refused.output,
             Catch::Contains("\ncommon/livepatch.o: type layout changed: struct payload "
                             "(include/xen/livepatch_payload.h:95): member upload_size added at "
                             "584+8, size 584 -> 592; used by changed functions: "
                             "livepatch_upload, livepatch_action\n"));
  CHECK(!std::filesystem::exists(out.file("08-payload-member") + "/08-payload-member.livepatch"));

  auto safe = livepatch_build_example(out, "09-payload-member-safe");
  INFO(safe.output);
  REQUIRE(safe.status == 0);
  const std::string reason = "upload_size appended; older payloads read 0 from their zeroed page";
  CHECK_THAT(safe.output,
             Catch::Contains("layout change accepted: struct payload: " + reason + "\n"));
  std::string payload = out.file("09-payload-member-safe") + "/09-payload-member-safe.livepatch";
  auto obj = lp::elf::read_object(payload);
  const auto &modinfo = obj.section_named(".modinfo")->data;
  std::string entry = "layout_change=struct payload: " + reason;
  CHECK(std::search(modinfo.begin(), modinfo.end(), entry.begin(), entry.end()) != modinfo.end());
  auto fix = livepatch_build_example(out, "02-table-bounds-xsa");
  REQUIRE(fix.status == 0);
  std::string other = out.file("02-table-bounds-xsa") + "/02-table-bounds-xsa.livepatch";
  auto other_size = std::filesystem::file_size(other);

  Minixen m;
  REQUIRE(m.act({"upload", "before", other}).status == 0);
  CHECK(m.wait_console("livepatch: before: loaded (1 funcs)"));
  REQUIRE(m.act({"unload", "before"}).status == 0);
  auto load = m.act({"load", payload});
  INFO(load.output << m.console());
  REQUIRE(load.status == 0);
  CHECK(m.wait_console("livepatch: 09-payload-member-safe: loaded (2 funcs)"));
  // The patched upload: the new member is set and printed.
  REQUIRE(m.act({"upload", "after", other}).status == 0);
  CHECK(m.wait_console(fmt::format("livepatch: after: loaded (1 funcs, {} bytes)", other_size)));
  INFO(m.console());
  CHECK_THAT(m.tool({"list"}).output, Catch::Contains("after"));
  REQUIRE(m.act({"unload", "after"}).status == 0);
  REQUIRE(m.act({"revert", "09-payload-member-safe"}).status == 0);
  REQUIRE(m.act({"unload", "09-payload-member-safe"}).status == 0);
  CHECK(m.tool({"list"}).output.find("09-payload-member-safe") == std::string::npos);
  CHECK(m.call("table_lookup", "3") == "103");
  auto work = m.tool({"workload"}).output;
  CHECK(work.find("fatal 0") != std::string::npos);
  CHECK(m.console().find("FATAL") == std::string::npos);
}
