// prelink: UNDEF symbols become SHN_ABS with xen-syms addresses.
#include "payload_fixture.h"

#include "elf/image.h"
#include "elf/reader.h"
#include "elf/writer.h"
#include "sign/sign.h"

#include <catch2/catch.hpp>
#include <elf.h>
#include <filesystem>

using lp::test::TempDir;

namespace {

// A payload-like object that calls Xen's plain_fn, weak_fn and the static
// xen.c#hidden_one (spelled the Xen way, as create-diff-object writes it).
std::string object_with_undefined(const TempDir &dir, const std::string &extra_name = "") {
  auto obj_path = lp::test::compile_xen_c(dir, "u", R"(
extern int plain_fn(int);
extern int weak_fn(int);
extern int hidden_ref(int);
extern int other_ref(int);
int user(int x) { return plain_fn(x) + weak_fn(x) + hidden_ref(x) + other_ref(x); }
)");
  auto obj = lp::elf::read_object(obj_path);
  for (auto &sym : obj.symbols) {
    if (sym->name == "hidden_ref")
      sym->name = "xen.c#hidden_one";
    if (sym->name == "other_ref")
      sym->name = extra_name.empty() ? "counter" : extra_name;
  }
  obj.reindex();
  std::string out = dir.file("in.o");
  lp::elf::write_object(obj, out);
  return out;
}

} // namespace

TEST_CASE("prelink resolves globals, weak and file#static names", "[payload][prelink]") {
  TempDir dir;
  auto xen_path = lp::test::standard_xen_syms(dir);
  auto in = object_with_undefined(dir);
  auto out = dir.file("out.livepatch");
  auto r = lp::test::run({lp::test::tool_path("prelink"), "-d", in, out, xen_path});
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.output, Catch::Contains("xen.c#hidden_one -> 0x"));

  auto xen = lp::elf::LinkedImage::open(xen_path);
  auto p = lp::elf::read_object(out);
  auto expect_abs = [&](const char *name, uint64_t addr) {
    auto syms = p.symbols_named(name);
    REQUIRE(syms.size() == 1);
    CHECK(syms[0]->shndx == SHN_ABS);
    CHECK(syms[0]->value == addr);
  };
  expect_abs("plain_fn", xen.global("plain_fn")->address);
  expect_abs("weak_fn", xen.global("weak_fn")->address);
  expect_abs("xen.c#hidden_one", xen.local("xen.c", "hidden_one")->address);
  expect_abs("counter", xen.global("counter")->address);
  // Relocations are kept for Xen to apply.
  CHECK(p.section_named(".rela.text.user"));
}

TEST_CASE("prelink fails on an unknown symbol and writes nothing", "[payload][prelink]") {
  TempDir dir;
  auto xen_path = lp::test::standard_xen_syms(dir);
  auto in = object_with_undefined(dir, "no_such_symbol");
  auto out = dir.file("out.livepatch");
  auto r = lp::test::run({lp::test::tool_path("prelink"), in, out, xen_path});
  CHECK(r.status == 1);
  CHECK_THAT(r.output, Catch::Contains("symbol 'no_such_symbol' not found in " + xen_path));
  CHECK(!std::filesystem::exists(out));
}

TEST_CASE("prelink reports an unreadable xen-syms", "[payload][prelink]") {
  TempDir dir;
  auto in = object_with_undefined(dir);
  auto r = lp::test::run({lp::test::tool_path("prelink"), in, dir.file("o"), dir.file("missing")});
  CHECK(r.status == 1);
  CHECK_THAT(r.output, Catch::Contains(dir.file("missing") + ":"));
}

TEST_CASE("prelink and livepatch-gcc have --help", "[payload][help]") {
  auto p = lp::test::run({lp::test::tool_path("prelink"), "--help"});
  CHECK(p.status == 0);
  CHECK_THAT(p.output, Catch::Contains("xen-syms"));
  auto w = lp::test::run({lp::test::tool_path("livepatch-gcc"), "--help"});
  CHECK(w.status == 0);
  CHECK_THAT(w.output, Catch::Contains("LIVEPATCH_CAPTURE_DIR"));
}

TEST_CASE("prelink refuses a signed payload in either format and writes nothing",
          "[payload][prelink]") {
  // Prelinking rewrites the bytes a signature covers: the signature would be
  // void. The user is told to prelink first and sign afterwards.
  TempDir dir;
  auto xen_path = lp::test::standard_xen_syms(dir);
  auto in = object_with_undefined(dir);
  std::string keys = dir.file("keys");
  auto made = lp::test::run({LP_SOURCE_DIR "/scripts/make-test-key.sh", keys});
  INFO(made.output);
  REQUIRE(made.status == 0);
  for (auto format : {lp::sign::Format::note, lp::sign::Format::appended}) {
    std::string name(lp::sign::format_name(format));
    lp::sign::SignOptions opt;
    opt.format = format;
    opt.key = keys + "/signing_key.pem";
    opt.cert = keys + "/signing_cert.pem";
    auto signed_in = dir.file("signed-" + name + ".o");
    lp::sign::sign_file(in, signed_in, opt);
    auto out = dir.file("out-" + name + ".livepatch");
    auto r = lp::test::run({lp::test::tool_path("prelink"), signed_in, out, xen_path});
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK_THAT(r.output, Catch::Contains("prelink: " + signed_in + ": the payload is signed (" +
                                         name + " signature); prelinking would change the "
                                         "signed bytes and void it: prelink the unsigned "
                                         "payload, then sign it"));
    CHECK(!std::filesystem::exists(out));
  }
  // The unsigned input still prelinks.
  CHECK(lp::test::run({lp::test::tool_path("prelink"), in, dir.file("ok"), xen_path}).status == 0);
}
