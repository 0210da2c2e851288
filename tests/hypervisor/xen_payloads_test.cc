// One scenario per Xen test payload (ABI doc §6), run on the real
// hypervisor: load, apply, revert, replace and unload with the host tool,
// and check what a user would check - the hypercall's result, the tool's
// exit code and message, the payload's state in `list`, and what the
// payload's hooks printed. No scenario may end in a fatal trap.
#include "qemu_harness.h"

#include <catch2/catch.hpp>

using minixen::test::Minixen;
using minixen::test::payload;
using lp::test::RunResult;

namespace {

RunResult ok(const Minixen &m, const std::vector<std::string> &args) {
  RunResult r = m.act(args);
  INFO("minixen-livepatch " << args[0] << ":\n" << r.output << "\nconsole:\n" << m.console());
  REQUIRE(r.status == 0);
  return r;
}

RunResult fails(const Minixen &m, const std::vector<std::string> &args, int status,
                const std::string &message) {
  RunResult r = m.act(args);
  INFO("minixen-livepatch " << args[0] << ":\n" << r.output << "\nconsole:\n" << m.console());
  REQUIRE(r.status == status);
  CHECK(r.output.find(message) != std::string::npos);
  return r;
}

std::string state_line(const Minixen &m, const std::string &name) {
  RunResult r = ok(m, {"list"});
  auto at = r.output.find("\n" + name + " ");
  if (at == std::string::npos)
    return "";
  return r.output.substr(at + 1, r.output.find('\n', at + 1) - at - 1);
}

void no_fatal(const Minixen &m) {
  INFO("console:\n" << m.console());
  CHECK(m.console().find("FATAL") == std::string::npos);
  CHECK(m.console().find("Panic") == std::string::npos);
}

} // namespace

TEST_CASE("xen_hello_world: apply, load/unload hooks, revert, unload", "[qemu]") {
  Minixen m;
  ok(m, {"load", payload("xen_hello_world")});
  CHECK(m.call("extra_version") == "Hello World");
  std::string line = state_line(m, "xen_hello_world");
  CHECK(line.find("APPLIED") != std::string::npos);
  CHECK(line.find("LIVEPATCH_RULEZ") != std::string::npos);
  CHECK(m.console().find("hi_func: Hi! (called 1 times)") != std::string::npos);
  auto again = ok(m, {"apply", "xen_hello_world"});
  CHECK(again.output.find("No action needed") != std::string::npos);
  ok(m, {"revert", "xen_hello_world"});
  CHECK(m.call("extra_version") == "-minixen");
  CHECK(m.console().find("check_fnc: Hi func called 1 times") != std::string::npos);
  ok(m, {"unload", "xen_hello_world"});
  CHECK(state_line(m, "xen_hello_world").empty());
  no_fatal(m);
}

TEST_CASE("xen_bye_world stacks on xen_hello_world and only the top reverts", "[qemu]") {
  Minixen m;
  ok(m, {"upload", "xen_bye_world", payload("xen_bye_world")});
  // Its .livepatch.depends names hello world, which is not applied.
  fails(m, {"apply", "xen_bye_world"}, 1, "22 (Invalid argument)");
  ok(m, {"load", payload("xen_hello_world")});
  ok(m, {"apply", "xen_bye_world"});
  CHECK(m.call("extra_version") == "Bye World!");
  fails(m, {"revert", "xen_hello_world"}, 2, "16 (Device or resource busy)");
  ok(m, {"revert", "xen_bye_world"});
  CHECK(m.call("extra_version") == "Hello World");
  ok(m, {"revert", "xen_hello_world"});
  CHECK(m.call("extra_version") == "-minixen");
  ok(m, {"unload", "xen_bye_world"});
  ok(m, {"unload", "xen_hello_world"});
  no_fatal(m);
}

TEST_CASE("xen_replace_world replaces the applied stack", "[qemu]") {
  Minixen m;
  ok(m, {"load", payload("xen_hello_world")});
  ok(m, {"upload", "xen_bye_world", payload("xen_bye_world")});
  ok(m, {"apply", "xen_bye_world"});
  ok(m, {"upload", "xen_replace_world", payload("xen_replace_world")});
  auto r = ok(m, {"replace", "xen_replace_world"});
  CHECK(r.output.find("Replacing all live patches with xen_replace_world") != std::string::npos);
  CHECK(m.call("extra_version") == "Hello Again World!");
  CHECK(state_line(m, "xen_hello_world").find("CHECKED") != std::string::npos);
  CHECK(state_line(m, "xen_bye_world").find("CHECKED") != std::string::npos);
  CHECK(state_line(m, "xen_replace_world").find("APPLIED") != std::string::npos);
  ok(m, {"revert", "xen_replace_world"});
  CHECK(m.call("extra_version") == "-minixen");
  no_fatal(m);
}

TEST_CASE("xen_nop blanks xen_minor_version and revert restores it", "[qemu]") {
  Minixen m;
  CHECK(m.call("minor_version") == "17");
  ok(m, {"load", payload("xen_nop")});
  CHECK(m.call("minor_version") != "17");
  ok(m, {"revert", "xen_nop"});
  CHECK(m.call("minor_version") == "17");
  ok(m, {"unload", "xen_nop"});
  no_fatal(m);
}

TEST_CASE("xen_no_xen_buildid is refused at upload", "[qemu]") {
  Minixen m;
  fails(m, {"upload", "xen_no_xen_buildid", payload("xen_no_xen_buildid")}, 1,
        "22 (Invalid argument)");
  CHECK(state_line(m, "xen_no_xen_buildid").empty());
  ok(m, {"load", payload("xen_nop")}); // still healthy
  no_fatal(m);
}

TEST_CASE("xen_prepost_hooks: the pre-revert hook vetoes once", "[qemu]") {
  Minixen m;
  ok(m, {"load", payload("xen_prepost_hooks")});
  CHECK(m.call("extra_version") == "Hello World");
  fails(m, {"revert", "xen_prepost_hooks"}, 1, "1 (Operation not permitted)");
  CHECK(m.call("extra_version") == "Hello World");
  ok(m, {"revert", "xen_prepost_hooks"});
  CHECK(m.call("extra_version") == "-minixen");
  CHECK(m.wait_console("counts pre-apply 1 post-apply 1 pre-revert 2 post-revert 1"));
  no_fatal(m);
}

TEST_CASE("xen_prepost_hooks_fail: a failing pre-apply hook refuses the apply", "[qemu]") {
  Minixen m;
  ok(m, {"upload", "xen_prepost_hooks_fail", payload("xen_prepost_hooks_fail")});
  fails(m, {"apply", "xen_prepost_hooks_fail"}, 1, "22 (Invalid argument)");
  CHECK(m.call("extra_version") == "-minixen");
  CHECK(state_line(m, "xen_prepost_hooks_fail").find("CHECKED") != std::string::npos);
  CHECK(m.console().find("refusing to apply xen_prepost_hooks_fail") != std::string::npos);
  ok(m, {"unload", "xen_prepost_hooks_fail"});
  no_fatal(m);
}

TEST_CASE("xen_action_hooks replace the patching and only flip markers", "[qemu]") {
  Minixen m;
  ok(m, {"load", payload("xen_action_hooks")});
  CHECK(state_line(m, "xen_action_hooks").find("APPLIED") != std::string::npos);
  CHECK(m.call("extra_version") == "-minixen"); // nothing was patched
  ok(m, {"revert", "xen_action_hooks"});
  CHECK(m.wait_console("apply hook ran 1 times, revert hook 1 times"));
  no_fatal(m);
}

TEST_CASE("xen_action_hooks_nofunc: a payload without .livepatch.funcs", "[qemu]") {
  Minixen m;
  ok(m, {"load", payload("xen_action_hooks_nofunc")});
  ok(m, {"revert", "xen_action_hooks_nofunc"});
  CHECK(m.wait_console("post_revert_hook: funcs seen 0"));
  ok(m, {"unload", "xen_action_hooks_nofunc"});
  no_fatal(m);
}

TEST_CASE("xen_action_hooks_marker: applied markers around apply and revert", "[qemu]") {
  Minixen m;
  ok(m, {"load", payload("xen_action_hooks_marker")});
  CHECK(m.call("extra_version") == "Hello World");
  ok(m, {"revert", "xen_action_hooks_marker"});
  CHECK(m.call("extra_version") == "-minixen");
  CHECK(m.wait_console("marker check post-revert: 1 funcs expected NOT_APPLIED"));
  std::string con = m.console();
  CHECK(con.find("marker check pre-apply: 1 funcs expected NOT_APPLIED") != std::string::npos);
  CHECK(con.find("marker check post-apply: 1 funcs expected APPLIED") != std::string::npos);
  CHECK(con.find("marker check pre-revert: 1 funcs expected APPLIED") != std::string::npos);
  no_fatal(m);
}

TEST_CASE("xen_action_hooks_noapply: a failing apply action leaves it CHECKED", "[qemu]") {
  Minixen m;
  ok(m, {"upload", "xen_action_hooks_noapply", payload("xen_action_hooks_noapply")});
  fails(m, {"apply", "xen_action_hooks_noapply"}, 1, "22 (Invalid argument)");
  std::string line = state_line(m, "xen_action_hooks_noapply");
  CHECK(line.find("CHECKED (22, Invalid argument)") != std::string::npos);
  CHECK(m.call("extra_version") == "-minixen");
  CHECK(m.wait_console("post_apply_hook: rc -22"));
  no_fatal(m);
}

TEST_CASE("xen_action_hooks_norevert: the post-revert hook reverts by hand", "[qemu]") {
  Minixen m;
  ok(m, {"load", payload("xen_action_hooks_norevert")});
  CHECK(m.call("extra_version") == "Hello World");
  m.act({"revert", "xen_action_hooks_norevert"});
  CHECK(m.wait_console("reverting xen_action_hooks_norevert by hand"));
  CHECK(m.call("extra_version") == "-minixen");
  std::string line = state_line(m, "xen_action_hooks_norevert");
  CHECK(line.find("CHECKED") != std::string::npos);
  no_fatal(m);
}

TEST_CASE("xen_expectations: matching expected bytes let the apply through", "[qemu]") {
  Minixen m;
  ok(m, {"load", payload("xen_expectations")});
  CHECK(m.call("extra_version") == "Hello World");
  ok(m, {"revert", "xen_expectations"});
  no_fatal(m);
}

TEST_CASE("xen_expectations_fail: wrong expected bytes refuse the apply", "[qemu]") {
  Minixen m;
  ok(m, {"upload", "xen_expectations_fail", payload("xen_expectations_fail")});
  fails(m, {"apply", "xen_expectations_fail"}, 1, "22 (Invalid argument)");
  CHECK(state_line(m, "xen_expectations_fail").find("CHECKED") != std::string::npos);
  CHECK(m.call("extra_version") == "-minixen");
  no_fatal(m);
}
