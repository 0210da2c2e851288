// Closing the loop with the hypervisor: its loader, compiled for the host as
// livepatch-check, in enforce mode with verify_key.pem built in, loads a
// payload signed by livepatch-sign with the matching key and refuses every
// other payload: unsigned, signed with another key, tampered with after
// signing, or carrying only an appended signature (which Xen does not read).
//
// The "hypervisor" is a tiny static executable with a build-id and the
// function the payload replaces; the payload names that build-id in
// .livepatch.xen_depends and .livepatch.depends, as livepatch-build does.
#include "sign_fixture.h"

#include <catch2/catch.hpp>


using namespace lp::test;
using namespace lp::test::sign;

namespace {

const char kXenSource[] = R"(
const char *xen_extra_version(void) { return "-unpatched"; }
void _start(void) { for (;;) ; }
asm(".globl __x86_return_thunk\n__x86_return_thunk: ret\n"); /* Xen's -mfunction-return target */
)";

const char kPatchSource[] = R"(
const char *xen_extra_version(void) { return "Hello World"; }
struct livepatch_func { const char *name; void *new_addr; void *old_addr;
                        unsigned int new_size, old_size; unsigned char version, pad[71]; };
struct livepatch_func __attribute__((section(".livepatch.funcs"))) funcs = {
  "xen_extra_version", (void *)xen_extra_version, 0, 16, 16, 2 };
)";

void must_run(const std::vector<std::string> &argv) {
  RunResult r = run(argv);
  INFO(argv[0] << ": " << r.output);
  REQUIRE(r.status == 0);
}

struct Loop {
  TempDir dir;
  std::string xen_syms = dir.file("xen-syms");
  std::string payload = dir.file("unsigned.livepatch");

  Loop() {
    std::string xen_c = dir.write("xen.c", kXenSource);
    must_run({"gcc", "-O2", "-fno-pie", "-no-pie", "-nostdlib", "-static", "-ffunction-sections",
              "-Wl,--build-id=sha1", xen_c, "-o", xen_syms});
    std::string note = dir.file("xen-build-id.note");
    must_run({"objcopy", "-O", "binary", "--only-section=.note.gnu.build-id", xen_syms, note});
    std::string obj = compile_xen_c(dir, "patch", kPatchSource);
    std::string with_deps = dir.file("patch-deps.o");
    must_run({"objcopy", "--add-section", ".livepatch.xen_depends=" + note, "--set-section-flags",
              ".livepatch.xen_depends=alloc,readonly", "--add-section",
              ".livepatch.depends=" + note, "--set-section-flags",
              ".livepatch.depends=alloc,readonly", obj, with_deps});
    must_run({"ld", "-r", "--build-id=sha1", with_deps, "-o", payload});
  }

  std::string sign(const std::string &name, const std::vector<std::string> &how) {
    std::string out = dir.file(name);
    std::vector<std::string> args = {"sign", "-o", out};
    args.insert(args.end(), how.begin(), how.end());
    args.push_back(payload);
    RunResult r = livepatch_sign(args);
    INFO(r.output);
    REQUIRE(r.status == 0);
    return out;
  }

  RunResult check(const std::string &file, const std::string &mode = "enforce") {
    return run({LP_LIVEPATCH_CHECK, "--xen-syms", xen_syms, "--signature-mode", mode, "--key",
                keys().pub, file});
  }
};

} // namespace

TEST_CASE("hypervisor: enforce mode loads only payloads signed with its key", "[sign][hyp]") {
  Loop loop;
  std::string good = loop.sign("good.livepatch", {"--key", keys().key});
  RunResult r = loop.check(good);
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(r.output.find("would load") != std::string::npos);

  r = loop.check(loop.payload);
  CHECK(r.status == 2);
  CHECK(r.output.find("EACCES (-13): no .note.Xen.signature section") != std::string::npos);

  r = loop.check(loop.sign("other.livepatch", {"--key", other_keys().key}));
  CHECK(r.status == 2);
  CHECK(r.output.find("EACCES (-13): signature verification failed") != std::string::npos);

  auto bytes = read_bytes(good);
  bytes[bytes.size() / 2] ^= 0x01;
  std::string tampered = loop.dir.file("tampered.livepatch");
  write_bytes(tampered, bytes);
  r = loop.check(tampered);
  CHECK(r.status == 2);
  CHECK(livepatch_sign({"verify", "--pubkey", keys().pub, tampered}).status == 2);

  std::string appended = loop.sign("appended.livepatch", {"--format", "appended", "--key",
                                                          keys().key, "--cert", keys().cert});
  r = loop.check(appended);
  CHECK(r.status == 2);
  CHECK(r.output.find("EACCES") != std::string::npos);
}

TEST_CASE("hypervisor: without enforcement the same payloads load",
          "[sign][hyp]") {
  Loop loop;
  CHECK(loop.check(loop.payload, "off").status == 0);
  CHECK(loop.check(loop.payload, "warn").status == 0);
  std::string good = loop.sign("good.livepatch", {"--key", keys().key});
  CHECK(loop.check(good, "off").status == 0);
  std::string other = loop.sign("other.livepatch", {"--key", other_keys().key});
  CHECK(loop.check(other, "off").status == 0);
  CHECK(loop.check(other, "warn").status == 0);
  std::string appended = loop.sign("appended.livepatch", {"--format", "appended", "--key",
                                                          keys().key, "--cert", keys().cert});
  CHECK(loop.check(appended, "off").status == 0);
}
