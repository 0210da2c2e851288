// Boot and basic control: what the console shows, what the hypercalls
// return on an unpatched hypervisor, and how the host tool treats bad input.
#include "qemu_harness.h"

#include <catch2/catch.hpp>

using minixen::test::Minixen;

TEST_CASE("boots with two CPUs and W^X, and answers hypercalls", "[qemu]") {
  Minixen m;
  CHECK(m.boot_seconds() < 10.0);
  std::string con = m.console();
  CHECK(con.find("W^X enabled: text RX, rodata RO+NX, data RW+NX") != std::string::npos);
  CHECK(con.find("CPU1 up") != std::string::npos);
  CHECK(con.find("smp: 2 CPUs online") != std::string::npos);
  CHECK(con.find("minixen: ready (2 CPUs)") != std::string::npos);

  auto info = m.tool({"info"});
  REQUIRE(info.status == 0);
  CHECK(info.output.find("cpus 2") != std::string::npos);
  CHECK(info.output.find("build-id ") != std::string::npos);

  CHECK(m.call("extra_version") == "-minixen");
  CHECK(m.call("major_version") == "4");
  CHECK(m.call("minor_version") == "17");
  CHECK(m.call("compute", "5") == "16");
  CHECK(m.call("compute", "5000") == "15001");
  CHECK(m.call("table_lookup", "3") == "103");
  // The deliberate bug: index 8 reads the secret stored after the table.
  CHECK(m.call("table_lookup", "8") == std::to_string(0x5ec2e7));
  CHECK(m.call("table_lookup", "-1") == "-22");

  auto list = m.tool({"list"});
  CHECK(list.status == 0);
  CHECK(list.output.find("APPLIED") == std::string::npos);
  CHECK(m.console().find("FATAL") == std::string::npos);
}

TEST_CASE("the host tool rejects bad input with one clear line and exit 1", "[qemu]") {
  Minixen m;
  auto missing = m.tool({"upload", "p", m.dir().file("does-not-exist.livepatch")});
  CHECK(missing.status == 1);
  CHECK(missing.output.find("cannot open payload file") != std::string::npos);

  auto verb = m.tool({"frobnicate"});
  CHECK(verb.status == 1);
  CHECK(verb.output.find("unknown command 'frobnicate'") != std::string::npos);

  auto hc = m.tool({"call", "no_such_call"});
  CHECK(hc.status == 1);
  CHECK(hc.output.find("no such hypercall") != std::string::npos);

  auto absent = m.tool({"apply", "not_loaded"});
  CHECK(absent.status == 1);
  CHECK(absent.output.find("2 (No such file or directory)") != std::string::npos);

  auto noarg = m.tool({"apply"});
  CHECK(noarg.status == 1);

  auto nosock = lp::test::run({lp::test::tool_path("minixen-livepatch"), "--socket",
                               m.dir().file("nope.sock"), "list"});
  CHECK(nosock.status == 1);
  CHECK(nosock.output.find("cannot connect to the hypervisor") != std::string::npos);

  auto help = lp::test::run({lp::test::tool_path("minixen-livepatch"), "--help"});
  CHECK(help.status == 0);
  CHECK(help.output.find("replace") != std::string::npos);
  // Still healthy afterwards.
  CHECK(m.call("extra_version") == "-minixen");
}
