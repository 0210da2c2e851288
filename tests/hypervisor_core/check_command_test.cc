// The livepatch-check command: verdicts, exit codes and output lines.
#include "lab.h"
#include "payloads.h"

#include <catch2/catch.hpp>

using namespace lp::hyptest;
using lp::test::run;

namespace {

std::string check_tool() { return std::string(LP_BINARY_DIR) + "/hypervisor/check/livepatch-check"; }

} // namespace

TEST_CASE("livepatch-check: a valid payload would load", "[hypervisor_core][check]") {
  auto r = run({check_tool(), "--xen-syms", Lab::get().xen_syms(), hello_payload()});
  CHECK(r.status == 0);
  CHECK(r.output == hello_payload() + ": would load\n");
  r = run({check_tool(), "--xen-syms", Lab::get().xen_syms(), "--apply", hello_payload()});
  CHECK(r.status == 0);
}

TEST_CASE("livepatch-check: refusals print Xen's errno and exit 2", "[hypervisor_core][check]") {
  auto r = run({check_tool(), "--xen-syms", Lab::get().xen_syms(), no_xen_depends_payload()});
  CHECK(r.status == 2);
  CHECK(r.output == no_xen_depends_payload() +
                        ": refused: EINVAL (-22): .livepatch.xen_depends is missing\n");
  r = run({check_tool(), "--xen-syms", Lab::get().xen_syms(), "--apply", expect_payload(false)});
  CHECK(r.status == 2);
  CHECK(r.output.find("refused: EINVAL (-22)") != std::string::npos);
  // Stacking: bye needs hello applied below it.
  r = run({check_tool(), "--xen-syms", Lab::get().xen_syms(), "--apply", bye_payload()});
  CHECK(r.status == 2);
  r = run({check_tool(), "--xen-syms", Lab::get().xen_syms(), "--loaded", hello_payload(),
           "--apply", bye_payload()});
  CHECK(r.status == 0);
  // Uploading hello twice: same build-id.
  r = run({check_tool(), "--xen-syms", Lab::get().xen_syms(), "--loaded", hello_payload(),
           hello_payload()});
  CHECK(r.status == 2);
  CHECK(r.output.find("EEXIST (-17)") != std::string::npos);
}

TEST_CASE("livepatch-check: unreadable input exits 1", "[hypervisor_core][check]") {
  auto r = run({check_tool(), "--xen-syms", Lab::get().xen_syms(), "/nonexistent.livepatch"});
  CHECK(r.status == 1);
  r = run({check_tool(), "--xen-syms", hello_payload() + ".nope", hello_payload()});
  CHECK(r.status == 1);
  r = run({check_tool(), "--help"});
  CHECK(r.status == 0);
  CHECK(r.output.find("--xen-syms") != std::string::npos);
}
