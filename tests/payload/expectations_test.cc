// --expect: each .livepatch.funcs entry expects the bytes its jump overwrites.
#include "payload_fixture.h"

#include "elf/error.h"
#include "elf/image.h"
#include "elf/reader.h"
#include "payload/assemble.h"
#include "payload/build_id_note.h"
#include "payload/funcs_table.h"

#include <catch2/catch.hpp>

using namespace lp::payload;
using lp::test::TempDir;

namespace {

std::vector<uint8_t> expect_field(const lp::elf::Object &p, size_t entry) {
  auto *funcs = p.section_named(".livepatch.funcs");
  auto at = funcs->data.begin() + entry * kFuncSize + kFuncExpectOff;
  return std::vector<uint8_t>(at, at + 32);
}

std::string two_entry_object(const TempDir &dir) {
  return lp::test::compile_xen_c(dir, "d", R"(
#include <stdint.h>
struct livepatch_func {
  const char *name; void *new_addr; void *old_addr;
  uint32_t new_size, old_size; uint8_t version; uint8_t pad[39]; uint8_t expect[32];
};
int foo(int x) { return x + 42; }
int plain_fn(int x) { return x - 1; }
static struct livepatch_func f[] __attribute__((section(".livepatch.funcs"), used, aligned(8))) = {
  { .name = "foo", .new_addr = foo, .new_size = 4, .old_size = 16, .version = 2 },
  { .name = "plain_fn", .new_addr = plain_fn, .new_size = 4, .old_size = 16, .version = 2,
    .expect = { 0x05, 0xaa, 0xbb } },
  { .name = "xen.c#hidden_one", .new_addr = plain_fn, .new_size = 4, .old_size = 8, .version = 2 },
};
)");
}

} // namespace

TEST_CASE("expectations hold ENDBR64 plus the jump's 5 bytes, from xen-syms", "[payload][expect]") {
  TempDir dir;
  auto xen_path = lp::test::standard_xen_syms(dir);
  auto xen = lp::elf::LinkedImage::open(xen_path);
  AssembleRequest req;
  req.objects = {two_entry_object(dir)};
  req.linked_path = dir.file("output.o");
  req.output = dir.file("p.livepatch");
  req.depends = *xen.build_id();
  req.xen_depends = *xen.build_id();
  req.expect_against = &xen;
  AssembleResult res = assemble_payload(req);
  lp::elf::Object p = lp::elf::read_object(req.output);

  // foo starts with endbr64: 4 + 5 bytes, byte 0 = 1 | 9 << 1.
  auto foo = expect_field(p, 0);
  auto want = *xen.read(xen.global("foo")->address, 9);
  CHECK(foo[0] == 0x13);
  CHECK(std::vector<uint8_t>(foo.begin() + 1, foo.begin() + 10) == want);
  CHECK(want[0] == 0xf3);
  CHECK(std::all_of(foo.begin() + 10, foo.end(), [](uint8_t b) { return b == 0; }));

  // The author's hand-written expectation is kept as is.
  auto plain = expect_field(p, 1);
  CHECK(plain[0] == 0x05);
  CHECK(plain[1] == 0xaa);
  CHECK(res.expectations[1].by_author);

  // A static is found by its Xen name; no ENDBR64 there: 5 bytes.
  auto hidden = expect_field(p, 2);
  CHECK(hidden[0] == 0x0b);
  auto h = xen.local("xen.c", "hidden_one");
  REQUIRE(h);
  CHECK(std::vector<uint8_t>(hidden.begin() + 1, hidden.begin() + 6) == *xen.read(h->address, 5));
}

TEST_CASE("expectations: --expect is refused for a payload stacked on another", "[payload][expect]") {
  std::vector<uint8_t> xen_id(20, 1), lower(20, 2);
  CHECK_NOTHROW(check_expectations_allowed(xen_id, xen_id));
  try {
    check_expectations_allowed(lower, xen_id);
    FAIL("accepted");
  } catch (const lp::FileError &e) {
    CHECK(e.file() == "--expect");
    CHECK_THAT(e.problem(), Catch::Contains("stacks on 0202"));
  }
}

TEST_CASE("expectations: --expect names a function missing from xen-syms", "[payload][expect]") {
  TempDir dir;
  auto xen = lp::elf::LinkedImage::open(lp::test::standard_xen_syms(dir));
  auto obj = lp::test::compile_xen_c(dir, "m", R"(
#include <stdint.h>
struct livepatch_func {
  const char *name; void *new_addr; void *old_addr;
  uint32_t new_size, old_size; uint8_t version; uint8_t pad[39]; uint8_t expect[32];
};
int nowhere(int x) { return x; }
static struct livepatch_func f[] __attribute__((section(".livepatch.funcs"), used, aligned(8))) = {
  { .name = "nowhere", .new_addr = nowhere, .new_size = 4, .old_size = 16, .version = 2 },
};
)");
  AssembleRequest req;
  req.objects = {obj};
  req.linked_path = dir.file("output.o");
  req.output = dir.file("p.livepatch");
  req.depends = req.xen_depends = *xen.build_id();
  req.expect_against = &xen;
  CHECK_THROWS_WITH(assemble_payload(req), Catch::Contains("cannot find the address of nowhere"));
}
