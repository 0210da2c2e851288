// APPLY / REVERT / REPLACE / UNLOAD behaviour (ABI doc §3.3, §5): patch
// bytes, the applied stack, REPLACE, expectations, hooks in Xen's order,
// vetoes, action hooks, the applied markers and the re-apply rule.
#include "lab.h"
#include "payloads.h"

#include <catch2/catch.hpp>
#include <atomic>
#include <csignal>
#include <thread>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace lp::hyptest;
using lp::hyp::HostPlatform;

namespace {

std::vector<uint8_t> at(uint64_t addr, size_t len) {
  auto b = HostPlatform::get().read(addr, len);
  REQUIRE(b);
  return *b;
}

int32_t rel32(const std::vector<uint8_t> &b, size_t off) {
  return static_cast<int32_t>(b[off] | b[off + 1] << 8 | b[off + 2] << 16 |
                              static_cast<uint32_t>(b[off + 3]) << 24);
}

std::vector<int> hook_kinds() {
  std::vector<int> kinds;
  for (const auto &c : HostPlatform::get().hook_calls)
    kinds.push_back(c.kind);
  return kinds;
}

} // namespace

TEST_CASE("apply writes a jump to the new function and revert restores the bytes",
          "[hypervisor_core][actions]") {
  Core core;
  uint64_t old = Lab::get().addr("xen_extra_version");
  auto before = at(old, 5);
  REQUIRE(Core::upload("hello", Lab::read(hello_payload())) == 0);
  REQUIRE(Core::action("hello", LIVEPATCH_ACTION_APPLY) == 0);
  CHECK(Core::state("hello") == LIVEPATCH_STATE_APPLIED);
  CHECK(Core::rc("hello") == 0);
  auto after = at(old, 5);
  CHECK(after[0] == 0xe9);
  uint64_t target = old + 5 + static_cast<int64_t>(rel32(after, 1));
  CHECK(livepatch_is_patch(target));
  CHECK(HostPlatform::get().pokes_while_protected == 0);
  CHECK(HostPlatform::get().text_writable == false);
  REQUIRE(Core::action("hello", LIVEPATCH_ACTION_REVERT) == 0);
  CHECK(Core::state("hello") == LIVEPATCH_STATE_CHECKED);
  CHECK(at(old, 5) == before);
}

TEST_CASE("the jump goes after an ENDBR64", "[hypervisor_core][actions]") {
  Core core;
  uint64_t old = Lab::get().addr("xen_cf_version");
  auto before = at(old, 9);
  REQUIRE(before[0] == 0xf3);
  REQUIRE(Core::upload("cf", Lab::read(cf_payload())) == 0);
  REQUIRE(Core::action("cf", LIVEPATCH_ACTION_APPLY) == 0);
  auto after = at(old, 9);
  CHECK(std::vector<uint8_t>(after.begin(), after.begin() + 4) ==
        std::vector<uint8_t>{0xf3, 0x0f, 0x1e, 0xfa});
  CHECK(after[4] == 0xe9);
  CHECK(livepatch_is_patch(old + 9 + static_cast<int64_t>(rel32(after, 5))));
  REQUIRE(Core::action("cf", LIVEPATCH_ACTION_REVERT) == 0);
  CHECK(at(old, 9) == before);
}

TEST_CASE("a NOP patch writes Xen's P6 NOPs", "[hypervisor_core][actions]") {
  Core core;
  uint64_t old = Lab::get().addr("xen_minor_version");
  uint64_t size = Lab::get().size("xen_minor_version");
  auto before = at(old, size);
  REQUIRE(Core::upload("nop", Lab::read(nop_payload())) == 0);
  REQUIRE(Core::action("nop", LIVEPATCH_ACTION_APPLY) == 0);
  auto after = at(old, size);
  REQUIRE(before[0] == 0xb8); // mov $17,%eax; then the return (thunk)
  CHECK(std::vector<uint8_t>(after.begin(), after.begin() + 5) ==
        std::vector<uint8_t>{0x0f, 0x1f, 0x44, 0x00, 0x00});
  CHECK(std::vector<uint8_t>(after.begin() + 5, after.end()) ==
        std::vector<uint8_t>(before.begin() + 5, before.end()));
  REQUIRE(Core::action("nop", LIVEPATCH_ACTION_REVERT) == 0);
  CHECK(at(old, size) == before);
}

TEST_CASE("payloads stack: depends on the top, only the top reverts",
          "[hypervisor_core][actions]") {
  Core core;
  REQUIRE(Core::upload("hello", Lab::read(hello_payload())) == 0);
  REQUIRE(Core::upload("bye", Lab::read(bye_payload())) == 0);
  CHECK(Core::action("bye", LIVEPATCH_ACTION_APPLY) == -LP_EINVAL);
  CHECK(Core::rc("bye") == 0); // unchanged
  REQUIRE(Core::action("hello", LIVEPATCH_ACTION_APPLY) == 0);
  REQUIRE(Core::action("bye", LIVEPATCH_ACTION_APPLY) == 0);
  CHECK(Core::state("bye") == LIVEPATCH_STATE_APPLIED);
  CHECK(Core::action("hello", LIVEPATCH_ACTION_REVERT) == -LP_EBUSY);
  CHECK(livepatch_action("hello", LIVEPATCH_ACTION_UNLOAD, 0, 0) == -LP_EINVAL);
  REQUIRE(Core::action("bye", LIVEPATCH_ACTION_REVERT) == 0);
  REQUIRE(Core::action("hello", LIVEPATCH_ACTION_REVERT) == 0);
  CHECK(Core::action("hello", LIVEPATCH_ACTION_REVERT) == 0); // CHECKED: no-op
  CHECK(Core::state("hello") == LIVEPATCH_STATE_CHECKED);
}

TEST_CASE("APPLY_NODEPS skips the depends check", "[hypervisor_core][actions]") {
  Core core;
  REQUIRE(Core::upload("hello", Lab::read(hello_payload())) == 0);
  REQUIRE(Core::upload("bye", Lab::read(bye_payload())) == 0);
  REQUIRE(Core::action("bye", LIVEPATCH_ACTION_APPLY, LIVEPATCH_ACTION_APPLY_NODEPS) == 0);
  CHECK(Core::state("bye") == LIVEPATCH_STATE_APPLIED);
}

TEST_CASE("REPLACE reverts the whole stack and applies one payload",
          "[hypervisor_core][actions]") {
  Core core;
  uint64_t old = Lab::get().addr("xen_extra_version");
  REQUIRE(Core::upload("hello", Lab::read(hello_payload())) == 0);
  REQUIRE(Core::upload("bye", Lab::read(bye_payload())) == 0);
  REQUIRE(Core::upload("replace", Lab::read(replace_payload())) == 0);
  REQUIRE(Core::action("hello", LIVEPATCH_ACTION_APPLY) == 0);
  CHECK(Core::action("bye", LIVEPATCH_ACTION_REPLACE) == -LP_EINVAL); // depends not on Xen
  REQUIRE(Core::action("bye", LIVEPATCH_ACTION_APPLY) == 0);
  CHECK(Core::action("bye", LIVEPATCH_ACTION_REPLACE) == 0); // APPLIED: no-op
  REQUIRE(Core::action("replace", LIVEPATCH_ACTION_REPLACE) == 0);
  CHECK(Core::rc("replace") == 0);
  CHECK(Core::state("replace") == LIVEPATCH_STATE_APPLIED);
  CHECK(Core::state("hello") == LIVEPATCH_STATE_CHECKED);
  CHECK(Core::state("bye") == LIVEPATCH_STATE_CHECKED);
  auto b = at(old, 5);
  CHECK(b[0] == 0xe9);
  // The stack now holds only "replace": hello (depends on Xen) cannot go on it.
  CHECK(Core::action("hello", LIVEPATCH_ACTION_APPLY) == -LP_EINVAL);
}

TEST_CASE("REPLACE is refused when vetoing hooks are involved", "[hypervisor_core][actions]") {
  Core core;
  REQUIRE(Core::upload("hooks", Lab::read(hooks_payload())) == 0);
  REQUIRE(Core::upload("replace", Lab::read(replace_payload())) == 0);
  CHECK(Core::action("hooks", LIVEPATCH_ACTION_REPLACE) == -LP_EOPNOTSUPP);
  REQUIRE(Core::action("hooks", LIVEPATCH_ACTION_APPLY) == 0);
  CHECK(Core::action("replace", LIVEPATCH_ACTION_REPLACE) == -LP_EOPNOTSUPP);
}

TEST_CASE("expectations: met, and not met", "[hypervisor_core][actions]") {
  Core core;
  REQUIRE(Core::upload("ok", Lab::read(expect_payload(true))) == 0);
  REQUIRE(Core::upload("bad", Lab::read(expect_payload(false))) == 0);
  CHECK(Core::action("bad", LIVEPATCH_ACTION_APPLY) == -LP_EINVAL);
  CHECK(Core::state("bad") == LIVEPATCH_STATE_CHECKED);
  CHECK(Core::rc("bad") == 0);
  REQUIRE(Core::action("ok", LIVEPATCH_ACTION_APPLY) == 0);
  CHECK(Core::state("ok") == LIVEPATCH_STATE_APPLIED);
}

TEST_CASE("an expectation with reserved bits or longer than old_size",
          "[hypervisor_core][actions]") {
  Core core;
  ElfEdit e(Lab::read(expect_payload(true)));
  SECTION("rsv set") {
    e.data(".livepatch.funcs")[72] |= 0x40;
    REQUIRE(Core::upload("x", e.bytes) == 0);
    CHECK(Core::action("x", LIVEPATCH_ACTION_APPLY) == -LP_EINVAL);
  }
  SECTION("len > old_size") {
    e.data(".livepatch.funcs")[72] = 1 | (20 << 1);
    e.data(".livepatch.funcs")[28] = 19;
    REQUIRE(Core::upload("x", e.bytes) == 0);
    CHECK(Core::action("x", LIVEPATCH_ACTION_APPLY) == -LP_ERANGE);
  }
}

TEST_CASE("hooks run in Xen's order", "[hypervisor_core][actions]") {
  Core core;
  REQUIRE(Core::upload("hooks", Lab::read(hooks_payload())) == 0);
  REQUIRE(Core::action("hooks", LIVEPATCH_ACTION_APPLY) == 0);
  CHECK(hook_kinds() == std::vector<int>{LP_HOOK_PREAPPLY, LP_HOOK_LOAD, LP_HOOK_LOAD,
                                         LP_HOOK_POSTAPPLY});
  const auto &calls = HostPlatform::get().hook_calls;
  CHECK(calls[1].fn == livepatch_symbols_lookup_by_name("hooks_load_a"));
  CHECK(calls[2].fn == livepatch_symbols_lookup_by_name("hooks_load_b"));
  HostPlatform::get().hook_calls.clear();
  REQUIRE(Core::action("hooks", LIVEPATCH_ACTION_REVERT) == 0);
  CHECK(hook_kinds() == std::vector<int>{LP_HOOK_PREREVERT, LP_HOOK_UNLOAD, LP_HOOK_POSTREVERT});
}

TEST_CASE("a failing pre-apply hook vetoes APPLY", "[hypervisor_core][actions]") {
  Core core;
  REQUIRE(Core::upload("hooks", Lab::read(hooks_payload())) == 0);
  HostPlatform::get().hook_handler = [](int kind, uint64_t, struct payload *) {
    return kind == LP_HOOK_PREAPPLY ? -LP_EINVAL : 0;
  };
  CHECK(Core::action("hooks", LIVEPATCH_ACTION_APPLY) == -LP_EINVAL);
  CHECK(Core::rc("hooks") == -LP_EINVAL);
  CHECK(Core::state("hooks") == LIVEPATCH_STATE_CHECKED);
  CHECK(hook_kinds() == std::vector<int>{LP_HOOK_PREAPPLY});
}

TEST_CASE("a pre-revert hook that fails once (xen_prepost_hooks)", "[hypervisor_core][actions]") {
  Core core;
  REQUIRE(Core::upload("hooks", Lab::read(hooks_payload())) == 0);
  int pre_reverts = 0;
  HostPlatform::get().hook_handler = [&](int kind, uint64_t, struct payload *) {
    return kind == LP_HOOK_PREREVERT && ++pre_reverts == 1 ? -LP_EPERM : 0;
  };
  REQUIRE(Core::action("hooks", LIVEPATCH_ACTION_APPLY) == 0);
  CHECK(Core::action("hooks", LIVEPATCH_ACTION_REVERT) == -LP_EPERM);
  CHECK(Core::state("hooks") == LIVEPATCH_STATE_APPLIED);
  CHECK(Core::action("hooks", LIVEPATCH_ACTION_REVERT) == 0);
  CHECK(Core::state("hooks") == LIVEPATCH_STATE_CHECKED);
  CHECK(pre_reverts == 2);
}

TEST_CASE("action hooks replace the default patching", "[hypervisor_core][actions]") {
  Core core;
  uint64_t old = Lab::get().addr("xen_extra_version");
  auto before = at(old, 5);
  REQUIRE(Core::upload("action", Lab::read(action_hooks_payload())) == 0);
  REQUIRE(Core::action("action", LIVEPATCH_ACTION_APPLY) == 0);
  CHECK(Core::state("action") == LIVEPATCH_STATE_APPLIED);
  CHECK(at(old, 5) == before); // the hook (marks only) ran, not Xen's patching
  CHECK(hook_kinds() == std::vector<int>{LP_HOOK_APPLY});
  REQUIRE(Core::action("action", LIVEPATCH_ACTION_REVERT) == 0);
  CHECK(Core::state("action") == LIVEPATCH_STATE_CHECKED);
}

TEST_CASE("action hooks without funcs (xen_action_hooks_nofunc)", "[hypervisor_core][actions]") {
  Core core;
  REQUIRE(Core::upload("nofunc", Lab::read(action_nofunc_payload())) == 0);
  REQUIRE(Core::action("nofunc", LIVEPATCH_ACTION_APPLY) == 0);
  CHECK(Core::state("nofunc") == LIVEPATCH_STATE_APPLIED);
  REQUIRE(Core::action("nofunc", LIVEPATCH_ACTION_REVERT) == 0);
  CHECK(Core::state("nofunc") == LIVEPATCH_STATE_CHECKED);
}

TEST_CASE("a failing apply action hook leaves the payload CHECKED (noapply)",
          "[hypervisor_core][actions]") {
  Core core;
  REQUIRE(Core::upload("action", Lab::read(action_hooks_payload())) == 0);
  HostPlatform::get().hook_handler = [](int kind, uint64_t, struct payload *) {
    return kind == LP_HOOK_APPLY ? -LP_EINVAL : 0;
  };
  REQUIRE(Core::action("action", LIVEPATCH_ACTION_APPLY) == 0);
  CHECK(Core::state("action") == LIVEPATCH_STATE_CHECKED);
  CHECK(Core::rc("action") == -LP_EINVAL);
}

TEST_CASE("a failing revert action hook, reverted by hand in post-revert (norevert)",
          "[hypervisor_core][actions]") {
  Core core;
  REQUIRE(Core::upload("action", Lab::read(action_hooks_payload())) == 0);
  REQUIRE(Core::action("action", LIVEPATCH_ACTION_APPLY) == 0);
  HostPlatform::get().hook_handler = [](int kind, uint64_t, struct payload *) {
    if (kind == LP_HOOK_REVERT)
      return -LP_EINVAL; // leaves the markers APPLIED: consistent with failure
    return 0;
  };
  REQUIRE(Core::action("action", LIVEPATCH_ACTION_REVERT) == 0);
  CHECK(Core::state("action") == LIVEPATCH_STATE_APPLIED);
  CHECK(Core::rc("action") == -LP_EINVAL);
  // What xen_action_hooks_norevert's post-revert hook does, from outside.
  HostPlatform::get().hook_handler = nullptr;
  struct payload *p = nullptr;
  for (struct payload *q = lp_payload_list; q; q = q->next)
    if (std::string(q->name) == "action")
      p = q;
  REQUIRE(p);
  REQUIRE(revert_payload(p) == 0);
  revert_payload_tail(p);
  CHECK(Core::state("action") == LIVEPATCH_STATE_CHECKED);
  CHECK(Core::rc("action") == -LP_EINVAL);
}

TEST_CASE("applied markers follow apply and revert (xen_action_hooks_marker)",
          "[hypervisor_core][actions]") {
  Core core;
  REQUIRE(Core::upload("hooks", Lab::read(hooks_payload())) == 0);
  std::vector<std::pair<int, int>> seen; // (hook kind, marker of func 0)
  HostPlatform::get().hook_handler = [&](int kind, uint64_t, struct payload *p) {
    seen.emplace_back(kind, p->fstate[0].applied);
    return 0;
  };
  REQUIRE(Core::action("hooks", LIVEPATCH_ACTION_APPLY) == 0);
  REQUIRE(Core::action("hooks", LIVEPATCH_ACTION_REVERT) == 0);
  using V = std::vector<std::pair<int, int>>;
  CHECK(seen == V{{LP_HOOK_PREAPPLY, 0}, {LP_HOOK_LOAD, 0}, {LP_HOOK_LOAD, 0},
                  {LP_HOOK_POSTAPPLY, 1}, {LP_HOOK_PREREVERT, 1}, {LP_HOOK_UNLOAD, 0},
                  {LP_HOOK_POSTREVERT, 0}});
}

TEST_CASE("inconsistent markers after an action hook stop the machine",
          "[hypervisor_core][actions]") {
  Core core;
  REQUIRE(Core::upload("action", Lab::read(action_hooks_payload())) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Returns success without marking anything: Xen panics.
    HostPlatform::get().hook_handler = [](int, uint64_t, struct payload *) { return 0; };
    signal(SIGABRT, SIG_DFL);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    Core::action("action", LIVEPATCH_ACTION_APPLY);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGABRT);
}

TEST_CASE("a payload with .data cannot be re-applied after a revert",
          "[hypervisor_core][actions]") {
  Core core;
  REQUIRE(Core::upload("data", Lab::read(data_payload())) == 0);
  REQUIRE(Core::action("data", LIVEPATCH_ACTION_APPLY) == 0);
  REQUIRE(Core::action("data", LIVEPATCH_ACTION_REVERT) == 0);
  CHECK(Core::action("data", LIVEPATCH_ACTION_APPLY) == 0);
  CHECK(Core::rc("data") == -LP_EINVAL);
  CHECK(Core::state("data") == LIVEPATCH_STATE_CHECKED);
  // Without .data the payload re-applies.
  REQUIRE(Core::upload("hello", Lab::read(hello_payload())) == 0);
  REQUIRE(Core::action("hello", LIVEPATCH_ACTION_APPLY) == 0);
  REQUIRE(Core::action("hello", LIVEPATCH_ACTION_REVERT) == 0);
  REQUIRE(Core::action("hello", LIVEPATCH_ACTION_APPLY) == 0);
  CHECK(Core::state("hello") == LIVEPATCH_STATE_APPLIED);
}

TEST_CASE("GET, LIST, UNLOAD and unknown actions", "[hypervisor_core][actions]") {
  Core core;
  uint32_t v0 = 0, v1 = 0;
  livepatch_list_count(&v0);
  REQUIRE(Core::upload("hello", Lab::read(hello_payload())) == 0);
  REQUIRE(Core::upload("nop", Lab::read(nop_payload())) == 0);
  CHECK(livepatch_list_count(&v1) == 2);
  CHECK(v1 == v0 + 2);
  const char *name = nullptr, *meta = nullptr;
  uint32_t state = 0, meta_len = 0;
  int32_t rc = 1;
  REQUIRE(livepatch_list_entry(0, &name, &state, &rc, &meta, &meta_len) == 0);
  CHECK(std::string(name) == "hello");
  CHECK(state == LIVEPATCH_STATE_CHECKED);
  CHECK(rc == 0);
  CHECK(std::string(meta, meta_len) == std::string("LIVEPATCH_RULEZ\0version=1\0", 26));
  REQUIRE(livepatch_list_entry(1, &name, nullptr, nullptr, &meta, &meta_len) == 0);
  CHECK(meta == nullptr);
  CHECK(livepatch_list_entry(2, &name, nullptr, nullptr, nullptr, nullptr) == -LP_EINVAL);
  CHECK(livepatch_action("hello", 9, 0, 0) == -LP_EOPNOTSUPP);
  CHECK(livepatch_action("nobody", LIVEPATCH_ACTION_APPLY, 0, 0) == -LP_ENOENT);
  uint32_t s = 0;
  int32_t r = 0;
  CHECK(livepatch_get("nobody", &s, &r) == -LP_ENOENT);
  REQUIRE(livepatch_action("nop", LIVEPATCH_ACTION_UNLOAD, 0, 0) == 0);
  CHECK(livepatch_get("nop", &s, &r) == -LP_ENOENT);
}

TEST_CASE("one action at a time", "[hypervisor_core][actions]") {
  Core core;
  REQUIRE(Core::upload("hello", Lab::read(hello_payload())) == 0);
  REQUIRE(Core::upload("nop", Lab::read(nop_payload())) == 0);
  REQUIRE(livepatch_action("hello", LIVEPATCH_ACTION_APPLY, 0, 0) == 0);
  CHECK(Core::rc("hello") == -LP_EAGAIN);
  CHECK(livepatch_action("hello", LIVEPATCH_ACTION_APPLY, 0, 0) == -LP_EBUSY);
  CHECK(livepatch_action("nop", LIVEPATCH_ACTION_APPLY, 0, 0) == -LP_EBUSY);
  CHECK(Core::rc("nop") == -LP_EAGAIN);
  check_for_livepatch_work();
  CHECK(Core::rc("hello") == 0);
  CHECK(Core::state("hello") == LIVEPATCH_STATE_APPLIED);
  CHECK_FALSE(livepatch_work_pending());
}

TEST_CASE("the rendezvous waits for every CPU, and times out without one",
          "[hypervisor_core][actions]") {
  // The test drives the core's clock (HostPlatform::clock), so neither half
  // depends on how fast the machine runs the threads.
  Core core;
  auto &hp = HostPlatform::get();
  REQUIRE(Core::upload("hello", Lab::read(hello_payload())) == 0);
  hp.num_cpus = 2;

  // 1. Time stands still, and CPU 1 only starts polling once the master has
  // read the clock for its deadline: the master is already waiting when CPU 1
  // arrives, and the action can only complete because it waits.
  std::atomic<bool> master_waiting{false}, stop{false};
  std::atomic<unsigned> polls{0};
  hp.clock = [&] {
    master_waiting = true;
    return uint64_t{0};
  };
  std::thread cpu1([&] {
    HostPlatform::set_current_cpu(1);
    while (!master_waiting)
      std::this_thread::yield();
    while (!stop) {
      check_for_livepatch_work();
      polls++;
    }
  });
  REQUIRE(livepatch_action("hello", LIVEPATCH_ACTION_APPLY, 0, 0) == 0);
  check_for_livepatch_work(); // CPU 0 is the master
  stop = true;
  cpu1.join();
  CHECK(polls > 0);
  CHECK(Core::rc("hello") == 0);
  CHECK(Core::state("hello") == LIVEPATCH_STATE_APPLIED);

  // 2. CPU 1 no longer answers. The clock stays at 0 for 1000 readings (the
  // master keeps waiting), then jumps past the 1 ms timeout: -EBUSY.
  unsigned readings = 0;
  hp.clock = [&] { return ++readings <= 1000 ? uint64_t{0} : uint64_t{2000000}; };
  REQUIRE(livepatch_action("hello", LIVEPATCH_ACTION_REVERT, 1000000, 0) == 0);
  check_for_livepatch_work();
  CHECK(readings > 1000);
  CHECK(Core::rc("hello") == -LP_EBUSY);
  CHECK(Core::state("hello") == LIVEPATCH_STATE_APPLIED);
  CHECK(Core::last_log().find("finished REVERT with rc=-16") != std::string::npos);
  bool timed_out = false;
  for (const auto &line : hp.log)
    timed_out = timed_out || line.find("Timed out on semaphore in CPU quiesce phase 0/1") !=
                                 std::string::npos;
  CHECK(timed_out);
  hp.clock = nullptr;
  hp.num_cpus = 1;
}
