// The bug-frame paths of a payload that the livepatch-build WARN test does
// not reach, with the test payload xen_bug_frames (tests/fixtures/hypervisor),
// which replaces do_compute: a BUG_ON in payload code prints Xen's
// "Xen BUG at <file>:<line>" and the panic, and the hypervisor stops
// answering; a WARN_ON in a file whose name is longer than 50 characters
// prints "..." and the name's last 47, as Xen does, and the call returns.
#include "qemu_harness.h"

#include <catch2/catch.hpp>
#include <chrono>

#include <algorithm>
#include <unistd.h>

using minixen::test::Minixen;
using minixen::test::payload;

namespace {

// The file names and lines the payload's #line directives give its frames.
const std::string bug_site = "common/compute.c:16";
const std::string long_name = "arch/x86/livepatch/a/rather/deeply/nested/folder/compute_warn.c";
const std::string panic_banner = "****************************************\n";

void load_bug_frames(const Minixen &m) {
  auto load = m.act({"load", payload("xen_bug_frames")});
  INFO(load.output << m.console());
  REQUIRE(load.status == 0);
}

// A command the hypervisor never answers: the tool gives up after 2 s.
void check_no_answer(const Minixen &m, const std::string &arg) {
  auto r = m.tool({"--timeout", "2", "call", "compute", arg});
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK(r.output.find("no response from the hypervisor") != std::string::npos);
}

// The console as lines end in a user's terminal: the serial port's "\r\n" as "\n".
std::string console_text(const Minixen &m) {
  std::string text = m.console();
  text.erase(std::remove(text.begin(), text.end(), '\r'), text.end());
  return text;
}

// Waits until the console shows text, which may span lines; false after the
// harness's failure guard (kGuardMs).
bool wait_text(const Minixen &m, const std::string &text) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(minixen::test::kGuardMs);
  while (std::chrono::steady_clock::now() < deadline) {
    if (console_text(m).find(text) != std::string::npos)
      return true;
    usleep(100 * 1000);
  }
  return console_text(m).find(text) != std::string::npos;
}

size_t count(const std::string &text, const std::string &what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    n++;
  return n;
}

} // namespace

TEST_CASE("a BUG_ON in payload code is fatal with Xen's message", "[qemu][bug-frames]") {
  Minixen m;
  CHECK(m.call("compute", "666") == "1999"); // before apply: the original do_compute
  load_bug_frames(m);
  CHECK(m.call("compute", "5") == "16");     // a harmless value still works
  CHECK(m.console().find("Xen BUG") == std::string::npos);

  check_no_answer(m, "666");
  bool panicked = wait_text(m, "Panic: Xen BUG at " + bug_site + "\n" + panic_banner);
  std::string con = console_text(m);
  INFO(con);
  REQUIRE(panicked);
  CHECK(con.find("\nXen BUG at " + bug_site + "\n  CPU ") != std::string::npos);
  CHECK(con.find("<xen_compute_bug_frames+0x") != std::string::npos);
  CHECK(con.find("\n" + panic_banner + "Panic: Xen BUG at " + bug_site + "\n" + panic_banner) !=
        std::string::npos);
  CHECK(count(con, "Xen BUG at") == 2); // the report and the panic, once each
  check_no_answer(m, "5");              // the hypervisor has stopped
}

TEST_CASE("a WARN_ON in a payload file with a long name prints the last 47 characters",
          "[qemu][bug-frames]") {
  REQUIRE(long_name.size() > 50);
  const std::string warning = "Xen WARN at ...ch/a/rather/deeply/nested/folder/compute_warn.c:7\n";
  REQUIRE(warning == "Xen WARN at ..." + long_name.substr(long_name.size() - 47) + ":7\n");
  Minixen m;
  CHECK(m.call("compute", "777") == "2332"); // before apply: no warning
  CHECK(m.console().find("Xen WARN") == std::string::npos);

  load_bug_frames(m);
  CHECK(m.call("compute", "777") == "2332"); // the call returns its result
  bool warned = wait_text(m, warning);
  std::string con = console_text(m);
  INFO(con);
  REQUIRE(warned);
  CHECK(con.find("<warn_on_777+0x") != std::string::npos);
  CHECK(con.find(long_name) == std::string::npos); // never the full name
  CHECK(m.call("compute", "5") == "16");
  CHECK(count(m.console(), "Xen WARN") == 1);

  REQUIRE(m.act({"revert", "xen_bug_frames"}).status == 0);
  CHECK(m.call("compute", "777") == "2332");
  REQUIRE(m.act({"unload", "xen_bug_frames"}).status == 0);
  CHECK(count(m.console(), "Xen WARN") == 1);
  CHECK(m.console().find("FATAL") == std::string::npos);
  CHECK(m.console().find("Panic") == std::string::npos);
}
