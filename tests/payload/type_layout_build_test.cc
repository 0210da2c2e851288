// livepatch-build's type-layout check end to end on the minitree fixture:
// the build has no DWARF, so livepatch-build compiles the changed objects
// again with -g, create-diff-object compares their types, and a structure
// defined in a header that two changed objects include is refused once,
// naming the functions of both.
#include "minitree.h"
#include "payload_fixture.h"

#include "elf/json.h"

#include <catch2/catch.hpp>
#include <filesystem>

using lp::test::MiniTree;
using lp::test::RunResult;
using lp::test::read_text;
namespace fs = std::filesystem;

namespace {

size_t count(const std::string &text, const std::string &what) {
  size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1))
    n++;
  return n;
}

} // namespace

TEST_CASE("livepatch-build: a header layout change used by two objects is one refusal",
          "[livepatch-build][e2e][types]") {
  MiniTree t;
  auto before = t.snapshot();
  RunResult r = t.build("09-header-layout.patch", {"--json", t.dir().file("r.json")});
  INFO(r.output);
  CHECK(r.status == 2);
  const std::string report =
      "arch/x86/domain.o, arch/x86/mm.o: type layout changed: struct domain "
      "(include/xen/sched.h:5): member tot_pages 8+8 -> 16+8, member max_pages 16+8 -> 24+8, "
      "member outstanding_pages added at 8+8, size 24 -> 32; used by changed functions: "
      "domain_tot_pages, domain_room";
  CHECK_THAT(r.output, Catch::Contains(report + "\n"));
  CHECK(count(r.output, "type layout changed") == 1);
  CHECK_THAT(r.output, Catch::Contains("ERROR: 2 object(s) with unsupported changes"));
  CHECK(!fs::exists(t.out() + "/09-header-layout.livepatch"));
  CHECK(t.snapshot() == before);

  std::string json = read_text(t.dir().file("r.json"));
  CHECK_THAT(json, Catch::Contains("\"exit_code\": 2"));
  CHECK(count(json, "\"type\": \"struct domain\"") == 1);
  CHECK_THAT(json, Catch::Contains("\"status\": \"refused\""));
  CHECK_THAT(json, Catch::Contains("\"functions\": [\"domain_tot_pages\", \"domain_room\"], "
                                   "\"objects\": [\"arch/x86/domain.o\", "
                                   "\"arch/x86/mm.o\"]"));
  CHECK_THAT(json, Catch::Contains(lp::json_string(report)));
}
