// livepatch-build end to end on the minitree fixture: a real make of a
// Xen-shaped tree through livepatch-gcc, real create-diff-object, ld and the
// assembly steps. Each test checks what a user would: the exit code and
// message, the functions in the payload and its .livepatch.funcs bytes, the
// notes, and that the source tree is untouched.
#include "minitree.h"
#include "payload_fixture.h"

#include "elf/image.h"
#include "elf/reader.h"
#include "payload/build_id_note.h"
#include "payload/digest.h"
#include "payload/funcs_table.h"
#include "payload/modinfo.h"
#include "sign/sign.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>

using lp::test::MiniTree;
using lp::test::RunResult;
using lp::test::funcs_names;
using lp::test::read_text;
namespace fs = std::filesystem;

TEST_CASE("livepatch-build: bounds-check patch gives a payload replacing do_table_op",
          "[livepatch-build][e2e]") {
  MiniTree t;
  auto before = t.snapshot();
  // make, which rebuilds the compile.h objects too (the fast path's own test
  // is fast_path_build_test.cc).
  RunResult r = t.build("01-table-bounds.patch",
                        {"--no-fast-path", "--json", t.dir().file("r.json")});
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK_THAT(r.output, Catch::Contains("01-table-bounds.livepatch created successfully"));
  CHECK_THAT(r.output, Catch::Contains("Perform full initial build with 2 CPU(s)"));
  CHECK(t.snapshot() == before);

  std::string payload = t.out() + "/01-table-bounds.livepatch";
  auto p = lp::elf::read_object(payload);
  auto funcs = lp::payload::read_funcs(p);
  REQUIRE(funcs.size() == 1);
  CHECK(funcs[0].name == "do_table_op");
  CHECK(funcs[0].new_symbol == "do_table_op");
  CHECK(funcs[0].version == 2);
  auto xen = lp::elf::LinkedImage::open(t.out() + "/xen-syms");
  const auto *old = xen.global("do_table_op");
  REQUIRE(old);
  CHECK(funcs[0].old_size >= old->size);
  CHECK(funcs[0].old_addr_literal == 0); // resolved by name at load time
  const auto &bytes = p.section_named(".livepatch.funcs")->data;
  CHECK(std::all_of(bytes.begin() + 33, bytes.end(), [](uint8_t b) { return b == 0; }));

  CHECK(lp::payload::note_build_id(p.section_named(".livepatch.xen_depends")->data) ==
        *xen.build_id());
  CHECK(lp::payload::note_build_id(p.section_named(".livepatch.depends")->data) ==
        lp::payload::parse_build_id_hex(lp::test::kDepends, "t"));
  auto modinfo = lp::payload::parse_modinfo(p.section_named(".modinfo")->data);
  CHECK(modinfo[0].second == "01-table-bounds");

  for (const char *log : {"build_full_clean.log", "build_full_compile.log",
                          "build_patched_compile.log", "build_original_compile.log",
                          "create-diff-object.log", "depends.bin", "xen_depends.bin", ".config",
                          "xen-syms", "struct_sizes", "patched/changed_objs",
                          "original/changed_objs"})
    CHECK(fs::exists(t.out() + "/" + log));
  std::string json = read_text(t.dir().file("r.json"));
  CHECK_THAT(json, Catch::Contains("\"changed\": [\"do_table_op\"]"));
  CHECK_THAT(json, Catch::Contains("\"cache\": \"miss\""));
  CHECK_THAT(json, Catch::Contains("\"ignored\": [\"xen/arch/x86/efi/boot.o\", \"xen/common/version.o\"]"));
}

TEST_CASE("livepatch-build: the original build is cached and payloads are reproducible",
          "[livepatch-build][e2e][cache]") {
  MiniTree t;
  REQUIRE(t.build("01-table-bounds.patch", {}, "a").status == 0);
  RunResult second = t.build("08-static-helper.patch", {"--json", t.dir().file("b.json")}, "b");
  INFO(second.output);
  REQUIRE(second.status == 0);
  CHECK_THAT(read_text(t.dir().file("b.json")), Catch::Contains("\"cache\": \"hit\""));
  CHECK_THAT(second.output, !Catch::Contains("Perform full initial build"));
  CHECK(funcs_names(t.out("b") + "/08-static-helper.livepatch") ==
        std::vector<std::string>{"common/kernel.c#scale"});

  RunResult again = t.build("01-table-bounds.patch", {}, "c");
  REQUIRE(again.status == 0);
  CHECK(lp::test::file_bytes(t.out("a") + "/01-table-bounds.livepatch") ==
        lp::test::file_bytes(t.out("c") + "/01-table-bounds.livepatch"));
}

TEST_CASE("livepatch-build: the cache is reused by another installation of the tools",
          "[livepatch-build][e2e][cache]") {
  // CI clones into a new folder for every job: the original build must not be
  // keyed by, or record, where livepatch-build and its wrapper live.
  MiniTree t;
  REQUIRE(t.build("01-table-bounds.patch", {}, "a").status == 0);
  std::string alt = t.dir().file("alt");
  fs::create_directories(alt);
  for (const char *tool : {"livepatch-build", "livepatch-gcc"})
    fs::copy_file(lp::test::tool_path(tool), alt + "/" + tool);
  // The rest of the installation (an installed livepatch-build never looks in
  // the build tree it was made in).
  for (const char *tool : {"create-diff-object", "livepatch-check"})
    fs::create_symlink(lp::test::tool_path(tool), alt + "/" + tool);
  RunResult moved = lp::test::run(
      {alt + "/livepatch-build", "-s", t.src(), "-p", MiniTree::patch("01-table-bounds.patch"),
       "-c", t.config(), "-o", t.out("b"), "--depends", lp::test::kDepends, "--cache-dir",
       t.cache(), "-j", "2", "--json", t.dir().file("b.json")});
  INFO(moved.output);
  REQUIRE(moved.status == 0);
  CHECK_THAT(read_text(t.dir().file("b.json")), Catch::Contains("\"cache\": \"hit\""));
  CHECK_THAT(read_text(t.out("b") + "/build_patched_compile.log"), !Catch::Contains(alt));
  CHECK(lp::test::file_bytes(t.out("a") + "/01-table-bounds.livepatch") ==
        lp::test::file_bytes(t.out("b") + "/01-table-bounds.livepatch"));
}

TEST_CASE("livepatch-build: a new source file in a new folder goes into the payload",
          "[livepatch-build][e2e]") {
  MiniTree t;
  auto before = t.snapshot();
  RunResult r = t.build("05-new-folder.patch");
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(t.snapshot() == before);
  auto p = lp::elf::read_object(t.out() + "/05-new-folder.livepatch");
  CHECK(funcs_names(t.out() + "/05-new-folder.livepatch") ==
        std::vector<std::string>{"kernel_helper"});
  auto clamp = p.symbols_named("clamp_input");
  REQUIRE(clamp.size() == 1);
  CHECK(clamp[0]->section != nullptr); // defined in the payload
}

TEST_CASE("livepatch-build: a patch to version.c keeps version.o", "[livepatch-build][e2e]") {
  MiniTree t;
  RunResult r = t.build("07-extra-version.patch");
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(funcs_names(t.out() + "/07-extra-version.livepatch") ==
        std::vector<std::string>{"xen_extra_version"});
  CHECK_THAT(r.output, !Catch::Contains("Ignoring xen/common/version.o"));
}

TEST_CASE("livepatch-build: --prelink and --expect", "[livepatch-build][e2e]") {
  MiniTree t;
  // --expect needs the payload to depend on Xen itself: first get Xen's build-id.
  REQUIRE(t.build("08-static-helper.patch", {"-k", "diff"}, "probe").status == 0);
  auto xen = lp::elf::LinkedImage::open(t.out("probe") + "/xen-syms");
  std::string xen_id = lp::payload::to_hex(*xen.build_id());
  // A relative --cache-dir works too (the wrapper sees absolute paths).
  RunResult ok = lp::test::run_shell(
      "cd " + t.dir().path() + " && " + lp::test::tool_path("livepatch-build") + " -s src -p " +
      MiniTree::patch("01-table-bounds.patch") + " -c config -o x --depends " + xen_id +
      " --cache-dir cache --prelink --expect");
  INFO(ok.output);
  REQUIRE(ok.status == 0);
  auto p = lp::elf::read_object(t.out("x") + "/01-table-bounds.livepatch");
  for (const auto &sym : p.symbols)
    CHECK(!sym->is_undefined());
  CHECK_THAT(read_text(t.out("x") + "/prelink.log"), Catch::Contains("__x86_return_thunk -> 0x"));
  CHECK_THAT(ok.output, !Catch::Contains("Perform full initial build")); // cache hit
  const auto &funcs = p.section_named(".livepatch.funcs")->data;
  auto old = xen.global("do_table_op");
  auto want = *xen.read(old->address, 5);
  CHECK(funcs[72] == 0x0b);
  CHECK(std::vector<uint8_t>(funcs.begin() + 73, funcs.begin() + 78) == want);
  CHECK(std::memcmp(funcs.data() + 16, &old->address, 8) == 0); // old_addr resolved (-r)

  RunResult stacked = t.build("01-table-bounds.patch", {"--expect"}, "y");
  CHECK(stacked.status == 1);
  CHECK_THAT(stacked.output, Catch::Contains("--expect: the payload stacks on"));
  CHECK(!fs::exists(t.out("y") + "/01-table-bounds.livepatch"));
}

TEST_CASE("livepatch-build: -k diff then -k build reuse the output folder",
          "[livepatch-build][e2e]") {
  MiniTree t;
  RunResult built = t.build("01-table-bounds.patch", {"-k", "diff"});
  INFO(built.output);
  REQUIRE(built.status == 0);
  CHECK(!fs::exists(t.out() + "/01-table-bounds.livepatch"));
  lp::test::TempDir scratch;
  auto sizes = scratch.write("s", "alt_instr=14\nbug_frame=16\nexception_table_entry=8\n");
  fs::copy_file(sizes, t.out() + "/struct_sizes", fs::copy_options::overwrite_existing);
  RunResult diffed = t.build("01-table-bounds.patch", {"-k", "build"});
  INFO(diffed.output);
  REQUIRE(diffed.status == 0);
  CHECK_THAT(read_text(t.out() + "/create-diff-object.log"),
             Catch::Contains("bug_frame=16"));
  CHECK(funcs_names(t.out() + "/01-table-bounds.livepatch") ==
        std::vector<std::string>{"do_table_op"});
}

TEST_CASE("livepatch-build: --sign-key signs the payload in either format",
          "[livepatch-build][e2e]") {
  MiniTree t;
  std::string keys = t.dir().file("keys");
  auto made = lp::test::run({LP_SOURCE_DIR "/scripts/make-test-key.sh", keys});
  INFO(made.output);
  REQUIRE(made.status == 0);

  RunResult note = t.build("01-table-bounds.patch",
                           {"--sign-key", keys + "/signing_key.pem", "--json", t.dir().file("n.json")},
                           "note");
  INFO(note.output);
  REQUIRE(note.status == 0);
  CHECK_THAT(note.output, Catch::Contains("Signing the payload (note)"));
  CHECK_THAT(read_text(t.dir().file("n.json")), Catch::Contains("\"signature\": \"note\""));
  CHECK_THAT(read_text(t.dir().file("n.json")), Catch::Contains("\"check\": \"passed\""));
  auto signed_note = lp::test::file_bytes(t.out("note") + "/01-table-bounds.livepatch");
  lp::sign::VerifyOptions with_pub;
  with_pub.pubkey = keys + "/verify_key.pem";
  auto v = lp::sign::verify_payload(signed_note, "note", with_pub);
  CHECK(v.format == lp::sign::Format::note);
  // The signed payload still holds the same replacement.
  CHECK(funcs_names(t.out("note") + "/01-table-bounds.livepatch") ==
        std::vector<std::string>{"do_table_op"});

  RunResult appended = t.build("01-table-bounds.patch",
                               {"--sign-key", keys + "/signing_key.pem", "--sign-cert",
                                keys + "/signing_cert.pem", "--sign-format", "appended"},
                               "appended");
  INFO(appended.output);
  REQUIRE(appended.status == 0);
  lp::sign::VerifyOptions with_cert;
  with_cert.cert = keys + "/signing_cert.pem";
  auto a = lp::sign::verify_payload(
      lp::test::file_bytes(t.out("appended") + "/01-table-bounds.livepatch"), "appended", with_cert);
  CHECK(a.format == lp::sign::Format::appended);
}

TEST_CASE("livepatch-build: signing options are validated before building",
          "[livepatch-build][e2e]") {
  MiniTree t;
  RunResult no_key = t.build("01-table-bounds.patch", {"--sign-cert", "cert.pem"}, "a");
  CHECK(no_key.status == 1);
  CHECK_THAT(no_key.output, Catch::Contains("ERROR: --sign-cert and --sign-passphrase-file need --sign-key."));
  RunResult bad_format =
      t.build("01-table-bounds.patch", {"--sign-key", "k.pem", "--sign-format", "gpg"}, "b");
  CHECK(bad_format.status == 1);
  CHECK_THAT(bad_format.output, Catch::Contains("ERROR: --sign-format must be note or appended."));
  CHECK(!fs::exists(t.out("a")));
  CHECK(!fs::exists(t.out("b")));
}

namespace {

// xen/common/lines.c with three __LINE__ users; `patched` adds a comment
// block at the top and changes b_fn only.
std::string lines_c(bool patched) {
  std::string s = "#include <xen/lib.h>\n";
  if (patched)
    s += "/*\n * The fix below needs\n * a word of explanation.\n */\n";
  s += "int a_fn(int x)\n{\n    if (x > 5)\n        printk(\"a %d\", __LINE__);\n    return x;\n}\n\n"
       "int b_fn(int x)\n{\n    if (x > 5)\n        printk(\"b %d\", __LINE__);\n";
  s += patched ? "    return x + 2;\n}\n\n" : "    return x + 1;\n}\n\n";
  s += "int c_fn(int x)\n{\n    if (x > 5)\n        printk(\"c %d\", __LINE__);\n    return x;\n}\n";
  return s;
}

} // namespace

TEST_CASE("livepatch-build: lines added above __LINE__ users leave only the changed function",
          "[livepatch-build][e2e][lines]") {
  MiniTree t;
  std::string patch = t.add_file_and_patch("xen/common/lines.c", lines_c(false), lines_c(true));
  {
    std::ofstream mk(t.src() + "/xen/common/Makefile", std::ios::app);
    mk << "obj-y += lines.o\n";
  }
  auto before = t.snapshot();
  RunResult r = t.build_file(patch, {"--json", t.dir().file("r.json")});
  INFO(r.output);
  REQUIRE(r.status == 0);
  CHECK(t.snapshot() == before);
  CHECK(funcs_names(t.out() + "/lines.livepatch") == std::vector<std::string>{"b_fn"});
  CHECK(read_text(t.out() + "/line-map").empty());
  CHECK_THAT(read_text(t.out() + "/line-directives.log"),
             Catch::Contains("xen/common/lines.c: 2 hunk(s), 3 #line directive(s), 0 line "
                                            "range(s) still shifted"));
  CHECK_THAT(read_text(t.dir().file("r.json")), Catch::Contains("\"changed\": [\"b_fn\"]"));

  // The cache's build copy held the rewritten lines.c: the next build restores
  // it from the pristine copy, so a patch to another file sees the original.
  std::string entry;
  for (const auto &e : fs::directory_iterator(t.cache()))
    if (fs::is_directory(e.path() / "pristine"))
      entry = e.path().string();
  REQUIRE(!entry.empty());
  CHECK_THAT(read_text(entry + "/build/xen/common/lines.c"), Catch::Contains("#line"));
  RunResult second = t.build("01-table-bounds.patch", {}, "second");
  INFO(second.output);
  REQUIRE(second.status == 0);
  CHECK(funcs_names(t.out("second") + "/01-table-bounds.livepatch") ==
        std::vector<std::string>{"do_table_op"});
  CHECK(read_text(entry + "/build/xen/common/lines.c") == lines_c(false));
}

namespace {

// xen/common/twice.c, compiled into two objects the way Xen 4.17 compiles
// arch/x86/mm/shadow/multi.c into guest_{2,3,4}.o: a wrapper per object
// (twice_a.c: `#define MODE a` + `#include "twice.c"`), so each object's
// STT_FILE, and the file part of its statics' names, is the wrapper.
// `patched` adds a comment block at the top and changes twice_helper only;
// twice_other's __LINE__ user sits below the new lines.
std::string twice_c(bool patched) {
  std::string s = "#include <xen/lib.h>\n#define CAT_(a, b) a##_##b\n#define CAT(a, b) CAT_(a, b)\n";
  if (patched)
    s += "/*\n * twice_helper() must not overflow.\n */\n";
  s += "static __attribute__((noinline)) int twice_helper(int x)\n{\n";
  s += patched ? "    return x > 1000 ? x : x + 1;\n}\n\n" : "    return x + 1;\n}\n\n";
  s += "static __attribute__((noinline)) int twice_other(int x)\n{\n    if (x > 5)\n"
       "        printk(\"other %d\", __LINE__);\n    return x;\n}\n\n"
       "int CAT(twice_entry, MODE)(int x)\n{\n    return twice_helper(x) + twice_other(x);\n}\n";
  return s;
}

} // namespace

TEST_CASE("livepatch-build: a file compiled into two objects is reported by the names the "
          "payload carries, one per object",
          "[livepatch-build][e2e][lines]") {
  MiniTree t;
  std::string patch = t.add_file_and_patch("xen/common/twice.c", twice_c(false), twice_c(true));
  t.dir().write("src/xen/common/twice_a.c", "#define MODE a\n#include \"twice.c\"\n");
  t.dir().write("src/xen/common/twice_b.c", "#define MODE b\n#include \"twice.c\"\n");
  {
    std::ofstream mk(t.src() + "/xen/common/Makefile", std::ios::app);
    mk << "obj-y += twice_a.o twice_b.o\n";
  }
  RunResult r = t.build_file(patch, {"--json", t.dir().file("r.json")});
  INFO(r.output);
  REQUIRE(r.status == 0);
  // Xen resolves each entry by this name: one symbol per wrapper in xen-syms.
  std::vector<std::string> names = funcs_names(t.out() + "/twice.livepatch");
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"common/twice_a.c#twice_helper",
                                          "common/twice_b.c#twice_helper"});
  std::string json = read_text(t.dir().file("r.json"));
  CHECK_THAT(json, Catch::Contains("\"functions\": {\"changed\": [\"common/twice_a.c#twice_helper\", "
                                   "\"common/twice_b.c#twice_helper\"], \"new\": [], \"ignored\": []}"));
  CHECK_THAT(read_text(t.out() + "/line-directives.log"),
             Catch::Contains("xen/common/twice.c: 2 hunk(s)"));
}

TEST_CASE("livepatch-build: a static of one file compiled into two objects under one name is "
          "refused as ambiguous",
          "[livepatch-build][e2e][lines]") {
  // Both objects' STT_FILE is common/twice.c, so xen-syms holds two
  // common/twice.c#twice_helper and Xen, which finds a payload's functions by
  // name, could not tell them apart. (Xen's own build refuses such a tree
  // with CONFIG_LIVEPATCH: tools/symbols --error-dup.)
  MiniTree t;
  std::string patch = t.add_file_and_patch("xen/common/twice.c", twice_c(false), twice_c(true));
  {
    std::ofstream mk(t.src() + "/xen/common/Makefile", std::ios::app);
    mk << "obj-y += twice_a.o twice_b.o\n"
          "common/twice_%.o: common/twice.c .config | include/xen/compile.h\n"
          "\t@$(CC) $(CFLAGS) -DMODE=$* -c $< -o $(dir $@).$(notdir $@).tmp\n"
          "\t@$(OBJCOPY) --redefine-sym $(notdir $<)=$< $(dir $@).$(notdir $@).tmp $@\n"
          "\t@rm -f $(dir $@).$(notdir $@).tmp\n";
  }
  RunResult r = t.build_file(patch);
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK_THAT(r.output, Catch::Contains("local symbol common/twice.c#twice_helper is ambiguous: it "
                                       "is defined more than once in that file"));
  CHECK(!fs::exists(t.out() + "/twice.livepatch"));
}
