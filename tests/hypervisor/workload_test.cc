// The CPU-1 workload keeps calling the patchable functions through APPLY and
// REVERT. It must see the old result, then only the new one, then the old
// one again - exactly two changes per patched function - and no fault.
#include "qemu_harness.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <sstream>
#include <thread>

using minixen::test::Minixen;
using minixen::test::payload;

namespace {

struct Event {
  std::string probe, old_value, new_value;
};

struct Report {
  unsigned long iterations = 0, fatal = 0;
  std::vector<Event> events;
};

Report parse(const std::string &text) {
  Report r;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    std::string word;
    l >> word;
    if (word == "iterations") {
      l >> r.iterations;
    } else if (word == "faults") {
      std::string n, fatal_word;
      l >> n >> fatal_word >> r.fatal;
    } else if (word == "event") {
      // event N probe NAME iteration I old V new V  (values may be quoted strings)
      Event e;
      auto p = line.find(" probe ") + 7;
      e.probe = line.substr(p, line.find(' ', p) - p);
      auto o = line.find(" old ") + 5, nw = line.rfind(" new ");
      e.old_value = line.substr(o, nw - o);
      e.new_value = line.substr(nw + 5);
      r.events.push_back(e);
    }
  }
  return r;
}

// Waits until the workload has run at least `more` further iterations.
Report settle(const Minixen &m, unsigned long more = 50) {
  Report start = parse(m.tool({"workload"}).output);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(minixen::test::kGuardMs);
  while (std::chrono::steady_clock::now() < deadline) {
    Report now = parse(m.tool({"workload"}).output);
    if (now.iterations >= start.iterations + more)
      return now;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  FAIL("workload stopped making progress");
  return start;
}

std::vector<Event> events_of(const Report &r, const std::string &probe) {
  std::vector<Event> out;
  for (const auto &e : r.events)
    if (e.probe == probe)
      out.push_back(e);
  return out;
}

} // namespace

TEST_CASE("the workload sees old, then only new, then old across apply and revert", "[qemu]") {
  Minixen m;
  Report before = settle(m);
  CHECK(before.events.empty());

  REQUIRE(m.act({"load", payload("xen_table_fix")}).status == 0);
  Report applied = settle(m);
  auto table = events_of(applied, "table_lookup(8)");
  REQUIRE(table.size() == 1);
  CHECK(table[0].old_value == std::to_string(0x5ec2e7));
  CHECK(table[0].new_value == "-22");

  REQUIRE(m.act({"revert", "xen_table_fix"}).status == 0);
  Report reverted = settle(m);
  table = events_of(reverted, "table_lookup(8)");
  REQUIRE(table.size() == 2);
  CHECK(table[1].old_value == "-22");
  CHECK(table[1].new_value == std::to_string(0x5ec2e7));

  REQUIRE(m.act({"load", payload("xen_hello_world")}).status == 0);
  settle(m);
  REQUIRE(m.act({"revert", "xen_hello_world"}).status == 0);
  Report done = settle(m);
  auto version = events_of(done, "extra_version");
  REQUIRE(version.size() == 2);
  CHECK(version[0].old_value == "\"-minixen\"");
  CHECK(version[0].new_value == "\"Hello World\"");
  CHECK(version[1].old_value == "\"Hello World\"");
  CHECK(version[1].new_value == "\"-minixen\"");
  // Nothing else changed, and nothing faulted fatally.
  CHECK(done.events.size() == 4);
  CHECK(done.fatal == 0);
  CHECK(m.console().find("FATAL") == std::string::npos);
}
