// The loader follows the rules of the Xen release it is told to be
// (xen/livepatch_version.h): where .livepatch.xen_depends is checked (4.20),
// writable .livepatch.funcs (4.18), the bytes at 33..71 of each entry
// (state on 4.17/4.18, padding on 4.19+), .alt_call_sites (4.21); and
// livepatch-check's --xen-version.
#include "lab.h"
#include "payloads.h"

#include "elf/xen_versions.h"
#include "xen/livepatch_version.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <fmt/format.h>

using namespace lp::hyptest;
using lp::test::run;

namespace {

const char *kFuncs = ".livepatch.funcs";

// The loader as Xen 4.<minor>, for one test (Core puts 4.17 back).
struct AsXen {
  explicit AsXen(unsigned minor) { REQUIRE(livepatch_set_xen_version(4, minor) == 0); }
};

int upload_as(unsigned minor, const std::vector<uint8_t> &bytes) {
  Core core;
  AsXen as(minor);
  return Core::upload("p", bytes);
}

std::string log_as(unsigned minor, const std::vector<uint8_t> &bytes) {
  Core core;
  AsXen as(minor);
  Core::upload("p", bytes);
  return Core::last_log();
}

ElfEdit hello() { return ElfEdit(Lab::read(hello_payload())); }

std::string check_tool() { return std::string(LP_BINARY_DIR) + "/hypervisor/check/livepatch-check"; }

} // namespace

TEST_CASE("the loader's rules for each release agree with the toolchain's release table",
          "[hypervisor_core][xen-release]") {
  for (const lp::elf::XenRelease &r : lp::elf::xen_releases()) {
    INFO(r.version.str());
    REQUIRE(livepatch_set_xen_version(r.version.major, r.version.minor) == 0);
    const lp_xen_rules *x = livepatch_xen_rules();
    CHECK(x->major == static_cast<unsigned>(r.version.major));
    CHECK(x->minor == static_cast<unsigned>(r.version.minor));
    CHECK(x->funcs_state_in_payload == r.funcs_state_in_payload);
    CHECK(x->funcs_must_be_writable == r.funcs_writable);
    CHECK(x->build_id_first == r.build_id_first);
    CHECK(x->alt_call_sites == r.alt_call_sites);
    CHECK(x->sysctl_interface_version == r.sysctl_interface_version);
  }
  CHECK(livepatch_set_xen_version(4, 16) == -LP_EINVAL);
  CHECK(livepatch_set_xen_version(4, 23) == -LP_EINVAL);
  REQUIRE(livepatch_set_xen_version(4, 17) == 0);
}

TEST_CASE("Xen 4.18: a read-only .livepatch.funcs is refused and a writable one applies and reverts",
          "[hypervisor_core][xen-release]") {
  ElfEdit ro = hello();
  REQUIRE((ro.sh(kFuncs)->sh_flags & SHF_WRITE) == 0);
  CHECK(upload_as(18, ro.bytes) == -LP_EINVAL);
  CHECK(log_as(18, ro.bytes) == "livepatch: p: .livepatch.funcs is read-only, but Xen 4.18 "
                                "writes per-function state into it");
  for (unsigned minor : {17u, 19u, 20u, 21u, 22u})
    CHECK(upload_as(minor, ro.bytes) == 0);

  ElfEdit rw = hello();
  rw.sh(kFuncs)->sh_flags |= SHF_WRITE;
  Core core;
  AsXen as(18);
  REQUIRE(Core::upload("rw", rw.bytes) == 0);
  CHECK(Core::action("rw", LIVEPATCH_ACTION_APPLY) == 0);
  CHECK(Core::state("rw") == LIVEPATCH_STATE_APPLIED);
  CHECK(Core::action("rw", LIVEPATCH_ACTION_REVERT) == 0);
  CHECK(Core::state("rw") == LIVEPATCH_STATE_CHECKED);
}

TEST_CASE("Xen 4.19+ refuse a non-zero byte at 33..71 of an entry and 4.17/4.18 a set applied marker",
          "[hypervisor_core][xen-release]") {
  ElfEdit pad = hello();
  pad.data(kFuncs)[40] = 0x5a; // opaque[] on 4.17/4.18, _pad on 4.19+
  for (unsigned minor : {19u, 20u, 21u, 22u}) {
    INFO("4." << minor);
    CHECK(upload_as(minor, pad.bytes) == -LP_EINVAL);
    CHECK(log_as(minor, pad.bytes) ==
          fmt::format("livepatch: p: Function 0: byte 40 of livepatch_func is not zero (Xen 4.{} "
                      "layout has padding at 33..71)",
                      minor));
  }
  CHECK(upload_as(17, pad.bytes) == 0); // Xen overwrites opaque[] at APPLY

  ElfEdit marked = hello();
  marked.data(kFuncs)[64] = 1; // LIVEPATCH_FUNC_APPLIED on 4.17/4.18
  marked.sh(kFuncs)->sh_flags |= SHF_WRITE;
  for (unsigned minor : {17u, 18u}) {
    INFO("4." << minor);
    CHECK(upload_as(minor, marked.bytes) == -LP_EINVAL);
    CHECK(log_as(minor, marked.bytes) ==
          "livepatch: p: Function 0 is already marked applied (byte 64 of livepatch_func)");
  }
  CHECK(upload_as(20, marked.bytes) == -LP_EINVAL);
}

TEST_CASE("Xen 4.20+ check .livepatch.xen_depends first and older releases after the functions",
          "[hypervisor_core][xen-release]") {
  // A payload for another hypervisor whose function is also unknown here.
  ElfEdit e = hello();
  e.data(".livepatch.xen_depends")[20] ^= 1;
  Elf64_Rela *r = e.rela_at(".rela.livepatch.funcs", 16);
  r->r_info = ELF64_R_INFO(ELF64_R_SYM(r->r_info), R_X86_64_NONE);
  std::memcpy(e.data(".rodata.hello_name"), "no_such_function", 17);
  e.sh(kFuncs)->sh_flags |= SHF_WRITE; // as Xen 4.18 wants it
  for (unsigned minor : {17u, 18u, 19u}) {
    INFO("4." << minor);
    CHECK(upload_as(minor, e.bytes) == -LP_ENOENT);
  }
  for (unsigned minor : {20u, 21u, 22u}) {
    INFO("4." << minor);
    CHECK(upload_as(minor, e.bytes) == -LP_EINVAL);
    CHECK(log_as(minor, e.bytes) == "livepatch: p: Xen build-id mismatch");
  }
}

TEST_CASE("Xen 4.21+ process .alt_call_sites and older releases load it as plain data",
          "[hypervisor_core][xen-release]") {
  // One entry whose call site lies outside the payload's text: its 4 bytes
  // are the first word of .livepatch.depends (namesz = 4).
  ElfEdit e = hello();
  e.rename(".note.GNU-stack", ".alt_call_sites");
  Elf64_Shdr *alt = e.sh(".alt_call_sites");
  alt->sh_flags = SHF_ALLOC;
  alt->sh_type = SHT_PROGBITS;
  alt->sh_size = 4;
  alt->sh_addralign = 4;
  alt->sh_offset = e.sh(".livepatch.depends")->sh_offset;
  for (unsigned minor : {17u, 18u, 19u, 20u}) {
    INFO("4." << minor);
    ElfEdit w = e;
    if (minor == 18)
      w.sh(kFuncs)->sh_flags |= SHF_WRITE;
    CHECK(upload_as(minor, w.bytes) == 0);
  }
  for (unsigned minor : {21u, 22u}) {
    INFO("4." << minor);
    CHECK(upload_as(minor, e.bytes) == -LP_EINVAL);
    CHECK(log_as(minor, e.bytes) == "livepatch: p: alt_call site outside payload text");
  }
}

TEST_CASE("livepatch-check --xen-version applies that release's rules",
          "[hypervisor_core][xen-release][check]") {
  std::string xen = Lab::get().xen_syms(); // says no version: 4.17 unless told
  auto r = run({check_tool(), "--xen-syms", xen, hello_payload()});
  CHECK(r.status == 0);
  r = run({check_tool(), "--xen-syms", xen, "--xen-version", "4.18", hello_payload()});
  CHECK(r.status == 2);
  CHECK(r.output == hello_payload() + ": refused: EINVAL (-22): .livepatch.funcs is read-only, "
                                      "but Xen 4.18 writes per-function state into it\n");
  for (const char *v : {"4.19", "4.20", "4.21", "4.22", "4.22.0"}) {
    r = run({check_tool(), "--xen-syms", xen, "--xen-version", v, "--apply", hello_payload()});
    INFO(v << ": " << r.output);
    CHECK(r.status == 0);
  }
  r = run({check_tool(), "--xen-syms", xen, "--xen-version", "4.16", hello_payload()});
  CHECK(r.status == 1);
  CHECK(r.output == "4.16: Xen 4.16 is not supported (supported: 4.17, 4.18, 4.19, 4.20, 4.21, "
                    "4.22)\n");
  r = run({check_tool(), "--xen-syms", xen, "--xen-version", "four", hello_payload()});
  CHECK(r.status == 1);
  CHECK(r.output == "four: --xen-version wants MAJOR.MINOR, e.g. 4.20\n");
}
