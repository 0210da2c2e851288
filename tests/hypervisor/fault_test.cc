// A fault nothing fixes up is fatal, and says so clearly: table_lookup with a
// huge index (the unfixed bug) reads unmapped memory, and the console names
// the exception, the faulting function and the address.
#include "qemu_harness.h"

#include <catch2/catch.hpp>

using minixen::test::Minixen;

TEST_CASE("an unhandled page fault prints a clear fatal-trap report", "[qemu]") {
  Minixen m;
  // 2^37 entries of 8 bytes past the table: 1 TiB up, never mapped.
  auto r = m.tool({"--timeout", "2", "call", "table_lookup", "137438953472"});
  CHECK(r.status == 1);
  CHECK(r.output.find("no response from the hypervisor") != std::string::npos);
  REQUIRE(m.wait_console("Panic"));
  std::string con = m.console();
  INFO(con);
  CHECK(con.find("FATAL TRAP: vector 14 (page fault)") != std::string::npos);
  CHECK(con.find("<do_table_lookup+") != std::string::npos);
  CHECK(con.find("CR2 000001") != std::string::npos);
}
