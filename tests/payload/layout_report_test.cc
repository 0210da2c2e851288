// The run-wide type-layout report: create-diff-object's lines parsed,
// merged across objects (one report per type), printed in upstream's log
// style, and carried into the JSON report and .modinfo.
#include "payload/diff_runner.h"
#include "payload/layout_report.h"
#include "payload/modinfo.h"
#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

using namespace lp::payload;

TEST_CASE("layout report: a header type changed in two objects is one report",
          "[layout-report]") {
  LayoutReport r;
  add_layout_line(r, "xen/arch/x86/domain.o",
                  "domain.o: type layout changed: struct domain (include/xen/sched.h:5): "
                  "member tot_pages 8+8 -> 16+8, size 24 -> 32; used by changed functions: "
                  "domain_tot_pages");
  add_layout_line(r, "xen/arch/x86/mm.o",
                  "mm.o: type layout changed: struct domain (include/xen/sched.h:5): "
                  "member tot_pages 8+8 -> 16+8, size 24 -> 32; used by changed functions: "
                  "domain_room, domain_tot_pages");
  add_layout_line(r, "xen/arch/x86/mm.o",
                  "mm.o: type layout changed: union u (arch/x86/mm.c:3): size 4 -> 8; "
                  "used by changed functions: domain_room");
  REQUIRE(r.changes.size() == 2);
  CHECK(r.changes[0].functions == std::vector<std::string>{"domain_tot_pages", "domain_room"});
  CHECK(r.changes[0].objects ==
        std::vector<std::string>{"xen/arch/x86/domain.o", "xen/arch/x86/mm.o"});
  CHECK(layout_refusal_lines(r) ==
        std::vector<std::string>{
            "xen/arch/x86/domain.o, xen/arch/x86/mm.o: type layout changed: struct domain "
            "(include/xen/sched.h:5): member tot_pages 8+8 -> 16+8, size 24 -> 32; used by "
            "changed functions: domain_tot_pages, domain_room",
            "xen/arch/x86/mm.o: type layout changed: union u (arch/x86/mm.c:3): size 4 -> 8; "
            "used by changed functions: domain_room"});
  CHECK(lp::report_text({{"layout_changes", layout_changes_json(r)}}) ==
        "{\n  \"layout_changes\": [\n    {\"type\": \"struct domain\", \"decl\": \"include/xen/sched.h:5\", \"status\": "
        "\"refused\", \"details\": \"member tot_pages 8+8 -> 16+8, size 24 -> 32\", \"reason\": "
        "\"\", \"functions\": [\"domain_tot_pages\", \"domain_room\"], \"objects\": "
        "[\"xen/arch/x86/domain.o\", \"xen/arch/x86/mm.o\"]},\n    {\"type\": \"union u\", "
        "\"decl\": \"arch/x86/mm.c:3\", \"status\": \"refused\", \"details\": \"size 4 -> 8\", "
        "\"reason\": \"\", \"functions\": [\"domain_room\"], \"objects\": "
        "[\"xen/arch/x86/mm.o\"]}\n  ]\n}\n");
}

TEST_CASE("layout report: accepted, kept and possible changes", "[layout-report]") {
  LayoutReport r;
  add_layout_line(r, "xen/common/a.o",
                  "a.o: layout change accepted: struct payload: only allocated by new code");
  add_layout_line(r, "xen/common/b.o",
                  "b.o: layout change accepted: struct payload: only allocated by new code");
  add_layout_line(r, "xen/common/b.o",
                  "b.o: layout kept: variable last_tsc: long unsigned int -> struct tsc");
  add_layout_line(r, "xen/common/c.o",
                  "c.o: possible type-layout change in put_maptrack_handle: only memory "
                  "displacements differ");
  add_layout_line(r, "xen/common/c.o", "c.o: changed function: put_maptrack_handle");
  REQUIRE(r.changes.size() == 2);
  CHECK(r.changes[0].status == "accepted");
  CHECK(r.changes[0].reason == "only allocated by new code");
  CHECK(r.changes[0].objects.size() == 2);
  CHECK(r.changes[1].status == "kept");
  CHECK(r.changes[1].type == "variable last_tsc");
  CHECK(r.changes[1].details == "long unsigned int -> struct tsc");
  CHECK(r.possible == std::vector<std::string>{"xen/common/c.o: put_maptrack_handle"});
  CHECK(layout_refusal_lines(r).empty());
  CHECK(accepted_layout_reasons(r) ==
        std::vector<std::string>{"struct payload: only allocated by new code"});

  ModInfo info{"p", "aa", "tool", "bb", "", accepted_layout_reasons(r)};
  auto bytes = modinfo_bytes(info);
  auto entries = parse_modinfo(bytes);
  REQUIRE(entries.size() == 5);
  CHECK(entries[4].first == "layout_change");
  CHECK(entries[4].second == "struct payload: only allocated by new code");
}

TEST_CASE("layout report: create-diff-object's layout lines are not diagnostics",
          "[layout-report]") {
  DiffResult r;
  r.log = "a.o: changed function: f\n"
          "a.o: type layout changed: struct s (a.c:1): size 4 -> 8; used by changed functions: f\n"
          "a.o: layout kept: variable v: long -> struct w\n"
          "a.o: ERROR: 1 unsupported change(s): unreconcilable difference\n";
  parse_diff_log(r);
  CHECK(r.changed == std::vector<std::string>{"f"});
  CHECK(r.layout.size() == 2);
  CHECK(r.errors ==
        std::vector<std::string>{"a.o: ERROR: 1 unsupported change(s): unreconcilable difference"});
}

TEST_CASE("layout report: a type no function uses, and notices about the check",
          "[layout-report]") {
  LayoutReport r;
  add_layout_line(r, "xen/a.o",
                  "a.o: type layout changed: struct s (a.c:1): size 4 -> 8; used by changed "
                  "functions: none");
  add_layout_line(r, "xen/a.o",
                  "a.o: NOTICE: no layout change detected in struct t, unnecessary "
                  "LIVEPATCH_LAYOUT_CHANGE_SAFE()?");
  add_layout_line(r, "xen/b.o",
                  "b.o: WARNING: no DWARF type information in b.o: type layouts not checked");
  REQUIRE(r.changes.size() == 1);
  CHECK(r.changes[0].functions.empty());
  CHECK(layout_refusal_lines(r) ==
        std::vector<std::string>{"xen/a.o: type layout changed: struct s (a.c:1): size 4 -> 8; "
                                 "used by changed functions: none"});
  CHECK(r.notices ==
        std::vector<std::string>{
            "xen/a.o: NOTICE: no layout change detected in struct t, unnecessary "
            "LIVEPATCH_LAYOUT_CHANGE_SAFE()?",
            "xen/b.o: WARNING: no DWARF type information in b.o: type layouts not checked"});
}

TEST_CASE("layout report: the lines a run prints besides refusals", "[layout-report]") {
  LayoutReport r;
  add_layout_line(r, "xen/a.o", "a.o: layout change accepted: struct p: new code only");
  add_layout_line(r, "xen/a.o", "a.o: layout kept: variable v: long -> struct w");
  add_layout_line(r, "xen/b.o",
                  "b.o: possible type-layout change in f: only memory displacements differ");
  CHECK(layout_notes(r) ==
        std::vector<std::string>{"layout change accepted: struct p: new code only",
                                 "layout kept: variable v: long -> struct w",
                                 "WARNING: xen/b.o: f: possible type-layout change, no type "
                                 "information"});
}
