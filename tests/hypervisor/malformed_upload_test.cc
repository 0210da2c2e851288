// Malformed uploads through the real hypervisor (the live-patch core's host
// tests cover every check; these prove the running system refuses bad
// payloads with Xen's errno and stays healthy): each corrupt copy of
// xen_hello_world is refused, then the genuine payload still loads and
// applies.
#include "qemu_harness.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

using minixen::test::Minixen;
using minixen::test::payload;

namespace {

std::string read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void put16(std::string &b, size_t off, uint16_t v) {
  b[off] = static_cast<char>(v);
  b[off + 1] = static_cast<char>(v >> 8);
}

std::string unhex(const std::string &hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

struct Corruption {
  const char *what;
  std::string (*make)(std::string elf, const std::string &xen_build_id);
  const char *expected; // Xen errno as the tool prints it
};

const Corruption kCorruptions[] = {
    {"shorter than an ELF header",
     [](std::string e, const std::string &) { return e.substr(0, 63); }, "22 (Invalid argument)"},
    {"bad ELF magic",
     [](std::string e, const std::string &) { e[1] = 'X'; return e; }, "22 (Invalid argument)"},
    {"not x86-64 (e_machine 3)",
     [](std::string e, const std::string &) { put16(e, 18, 3); return e; },
     "95 (Operation not supported)"},
    {"not relocatable (ET_EXEC)",
     [](std::string e, const std::string &) { put16(e, 16, 2); return e; },
     "95 (Operation not supported)"},
    {"no section-name table (e_shstrndx 0)",
     [](std::string e, const std::string &) { put16(e, 62, 0); return e; },
     "22 (Invalid argument)"},
    {"built for another hypervisor (build-id changed)",
     [](std::string e, const std::string &id) {
       for (size_t at = e.find(id); at != std::string::npos; at = e.find(id, at + 1))
         e[at] = static_cast<char>(e[at] ^ 0xff);
       return e;
     },
     "22 (Invalid argument)"},
};

} // namespace

TEST_CASE("malformed uploads are refused with Xen's errno, then a valid payload applies",
          "[qemu]") {
  Minixen m;
  std::string info = m.tool({"info"}).output;
  auto at = info.find("build-id ");
  REQUIRE(at != std::string::npos);
  std::string build_id = unhex(info.substr(at + 9, 40));
  REQUIRE(build_id.size() == 20);
  std::string good = read_file(payload("xen_hello_world"));
  REQUIRE(good.size() > 64);

  int n = 0;
  for (const auto &c : kCorruptions) {
    std::string file = m.dir().write("bad" + std::to_string(n) + ".livepatch", c.make(good, build_id));
    auto r = m.tool({"upload", "bad" + std::to_string(n++), file});
    INFO(c.what << ":\n" << r.output);
    CHECK(r.status == 1);
    CHECK(r.output.find(c.expected) != std::string::npos);
  }

  // Name and build-id must be unique among loaded payloads.
  std::string genuine = payload("xen_hello_world");
  REQUIRE(m.tool({"upload", "first", genuine}).status == 0);
  auto same_name = m.tool({"upload", "first", payload("xen_nop")});
  CHECK(same_name.status == 1);
  CHECK(same_name.output.find("17 (File exists)") != std::string::npos);
  auto same_id = m.tool({"upload", "second", genuine});
  CHECK(same_id.status == 1);
  CHECK(same_id.output.find("17 (File exists)") != std::string::npos);
  REQUIRE(m.act({"unload", "first"}).status == 0);

  auto list = m.tool({"list"}).output;
  CHECK(list.find("bad") == std::string::npos);
  auto load = m.act({"load", genuine});
  INFO(load.output << m.console());
  REQUIRE(load.status == 0);
  CHECK(m.call("extra_version") == "Hello World");
  CHECK(m.console().find("FATAL") == std::string::npos);
}
