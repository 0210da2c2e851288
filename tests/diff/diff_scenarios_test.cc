// Scenario tests for create-diff-object, in the style of mold's tests: each
// case is a tiny original and patched C source, compiled at test time with
// Xen 4.17's flags, run through the engine, with the expected verdict beside
// it (exit status, exact changed/new functions, sections, .livepatch.funcs).
#include "scenario.h"

#include "elf/atomic_file.h"
#include "elf/image.h"
#include "elf/reader.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <elf.h>
#include <fmt/format.h>

using namespace lp::test;
using namespace lp::test::diff;
using Strings = std::vector<std::string>;

namespace {

constexpr const char *kTwo = R"(
#define NI __attribute__((noinline))
NI int f(int x) { return x * 3 + 1; }
NI int g(int x) { return x - 7; }
)";

// Relocations of output section `sec`: "offset type target+addend" lines.
Strings relocs_of(const Outcome &o, const std::string &sec) {
  Strings out;
  const auto *s = o.object->section_named(sec);
  if (!s || !s->rela)
    return out;
  for (const auto &r : s->rela->relas)
    out.push_back(fmt::format("{:#x} {} {}{:+#x}", r.offset, r.type, r.sym->display_name(),
                              r.addend));
  return out;
}

const lp::elf::Symbol *defined(const Outcome &o, const std::string &name) {
  const auto *s = o.symbol(name);
  return s && !s->is_undefined() ? s : nullptr;
}

bool undefined(const Outcome &o, const std::string &name) {
  const auto *s = o.symbol(name);
  return s && s->is_undefined();
}

std::string hook_source(const std::string &kind, bool post_like) {
  std::string sig = kind == "load" || kind == "unload" ? "void my_hook(void)"
                    : post_like ? "void my_hook(livepatch_payload_t *p)"
                                : "int my_hook(livepatch_payload_t *p)";
  std::string body = sig.starts_with("void") ? "{ printk(\"hook\\n\"); }"
                                             : "{ (void)p; printk(\"hook\\n\"); return 0; }";
  std::string macro = kind;
  std::transform(macro.begin(), macro.end(), macro.begin(), ::toupper);
  return fmt::format("{}\nstatic {} {}\nLIVEPATCH_{}_HOOK(my_hook)\n",
                     std::string(kTwo).replace(std::string(kTwo).find("x * 3 + 1"), 9, "x * 5 + 1"),
                     sig, body, macro);
}

void check_hook(const std::string &kind) {
  TempDir dir;
  bool post_like = kind == "postapply" || kind == "postrevert";
  Outcome o = run_sources(dir, kTwo, hook_source(kind, post_like));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.logged("found hook: my_hook"));
  CHECK(o.result.hooks == Strings{"my_hook"});
  std::string sec = ".livepatch.hooks." + kind;
  REQUIRE(o.has_section(sec));
  CHECK(o.object->section_named(sec)->size == 8);
  CHECK(relocs_of(o, sec) == Strings{"0x0 1 .text.my_hook+0x0"});
  CHECK(defined(o, "common/x.c#my_hook"));
  CHECK(o.symbol("livepatch_" + kind + "_data_my_hook") == nullptr);
  CHECK(o.result.changed == Strings{"f"});
}

} // namespace

TEST_CASE("changed function: only it is in the payload", "[diff]") {
  TempDir dir;
  Outcome o = run_sources(dir, kTwo, std::string(kTwo).replace(std::string(kTwo).find("x * 3"), 5, "x * 4"));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"f"});
  CHECK(o.result.added.empty());
  CHECK(o.logged("x.o: changed function: f"));
  CHECK(o.has_section(".text.f"));
  CHECK_FALSE(o.has_section(".text.g"));
  auto funcs = o.funcs();
  REQUIRE(funcs.size() == 1);
  CHECK(funcs[0].name == "f");
  CHECK(funcs[0].new_sym == "f");
  CHECK(funcs[0].version == 2);
  CHECK(funcs[0].old_addr == 0);
  CHECK(funcs[0].old_size % 16 == 0);
  CHECK(funcs[0].new_size == defined(o, "f")->size);
}

TEST_CASE("identical inputs: no change, exit 3, no output", "[diff]") {
  TempDir dir;
  Outcome o = run_sources(dir, kTwo, kTwo);
  CHECK(o.status() == 3);
  CHECK_FALSE(o.object);
  CHECK(o.result.changed.empty());
}

TEST_CASE(".livepatch.funcs entry: exact bytes and relocations", "[diff]") {
  TempDir dir;
  Outcome o = run_sources(dir, kTwo, std::string(kTwo).replace(std::string(kTwo).find("x - 7"), 5, "x - 8"));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  const auto *funcs = o.object->section_named(".livepatch.funcs");
  REQUIRE(funcs);
  CHECK(funcs->size == 104);
  CHECK(funcs->entsize == 104);
  CHECK(funcs->align == 8);
  CHECK(funcs->flags == SHF_ALLOC);
  const auto *strings = o.object->section_named(".livepatch.strings");
  REQUIRE(strings);
  CHECK(strings->flags == SHF_ALLOC);
  CHECK(strings->entsize == 1);
  CHECK(std::string(strings->data.begin(), strings->data.end()) == std::string("g\0", 2));
  auto xen = lp::elf::LinkedImage::open(o.xen_syms);
  const auto *old = xen.global("g");
  REQUIRE(old);
  auto e = o.funcs().at(0);
  std::vector<uint8_t> expect(104, 0);
  uint32_t new_size = static_cast<uint32_t>(defined(o, "g")->size);
  uint32_t old_size = static_cast<uint32_t>((old->size + 15) / 16 * 16);
  std::memcpy(expect.data() + 24, &new_size, 4);
  std::memcpy(expect.data() + 28, &old_size, 4);
  expect[32] = 2;
  CHECK(e.raw == expect);
  CHECK(relocs_of(o, ".livepatch.funcs") ==
        Strings{"0x0 1 .livepatch.strings+0x0", "0x8 1 g+0x0"});
}

TEST_CASE("resolve option (-r) fills old_addr from xen-syms", "[diff]") {
  TempDir dir;
  Pair p;
  p.sources = {{"x", kTwo, std::string(kTwo).replace(std::string(kTwo).find("x - 7"), 5, "x - 9")}};
  p.options.resolve = true;
  Outcome o = run_pair(dir, p);
  REQUIRE(o.status() == 0);
  auto xen = lp::elf::LinkedImage::open(o.xen_syms);
  CHECK(o.funcs().at(0).old_addr == xen.global("g")->address);
  CHECK(o.funcs().at(0).old_addr >= 0xffff82d040200000ULL);
}

TEST_CASE("static function changed: entry named file#name", "[diff]") {
  TempDir dir;
  const char *src = R"(
static __attribute__((noinline)) int helper(int x) { return x + 1; }
int user(int x) { return helper(x) * 2; }
)";
  Outcome o = run_sources(dir, src, std::string(src).replace(std::string(src).find("x + 1"), 5, "x + 2"));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"common/x.c#helper"});
  CHECK(o.funcs().at(0).name == "common/x.c#helper");
  CHECK(o.funcs().at(0).new_sym == "common/x.c#helper");
  CHECK(defined(o, "common/x.c#helper")->is_local());
}

TEST_CASE("only a string literal changed", "[diff]") {
  TempDir dir;
  const char *src = R"(
__attribute__((noinline)) void hello(void) { printk("hello world\n"); }
__attribute__((noinline)) void other(void) { printk("other\n"); }
)";
  Outcome o = run_sources(dir, src, std::string(src).replace(std::string(src).find("hello world"), 11, "hullo world"));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"hello"});
  bool has_string = false;
  for (const auto &s : o.object->sections)
    if (s->is_strings() && std::string(s->data.begin(), s->data.end()).find("hullo world") != std::string::npos)
      has_string = true;
  CHECK(has_string);
  CHECK(undefined(o, "printk"));
}

TEST_CASE("unchanged statics and globals are referenced by Xen name", "[diff]") {
  TempDir dir;
  const char *src = R"(
static int counter;
int total;
static __attribute__((noinline)) int helper(int x) { return x + counter; }
int f(int x) { counter++; total += x; return helper(x); }
)";
  Outcome o = run_sources(dir, src, std::string(src).replace(std::string(src).find("total += x"), 10, "total -= x"));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"f"});
  CHECK(undefined(o, "common/x.c#counter"));
  CHECK(undefined(o, "total"));
  CHECK(undefined(o, "common/x.c#helper"));
  CHECK_FALSE(o.has_section(".bss.counter"));
  CHECK_FALSE(o.has_section(".text.helper"));
}

TEST_CASE("new static helper is included as a new function", "[diff]") {
  TempDir dir;
  const char *orig = "int f(int x) { return x + 1; }\n";
  const char *patched = R"(
static __attribute__((noinline)) int check(int x) { return x > 100 ? 100 : x; }
int f(int x) { return check(x) + 1; }
)";
  Outcome o = run_sources(dir, orig, patched);
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"f"});
  CHECK(o.result.added == Strings{"common/x.c#check"});
  CHECK(o.logged("new function: common/x.c#check"));
  CHECK(defined(o, "common/x.c#check"));
  CHECK(o.funcs().size() == 1);
}

TEST_CASE("new function whose address is taken", "[diff]") {
  TempDir dir;
  const char *orig = R"(
typedef int (*op_t)(int);
static __attribute__((noinline)) int twice(int x) { return 2 * x; }
op_t pick(int k) { (void)k; return twice; }
)";
  std::string patched = std::string(orig) + "";
  patched = R"(
typedef int (*op_t)(int);
static __attribute__((noinline)) int twice(int x) { return 2 * x; }
static int thrice(int x) { return 3 * x; }
op_t pick(int k) { return k ? thrice : twice; }
)";
  Outcome o = run_sources(dir, orig, patched);
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"pick"});
  CHECK(o.result.added == Strings{"common/x.c#thrice"});
  CHECK(o.has_section(".text.thrice"));
  CHECK(undefined(o, "common/x.c#twice"));
}

TEST_CASE("new global data is included", "[diff]") {
  TempDir dir;
  const char *orig = "int f(int x) { return x + 1; }\n";
  const char *patched = "int new_limit = 42;\nint f(int x) { return x > new_limit ? new_limit : x + 1; }\n";
  Outcome o = run_sources(dir, orig, patched);
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(defined(o, "new_limit"));
  CHECK(o.has_section(".data.new_limit"));
}

TEST_CASE("new global function alone: written, without .livepatch.funcs", "[diff]") {
  TempDir dir;
  Outcome o = run_sources(dir, kTwo, std::string(kTwo) + "int brand_new(int x) { return x ^ 5; }\n");
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.added == Strings{"brand_new"});
  CHECK(o.result.changed.empty());
  CHECK(defined(o, "brand_new"));
  CHECK_FALSE(o.has_section(".livepatch.funcs"));
}

TEST_CASE("changed initialised data is refused", "[diff]") {
  TempDir dir;
  const char *src = "int limit = 5;\nint f(int x) { return x < limit; }\n";
  Outcome o = run_sources(dir, src, "int limit = 6;\nint f(int x) { return x < limit; }\n");
  INFO(o.log_text());
  CHECK(o.status() == 2);
  REQUIRE(o.result.refusals.size() == 1);
  CHECK(o.result.refusals[0].reason.find("data object limit changed") != std::string::npos);
  CHECK_FALSE(o.object);
}

TEST_CASE("changed const data is refused", "[diff]") {
  TempDir dir;
  const char *src = "const int table[4] = {1, 2, 3, 4};\nint f(int x) { return table[x & 3]; }\n";
  Outcome o = run_sources(dir, src, "const int table[4] = {1, 2, 3, 5};\nint f(int x) { return table[x & 3]; }\n");
  INFO(o.log_text());
  CHECK(o.status() == 2);
  CHECK(o.logged("data object table changed"));
}

TEST_CASE(".bss to .data move is refused", "[diff]") {
  TempDir dir;
  const char *src = "static int counter;\nint f(void) { return counter++; }\n";
  Outcome o = run_sources(dir, src, "static int counter = 1;\nint f(void) { return counter++; }\n");
  INFO(o.log_text());
  CHECK(o.status() == 2);
  CHECK(o.logged("symbol changed sections: counter, .bss.counter -> .data.counter"));
}

TEST_CASE("object size change is refused", "[diff]") {
  TempDir dir;
  const char *src = "int arr[4];\nint f(int i) { return arr[i & 3]; }\n";
  Outcome o = run_sources(dir, src, "int arr[8];\nint f(int i) { return arr[i & 7]; }\n");
  INFO(o.log_text());
  CHECK(o.status() == 2);
  CHECK(o.logged("object size mismatch: arr (16 -> 32 bytes)"));
}

TEST_CASE("removed static local is refused", "[diff]") {
  TempDir dir;
  const char *orig = "int f(int x) { static int calls; calls++; return x + calls; }\n";
  const char *patched = "int f(int x) { return x + 2; }\n";
  Outcome o = run_sources(dir, orig, patched);
  INFO(o.log_text());
  CHECK(o.status() == 2);
  REQUIRE(o.result.refusals.size() == 1);
  CHECK(o.result.refusals[0].reason ==
        "reference to static local variable calls in f was removed: the payload cannot tell "
        "whether f dropped it or now uses another copy (keep a reference to it in f, e.g. "
        "asm volatile (\"\" :: \"r\" (&calls));)");
  CHECK(o.logged("x.o: reference to static local variable calls in f was removed: "));
}

TEST_CASE("removed static local kept with a reference is correlated", "[diff]") {
  // What the refusal above tells the author to do.
  TempDir dir;
  const char *orig = "int f(int x) { static int calls; calls++; return x + calls; }\n";
  const char *patched =
      "int f(int x) { static int calls; asm volatile (\"\" :: \"r\" (&calls)); return x + 2; }\n";
  Outcome o = run_sources(dir, orig, patched);
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"f"});
  bool shared = false;
  for (const auto &n : o.symbol_names())
    shared |= n.starts_with("common/x.c#calls.") && undefined(o, n);
  CHECK(shared);
}

TEST_CASE("static locals correlate across renumbering", "[diff]") {
  TempDir dir;
  const char *orig = R"(
__attribute__((noinline)) int a(void) { static int n; return ++n; }
__attribute__((noinline)) int b(void) { static int n; return n += 2; }
)";
  const char *patched = R"(
__attribute__((noinline)) int z(void) { static int n; return n += 9; }
__attribute__((noinline)) int a(void) { static int n; return ++n; }
__attribute__((noinline)) int b(void) { static int n; return n += 3; }
)";
  Outcome o = run_sources(dir, orig, patched);
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"b"});
  CHECK(o.result.added == Strings{"z"});
  // b's static is Xen's copy, spelled with the *original* numbering.
  auto xen = lp::elf::LinkedImage::open(o.xen_syms);
  std::string name;
  for (const auto &s : o.object->symbols)
    if (s->is_undefined() && s->name.starts_with("common/x.c#n."))
      name = s->name;
  REQUIRE(!name.empty());
  CHECK(xen.by_xen_name(name));
  const auto *rel = o.object->section_named(".text.b");
  REQUIRE(rel);
  bool refs_it = false;
  for (const auto &r : rel->rela->relas)
    refs_it |= r.sym->name == name;
  CHECK(refs_it);
}

TEST_CASE("new static local in a changed function is new data", "[diff]") {
  TempDir dir;
  const char *orig = "int f(int x) { return x + 1; }\n";
  const char *patched = "int f(int x) { static int hits; hits++; return x + hits; }\n";
  Outcome o = run_sources(dir, orig, patched);
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.logged("WARNING: unable to correlate static local variable hits."));
  bool found = false;
  for (const auto &n : o.symbol_names())
    found |= n.starts_with("common/x.c#hits.") && defined(o, n);
  CHECK(found);
}

TEST_CASE("__func__ is copied and renamed deterministically", "[diff]") {
  const char *orig = "int f(int x) { printk(\"%s\\n\", __func__); return x; }\n";
  const char *patched = "int f(int x) { printk(\"%s!\\n\", __func__); return x; }\n";
  std::string first;
  for (int round = 0; round < 2; ++round) {
    TempDir dir;
    Outcome o = run_sources(dir, orig, patched);
    INFO(o.log_text());
    REQUIRE(o.status() == 0);
    std::string name;
    for (const auto &n : o.symbol_names())
      if (n.find("__func__") != std::string::npos)
        name = n;
    const std::string prefix = "common/x.c#__func__.";
    REQUIRE(name.size() == prefix.size() + 8);
    CHECK(name.starts_with(prefix));
    CHECK(name.find_first_not_of("0123456789abcdef", prefix.size()) == std::string::npos);
    CHECK(defined(o, name));
    if (round == 0)
      first = name;
    else
      CHECK(name == first);
  }
}

TEST_CASE("__warned-style special static is copied, not shared", "[diff]") {
  TempDir dir;
  const char *orig = R"(
int f(int x) { static int __warned; if (x && !__warned) { __warned = 1; printk("once\n"); } return x; }
)";
  const char *patched = R"(
int f(int x) { static int __warned; if (x > 1 && !__warned) { __warned = 1; printk("once\n"); } return x; }
)";
  Outcome o = run_sources(dir, orig, patched);
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  bool copied = false;
  for (const auto &n : o.symbol_names())
    copied |= n.starts_with("common/x.c#__warned.") && defined(o, n);
  CHECK(copied);
}

TEST_CASE("inlined static change shows up in its caller", "[diff]") {
  TempDir dir;
  const char *src = R"(
static inline int clamp(int x) { return x > 10 ? 10 : x; }
__attribute__((noinline)) int user(int x) { return clamp(x) + 1; }
__attribute__((noinline)) int bystander(int x) { return x * 7; }
)";
  Outcome o = run_sources(dir, src, std::string(src).replace(std::string(src).find("x > 10 ? 10"), 11, "x > 12 ? 12"));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"user"});
}

constexpr const char *kCold = R"(
void oops(const char *m) __attribute__((cold));
int f(int x, int y) {
  int r = 0;
  for (int i = 0; i < y; i++) {
    if (__builtin_expect(x == i, 0)) { oops("bad"); printk("bad %d\n", x); printk("really %d %d\n", x, y); r += 7; }
    r += i * x;
  }
  return r;
}
int g(int x) { return x + 5; }
)";

constexpr const char *kNoCold = R"(
int f(int x, int y) {
  int r = 0;
  for (int i = 0; i < y; i++)
    r += i * x;
  return r;
}
int g(int x) { return x + 5; }
)";

TEST_CASE(".cold part appears in the patched object", "[diff]") {
  TempDir dir;
  Outcome o = run_sources(dir, kNoCold, kCold);
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"f"});
  CHECK(o.result.added.empty());
  CHECK(o.has_section(".text.unlikely.f"));
  CHECK(o.funcs().size() == 1);
}

TEST_CASE(".cold part changes alone: parent is changed and both travel", "[diff]") {
  TempDir dir;
  Outcome o = run_sources(dir, kCold, std::string(kCold).replace(std::string(kCold).find("really"), 6, "truly!"));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"f"});
  CHECK(o.has_section(".text.f"));
  CHECK(o.has_section(".text.unlikely.f"));
  CHECK_FALSE(o.has_section(".text.g"));
  CHECK(o.funcs().size() == 1);
}

TEST_CASE(".cold part disappears", "[diff]") {
  TempDir dir;
  Outcome o = run_sources(dir, kCold, kNoCold);
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"f"});
  CHECK_FALSE(o.has_section(".text.unlikely.f"));
}

constexpr const char *kConstprop = R"(
static __attribute__((noinline)) int big(int *p, int n, int flag) { if (!flag) return 0; int s = 0; for (int i = 0; i < n; i++) s += p[i] * p[i] + i; return s; }
int g(int *p, int n) { return big(p, n, 1) + 1; }
)";

void renumbered_clone(const std::string &from, const std::string &to) {
  // A later build numbers the clone differently: the same object shape a
  // renumbering produces (symbol and section renamed).
  TempDir dir;
  Pair p;
  p.sources = {{"x", kConstprop, std::string(kConstprop).replace(std::string(kConstprop).find("p[i] + i"), 8, "p[i] - i")}};
  Outcome base = run_pair(dir, p);
  INFO(base.log_text());
  REQUIRE(base.status() == 0);
  REQUIRE(base.result.changed == Strings{"common/x.c#big.constprop.0"});
  std::string patched = dir.file("p/x.o");
  RunResult r = run({"objcopy", "--redefine-sym", "big.constprop.0=" + to, "--rename-section",
                     ".text.big.constprop.0=.text." + to, patched});
  REQUIRE(r.status == 0);
  if (from != "big.constprop.0") {
    std::string orig = dir.file("o/x.o");
    RunResult r2 = run({"objcopy", "--redefine-sym", "big.constprop.0=" + from, "--rename-section",
                        ".text.big.constprop.0=.text." + from, orig});
    REQUIRE(r2.status == 0);
    RunResult ld = run({"ld", "--build-id=sha1", "-Ttext=0xffff82d040200000", "-e", "0", "-o",
                        base.xen_syms, orig, dir.file("stub.o")});
    REQUIRE(ld.status == 0);
  }
  lp::diff::Options o;
  o.original = dir.file("o/x.o");
  o.patched = patched;
  o.xen_syms = base.xen_syms;
  o.output = dir.file("out2.o");
  auto res = lp::diff::create_diff_object(o);
  INFO(res.error);
  REQUIRE(res.status == 0);
  CHECK(res.changed == Strings{"common/x.c#" + from});
  CHECK(res.added.empty());
  auto out = lp::elf::read_object(o.output);
  const auto *funcs = out.section_named(".livepatch.funcs");
  REQUIRE(funcs);
  const auto &r0 = funcs->rela->relas.at(0);
  CHECK(std::string(reinterpret_cast<const char *>(r0.sym->section->data.data()) + r0.addend) ==
        "common/x.c#" + from);
}

TEST_CASE(".constprop clone renumbered between builds", "[diff]") {
  renumbered_clone("big.constprop.0", "big.constprop.3");
}

TEST_CASE(".isra clone renumbered between builds", "[diff]") {
  renumbered_clone("big.isra.1", "big.isra.4");
}

TEST_CASE(".part clone renumbered between builds", "[diff]") {
  renumbered_clone("big.part.0", "big.part.2");
}

std::string twenty_functions(bool shifted, bool change) {
  std::string s = shifted ? "/* fix:\n * three\n * more lines */\n" : "";
  for (int i = 0; i < 20; ++i) {
    s += fmt::format("__attribute__((noinline)) int fn{0}(int x) {{\n"
                     "  BUG_ON(x == {0});\n"
                     "  ASSERT(x != {1});\n"
                     "  if (x > 1000) printk(\"line %d\\n\", __LINE__);\n"
                     "  if (x < -1000) domain_crash(__LINE__);\n"
                     "  return x + {2};\n}}\n",
                     i, i + 100, (change && i == 7) ? i + 1000 : i);
  }
  return s;
}

TEST_CASE("lines inserted at the top: only the really changed function", "[diff]") {
  TempDir dir;
  Outcome o = run_sources(dir, twenty_functions(false, false), twenty_functions(true, true));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"fn7"});
  CHECK(o.funcs().size() == 1);
  // fn7's own frames are carried with their new line numbers; nothing else.
  CHECK(o.object->section_named(".bug_frames.2")->size == 8);
  CHECK(o.object->section_named(".bug_frames.3")->size == 16);
  CHECK(o.logged("ignoring __LINE__-only change in function: fn8"));
}

TEST_CASE("__LINE__ shift without bug frames to confirm it is kept", "[diff]") {
  TempDir dir;
  auto src = [](bool shifted) {
    std::string s = shifted ? "\n\n\n" : "";
    s += "__attribute__((noinline)) int f(int x) { if (x) printk(\"%d\", __LINE__); return x; }\n";
    return s;
  };
  Outcome o = run_sources(dir, src(false), src(true));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"f"});
}

TEST_CASE("ld -r of two sources: statics stay in their file", "[diff]") {
  TempDir dir;
  Pair p;
  p.sources = {
      {"a", "static int count;\n__attribute__((noinline)) int fa(void) { return ++count; }\n",
       "static int count;\n__attribute__((noinline)) int fa(void) { return count += 2; }\n"},
      {"b", "static int count;\n__attribute__((noinline)) int fb(void) { return --count; }\n",
       "static int count;\n__attribute__((noinline)) int fb(void) { return --count; }\n"},
  };
  Outcome o = run_pair(dir, p);
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"fa"});
  CHECK(undefined(o, "common/a.c#count"));
  CHECK(o.symbol("common/b.c#count") == nullptr);
}

TEST_CASE(".bug_frames.0 run_in_exception_handler entries travel with their function", "[diff]") {
  TempDir dir;
  const char *src = R"(
void handler(void *regs);
__attribute__((noinline)) void a(int x) { if (x) run_in_exception_handler(handler); printk("a"); }
__attribute__((noinline)) void b(int x) { if (x) run_in_exception_handler(handler); printk("b"); }
)";
  Outcome o = run_sources(dir, src, std::string(src).replace(std::string(src).find("printk(\"a\")"), 11, "printk(\"A\")"));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"a"});
  REQUIRE(o.has_section(".bug_frames.0"));
  CHECK(o.object->section_named(".bug_frames.0")->size == 8);
  auto rel = relocs_of(o, ".bug_frames.0");
  REQUIRE(rel.size() == 2);
  CHECK(rel[0].find(".text.a+") != std::string::npos);
  CHECK(rel[1].find("handler") != std::string::npos);
}

TEST_CASE(".bug_frames.1/2: only the changed function's frames", "[diff]") {
  TempDir dir;
  const char *src = R"(
__attribute__((noinline)) int a(int x) { WARN_ON(x == 3); BUG_ON(x == 4); return x + 1; }
__attribute__((noinline)) int b(int x) { WARN_ON(x == 5); BUG_ON(x == 6); return x + 2; }
)";
  Outcome o = run_sources(dir, src, std::string(src).replace(std::string(src).find("x + 2"), 5, "x + 9"));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"b"});
  CHECK(o.object->section_named(".bug_frames.1")->size == 8);
  CHECK(o.object->section_named(".bug_frames.2")->size == 8);
  auto rel = relocs_of(o, ".bug_frames.2");
  REQUIRE(rel.size() == 2);
  CHECK(rel[0].find(" 2 .text.b+") != std::string::npos);
}

TEST_CASE(".bug_frames.3 ASSERT frames are 16 bytes with their message", "[diff]") {
  TempDir dir;
  const char *src = R"(
__attribute__((noinline)) int a(int x) { ASSERT(x != 3); return x + 1; }
__attribute__((noinline)) int b(int x) { ASSERT(x != 5); return x + 2; }
)";
  Outcome o = run_sources(dir, src, std::string(src).replace(std::string(src).find("x + 2"), 5, "x + 9"));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"b"});
  const auto *frames = o.object->section_named(".bug_frames.3");
  REQUIRE(frames);
  CHECK(frames->size == 16);
  REQUIRE(frames->rela->relas.size() == 3);
  const auto &msg = frames->rela->relas[2];
  CHECK(msg.offset == 12);
  // message = string at section offset (addend - 12): the field is relative to the frame start
  std::string text(reinterpret_cast<const char *>(msg.sym->section->data.data()) + msg.addend - 12);
  CHECK(text == "x != 5");
}

TEST_CASE(".ex_table and .fixup: only the changed function's entry and fixup", "[diff]") {
  TempDir dir;
  const char *src = R"(
__attribute__((noinline)) int a(const int *p) { int v; if (safe_read(p, &v, -14)) return -1; return v; }
__attribute__((noinline)) int b(const int *p) { int v; if (safe_read(p, &v, -22)) return -2; return v + 1; }
)";
  Outcome o = run_sources(dir, src, std::string(src).replace(std::string(src).find("v + 1"), 5, "v + 2"));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"b"});
  REQUIRE(o.has_section(".ex_table"));
  CHECK(o.object->section_named(".ex_table")->size == 8);
  REQUIRE(o.has_section(".fixup"));
  const auto *fixup = o.object->section_named(".fixup");
  // b's fixup alone: movl $-22, %reg; jmp back
  CHECK(fixup->size < 16);
  bool has_22 = false;
  for (size_t i = 0; i + 4 <= fixup->size; ++i)
    has_22 |= fixup->data[i] == 0xea && fixup->data[i + 1] == 0xff;
  CHECK(has_22);
  auto rel = relocs_of(o, ".ex_table");
  REQUIRE(rel.size() == 2);
  CHECK(rel[0].find(".text.b+") != std::string::npos);
  CHECK(rel[1].find(".fixup+0x0") != std::string::npos);
  CHECK(relocs_of(o, ".fixup").at(0).find(".text.b+") != std::string::npos);
}

TEST_CASE("fixup-only change marks the function changed", "[diff]") {
  TempDir dir;
  const char *src = R"(
__attribute__((noinline)) int a(const int *p) { int v; if (safe_read(p, &v, -14)) return -1; return v; }
__attribute__((noinline)) int b(const int *p) { int v; if (safe_read(p, &v, -22)) return -2; return v + 1; }
)";
  Outcome o = run_sources(dir, src, std::string(src).replace(std::string(src).find("-14"), 3, "-15"));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"a"});
}

TEST_CASE(".altinstructions 14-byte entries with their replacement", "[diff]") {
  TempDir dir;
  const char *src = R"(
__attribute__((noinline)) int a(int x) { alternative("nop; nop; nop", "lfence", 0x8003); return x + 1; }
__attribute__((noinline)) int b(int x) { alternative("nop; nop", "clac", 0x8004); return x + 2; }
)";
  Outcome o = run_sources(dir, src, std::string(src).replace(std::string(src).find("x + 1"), 5, "x + 3"));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"a"});
  const auto *alt = o.object->section_named(".altinstructions");
  REQUIRE(alt);
  CHECK(alt->size == 14);
  CHECK(alt->data[8] == 0x03);
  CHECK(alt->data[9] == 0x80);
  const auto *repl = o.object->section_named(".altinstr_replacement");
  REQUIRE(repl);
  CHECK(repl->data == std::vector<uint8_t>{0x0f, 0xae, 0xe8}); // lfence
  auto rel = relocs_of(o, ".altinstructions");
  REQUIRE(rel.size() == 2);
  CHECK(rel[0].find(".text.a+") != std::string::npos);
  CHECK(rel[1] == "0x4 2 .altinstr_replacement+0x0");
}

TEST_CASE("alternative replacement change alone marks the function changed", "[diff]") {
  TempDir dir;
  const char *src = R"(
__attribute__((noinline)) int a(int x) { alternative("nop; nop; nop", "lfence", 0x8003); return x + 1; }
__attribute__((noinline)) int b(int x) { alternative("nop; nop; nop", "mfence", 0x8004); return x + 2; }
)";
  Outcome o = run_sources(dir, src, std::string(src).replace(std::string(src).find("mfence"), 6, "sfence"));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"b"});
  CHECK(o.object->section_named(".altinstr_replacement")->data ==
        std::vector<uint8_t>{0x0f, 0xae, 0xf8}); // sfence
}

TEST_CASE(".alt_call_sites entries travel with their function", "[diff]") {
  TempDir dir;
  const char *src = R"(
__attribute__((noinline)) int a(int x) { alt_call_site(); return x + 1; }
__attribute__((noinline)) int b(int x) { alt_call_site(); return x + 2; }
)";
  Outcome o = run_sources(dir, src, std::string(src).replace(std::string(src).find("x + 2"), 5, "x + 4"));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"b"});
  REQUIRE(o.has_section(".alt_call_sites"));
  CHECK(o.object->section_named(".alt_call_sites")->size == 4);
  CHECK(relocs_of(o, ".alt_call_sites").at(0).find(".text.b+") != std::string::npos);
  // xen-syms has .alt_call_sites: the Xen 4.21 table gives the entry sizes.
  CHECK(o.result.sizes.source == "table for Xen 4.21");
}

TEST_CASE("shared data section: new variable extracted, existing ones by name", "[diff]") {
  TempDir dir;
  const char *orig = R"(
static int __attribute__((section(".data.read_mostly"))) opt_a = 1;
static int __attribute__((section(".data.read_mostly"))) opt_b = 2;
int f(void) { return opt_a + opt_b; }
)";
  const char *patched = R"(
static int __attribute__((section(".data.read_mostly"))) opt_a = 1;
static int __attribute__((section(".data.read_mostly"))) opt_b = 2;
static int __attribute__((section(".data.read_mostly"))) opt_c = 3;
int f(void) { return opt_a + opt_b * opt_c; }
)";
  Outcome o = run_sources(dir, orig, patched);
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"f"});
  CHECK(undefined(o, "common/x.c#opt_a"));
  CHECK(undefined(o, "common/x.c#opt_b"));
  CHECK(defined(o, "common/x.c#opt_c"));
  REQUIRE(o.has_section(".data.read_mostly.opt_c"));
  CHECK(o.object->section_named(".data.read_mostly.opt_c")->size == 4);
  CHECK_FALSE(o.has_section(".data.read_mostly"));
}

TEST_CASE("changed variable in a shared data section is refused", "[diff]") {
  TempDir dir;
  const char *orig = R"(
static int __attribute__((section(".data.read_mostly"))) opt_a = 1;
static int __attribute__((section(".data.read_mostly"))) opt_b = 2;
int f(void) { return opt_a + opt_b; }
)";
  std::string patched = std::string(orig).replace(std::string(orig).find("opt_b = 2"), 9, "opt_b = 5");
  Outcome o = run_sources(dir, orig, patched);
  INFO(o.log_text());
  CHECK(o.status() == 2);
  CHECK(o.logged("data object opt_b changed"));
}

TEST_CASE("changed assembly without its own section is refused", "[diff]") {
  TempDir dir;
  std::string src = "asm(\".text\\n.globl asm_fn\\n.type asm_fn,@function\\nasm_fn: ret\\n.size asm_fn,1\\n\");\n"
                    "int f(int x) { return x; }\n";
  std::string patched = src;
  patched.replace(patched.find("asm_fn: ret"), 11, "asm_fn: nop; ret");
  patched.replace(patched.find(".size asm_fn,1"), 14, ".size asm_fn,2");
  Outcome o = run_sources(dir, src, patched);
  INFO(o.log_text());
  CHECK(o.status() == 2);
  CHECK(o.logged("changed section .text not selected for inclusion"));
}

std::string asm_function(const std::string &body, int size) {
  return fmt::format("asm(\".pushsection .text.tiny,\\\"ax\\\",@progbits\\n.globl tiny\\n"
                     ".type tiny,@function\\ntiny: {}\\n.size tiny,{}\\n.popsection\\n\");\n"
                     "int tiny(void);\nint f(void) {{ return tiny(); }}\n",
                     body, size);
}

TEST_CASE("function too small for a 5-byte jump is refused", "[diff]") {
  TempDir dir;
  Outcome o = run_sources(dir, asm_function("ret", 1), asm_function("nop; ret", 2));
  INFO(o.log_text());
  CHECK(o.status() == 2);
  CHECK(o.logged("tiny too small to patch (1 bytes in xen-syms, need 5)"));
}

TEST_CASE("ENDBR64 function needs 9 bytes", "[diff]") {
  TempDir dir;
  Outcome o = run_sources(dir, asm_function("endbr64; ret", 5), asm_function("endbr64; nop; ret", 6));
  INFO(o.log_text());
  CHECK(o.status() == 2);
  CHECK(o.logged("tiny too small to patch (5 bytes in xen-syms, starts with ENDBR64, need 9)"));
}

TEST_CASE("hook: load", "[diff][hooks]") { check_hook("load"); }
TEST_CASE("hook: unload", "[diff][hooks]") { check_hook("unload"); }
TEST_CASE("hook: preapply", "[diff][hooks]") { check_hook("preapply"); }
TEST_CASE("hook: apply", "[diff][hooks]") { check_hook("apply"); }
TEST_CASE("hook: postapply", "[diff][hooks]") { check_hook("postapply"); }
TEST_CASE("hook: prerevert", "[diff][hooks]") { check_hook("prerevert"); }
TEST_CASE("hook: revert", "[diff][hooks]") { check_hook("revert"); }
TEST_CASE("hook: postrevert", "[diff][hooks]") { check_hook("postrevert"); }

TEST_CASE("hook alone is a change: payload without .livepatch.funcs", "[diff][hooks]") {
  TempDir dir;
  std::string patched = std::string(kTwo) + "static void on_load(void) { printk(\"loaded\\n\"); }\nLIVEPATCH_LOAD_HOOK(on_load)\n";
  Outcome o = run_sources(dir, kTwo, patched);
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed.empty());
  CHECK_FALSE(o.has_section(".livepatch.funcs"));
  CHECK(o.has_section(".livepatch.hooks.load"));
  CHECK(o.has_section(".text.on_load"));
}

TEST_CASE(".init change is ignored with a warning", "[diff]") {
  TempDir dir;
  const char *src = "__attribute__((section(\".init.text\"))) int setup(int x) { return x + 1; }\n"
                    "int f(int x) { return x; }\n";
  Outcome o = run_sources(dir, src, std::string(src).replace(std::string(src).find("x + 1"), 5, "x + 2"));
  INFO(o.log_text());
  CHECK(o.status() == 3);
  CHECK(o.logged("WARNING: Explicitly ignoring .init section: .init.text"));
}

TEST_CASE("LIVEPATCH_IGNORE_FUNCTION treats a function as unchanged", "[diff]") {
  TempDir dir;
  std::string patched = std::string(kTwo).replace(std::string(kTwo).find("x - 7"), 5, "x - 6") +
                        "LIVEPATCH_IGNORE_FUNCTION(g)\n";
  Outcome o = run_sources(dir, kTwo, patched);
  INFO(o.log_text());
  CHECK(o.status() == 3);
  CHECK(o.logged("ignoring function: g"));
  REQUIRE(o.result.ignored.size() == 1);
  CHECK(o.result.ignored[0].name == "g");
  CHECK(o.result.ignored[0].reason == "LIVEPATCH_IGNORE_FUNCTION");
}

TEST_CASE("LIVEPATCH_IGNORE_SECTION ignores a section in both objects", "[diff]") {
  TempDir dir;
  std::string patched = std::string(kTwo).replace(std::string(kTwo).find("x - 7"), 5, "x - 6") +
                        "LIVEPATCH_IGNORE_SECTION(\".text.g\")\n";
  Outcome o = run_sources(dir, kTwo, patched);
  INFO(o.log_text());
  CHECK(o.status() == 3);
  CHECK(o.logged("ignoring section: .text.g"));
}

TEST_CASE("LIVEPATCH_EXPECT fills the expect field", "[diff]") {
  TempDir dir;
  std::string patched = std::string(kTwo).replace(std::string(kTwo).find("x - 7"), 5, "x - 6") +
                        "LIVEPATCH_EXPECT(g, \"\\x8d\\x47\\xf9\", 3)\n";
  Outcome o = run_sources(dir, kTwo, patched);
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  auto e = o.funcs().at(0);
  CHECK(e.raw[72] == (1 | (3 << 1)));
  CHECK(e.raw[73] == 0x8d);
  CHECK(e.raw[74] == 0x47);
  CHECK(e.raw[75] == 0xf9);
  CHECK(e.raw[76] == 0);
  CHECK_FALSE(o.has_section(".livepatch.expect"));
}

TEST_CASE("LIVEPATCH_EXPECT for an unchanged function is refused", "[diff]") {
  TempDir dir;
  std::string patched = std::string(kTwo).replace(std::string(kTwo).find("x - 7"), 5, "x - 6") +
                        "LIVEPATCH_EXPECT(f, \"\\x8d\", 1)\n";
  Outcome o = run_sources(dir, kTwo, patched);
  INFO(o.log_text());
  CHECK(o.status() == 2);
  CHECK(o.logged("expectation for f, which is not a changed function"));
}

TEST_CASE("same inputs give byte-identical output", "[diff]") {
  TempDir dir;
  Pair p;
  p.sources = {{"x", twenty_functions(false, false), twenty_functions(true, true)}};
  Outcome o = run_pair(dir, p);
  REQUIRE(o.status() == 0);
  std::string first = lp::read_file(o.output);
  lp::diff::Options opt;
  opt.original = dir.file("o/x.o");
  opt.patched = dir.file("p/x.o");
  opt.xen_syms = o.xen_syms;
  opt.output = dir.file("again.o");
  REQUIRE(lp::diff::create_diff_object(opt).status == 0);
  CHECK(lp::read_file(opt.output) == first);
}

// Xen 4.20's do_sysctl: `lfence` alternatives with an empty replacement point
// at the offset where the next replacement (stac, tzcnt) starts. Both ranges
// start there; the payload must keep the bytes of the longer one.
TEST_CASE("empty replacement sharing its offset with the next one keeps that one's bytes", "[diff]") {
  TempDir dir;
  const char *src = R"(
__attribute__((noinline)) int a(int x) {
  alternative("lfence", "", 0x8003);
  alternative("nop; nop; nop", "stac", 0x8004);
  alternative("lfence", "", 0x8003);
  alternative("nop; nop; nop", "clac", 0x8004);
  return x + 1;
}
)";
  Outcome o = run_sources(dir, src, std::string(src).replace(std::string(src).find("x + 1"), 5, "x + 3"));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"a"});
  const auto *alt = o.object->section_named(".altinstructions");
  REQUIRE(alt);
  REQUIRE(alt->size == 4 * 14);
  const auto *repl = o.object->section_named(".altinstr_replacement");
  REQUIRE(repl);
  CHECK(repl->data == std::vector<uint8_t>{0x0f, 0x01, 0xcb, 0x0f, 0x01, 0xca}); // stac, clac
  auto rel = relocs_of(o, ".altinstructions");
  REQUIRE(rel.size() == 8);
  CHECK(rel[1] == "0x4 2 .altinstr_replacement+0x0");  // empty, before stac
  CHECK(rel[3] == "0x12 2 .altinstr_replacement+0x0"); // stac
  CHECK(rel[5] == "0x20 2 .altinstr_replacement+0x3"); // empty, before clac
  CHECK(rel[7] == "0x2e 2 .altinstr_replacement+0x3"); // clac
}

TEST_CASE("alternative with an empty replacement keeps its position", "[diff]") {
  TempDir dir;
  const char *src = R"(
__attribute__((noinline)) int a(int x) { alternative("nop; nop; nop", "", 0x8003); return x + 1; }
__attribute__((noinline)) int b(int x) { alternative("nop", "lfence", 0x8004); return x + 2; }
)";
  Outcome o = run_sources(dir, src, std::string(src).replace(std::string(src).find("x + 1"), 5, "x + 3"));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"a"});
  const auto *alt = o.object->section_named(".altinstructions");
  REQUIRE(alt);
  CHECK(alt->size == 14);
  CHECK(alt->data[11] == 0); // repl_len
  auto rel = relocs_of(o, ".altinstructions");
  REQUIRE(rel.size() == 2);
  CHECK(rel[1].find(" 2 .altinstr_replacement+") != std::string::npos);
}

// Sections nobody knows (section_classes.cc). table_entry() emits an entry of
// a table Xen does not know, the way Linux's static branches fill
// __jump_table: a pointer to a patch site inside the function, no symbol.
namespace {

constexpr const char *kTableEntry = R"(
#define NI __attribute__((noinline))
#define table_entry(sec) asm volatile ("1: nop\n.pushsection " sec ", \"aw\", @progbits\n" \
    ".balign 8\n.quad 1b\n.popsection\n")
NI int f(int x) { table_entry("__jump_table"); return x * 3 + 1; }
NI int g(int x) { return x - 7; }
)";

std::string replaced(std::string s, const std::string &from, const std::string &to) {
  return s.replace(s.find(from), from.size(), to);
}

} // namespace

TEST_CASE("unknown section pointing into a changed function is refused", "[diff][sections]") {
  TempDir dir;
  Outcome o = run_sources(dir, kTableEntry, replaced(kTableEntry, "x * 3", "x * 4"));
  INFO(o.log_text());
  CHECK(o.status() == 2);
  CHECK_FALSE(o.object);
  REQUIRE(o.result.refusals.size() == 1);
  CHECK(o.result.refusals[0].reason ==
        "unknown section __jump_table refers to changed function f: its entries would be lost "
        "(add it to the special-section table if Xen knows it, or "
        "LIVEPATCH_IGNORE_SECTION(\"__jump_table\") if they are not needed)");
  CHECK(o.result.refusals[0].symbol == "f");
  CHECK(o.logged("x.o: unknown section __jump_table refers to changed function f: "));
  CHECK(o.logged("x.o: ERROR: 1 unsupported change(s): unreconcilable difference"));
}

TEST_CASE("unknown section pointing only into unchanged code is dropped", "[diff][sections]") {
  TempDir dir;
  Pair pair;
  pair.sources = {{"x", kTableEntry, replaced(kTableEntry, "x - 7", "x - 8")}};
  pair.options.debug = true;
  Outcome o = run_pair(dir, pair);
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"g"});
  CHECK(o.logged("x.o: dropping unknown section __jump_table: nothing in it refers to changed or "
                 "new code"));
  CHECK(o.logged("x.o: dropping section .comment: compiler and assembler version strings"));
  CHECK_FALSE(o.has_section("__jump_table"));
  CHECK_FALSE(o.has_section(".comment"));
  CHECK(o.has_section(".text.g"));
  CHECK_FALSE(o.has_section(".text.f"));
}

TEST_CASE("unknown section pointing into a new function is refused", "[diff][sections]") {
  TempDir dir;
  const char *orig = R"(
#define NI __attribute__((noinline))
NI int f(int x) { return x * 3 + 1; }
)";
  const char *patched = R"(
#define NI __attribute__((noinline))
NI static int helper(int x) {
  asm volatile ("1: nop\n.pushsection .smp_locks, \"a\", @progbits\n.balign 4\n.long 1b - .\n"
                ".popsection\n");
  return x + 2;
}
NI int f(int x) { return helper(x) * 3 + 1; }
)";
  Outcome o = run_sources(dir, orig, patched);
  INFO(o.log_text());
  CHECK(o.status() == 2);
  CHECK(o.result.added == Strings{"common/x.c#helper"});
  REQUIRE(o.result.refusals.size() == 1);
  CHECK(o.result.refusals[0].reason ==
        "unknown section .smp_locks refers to new function helper: its entries would be lost "
        "(add it to the special-section table if Xen knows it, or "
        "LIVEPATCH_IGNORE_SECTION(\".smp_locks\") if they are not needed)");
}

TEST_CASE("unknown section named by LIVEPATCH_IGNORE_SECTION is dropped", "[diff][sections]") {
  TempDir dir;
  std::string patched =
      replaced(kTableEntry, "x * 3", "x * 4") + "LIVEPATCH_IGNORE_SECTION(\"__jump_table\")\n";
  Outcome o = run_sources(dir, kTableEntry, patched);
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"f"});
  CHECK(o.logged("x.o: ignoring section: __jump_table"));
  CHECK_FALSE(o.has_section("__jump_table"));
}

TEST_CASE("unknown data section with a symbol is data, not a lost table", "[diff][sections]") {
  // A registration-style entry with a symbol of its own is a unit: unchanged,
  // it stays Xen's (and points at the old function, which jumps to the new).
  TempDir dir;
  std::string src = std::string(kTwo) +
                    "static int (*const reg_f)(int) __attribute__((used, section(\"__reg_table\"))) "
                    "= f;\n";
  Outcome o = run_sources(dir, src, replaced(src, "x * 3", "x * 4"));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"f"});
  CHECK_FALSE(o.has_section("__reg_table"));
}

TEST_CASE("unknown section pointing into a changed function's .cold part is refused",
          "[diff][sections]") {
  TempDir dir;
  std::string src = replaced(kCold, "oops(\"bad\");",
                             "oops(\"bad\"); asm volatile (\"1: nop\\n.pushsection __jump_table, "
                             "\\\"aw\\\", @progbits\\n.balign 8\\n.quad 1b\\n.popsection\\n\");");
  Outcome o = run_sources(dir, src, replaced(src, "really", "truly!"));
  INFO(o.log_text());
  CHECK(o.status() == 2);
  REQUIRE(o.result.refusals.size() == 1);
  CHECK(o.result.refusals[0].reason.starts_with(
      "unknown section __jump_table refers to changed function f: its entries would be lost"));
}

// Static locals that share a name (correlate.cc): paired by the functions
// that use them.
namespace {

// The static local that function `fn` of an input object refers to, as
// "lock.N" (its section is .bss.lock.N).
Strings statics_used(const std::string &object, const std::string &fn) {
  Strings out;
  lp::elf::Object obj = lp::elf::read_object(object);
  const auto *text = obj.section_named(".text." + fn);
  REQUIRE(text);
  REQUIRE(text->rela);
  for (const auto &r : text->rela->relas) {
    const auto *sec = r.sym->section;
    if (sec && sec->name.starts_with(".bss.lock."))
      out.push_back(sec->name.substr(5));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

} // namespace

TEST_CASE("same-named static locals: each correlated by the function that uses it", "[diff]") {
  TempDir dir;
  const char *orig = R"(
#define NI __attribute__((noinline))
NI int f(int x) { static int lock; lock += x; return lock; }
NI int g(int x) { static int lock; lock -= x; return lock * 2; }
)";
  // z has a lock too: gcc renumbers every lock.N (f's lock.1 becomes lock.2,
  // and lock.1 is now g's).
  const char *patched = R"(
#define NI __attribute__((noinline))
NI int f(int x) { static int lock; lock += x + 1; return lock; }
NI int g(int x) { static int lock; lock -= x; return lock * 2; }
NI int z(int x) { static int lock; lock ^= x; return lock; }
)";
  Outcome o = run_sources(dir, orig, patched);
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"f"});
  CHECK(o.result.added == Strings{"z"});
  CHECK_FALSE(o.has_section(".text.g"));
  Strings f_orig = statics_used(dir.file("o/x.o"), "f");
  Strings g_orig = statics_used(dir.file("o/x.o"), "g");
  Strings f_patched = statics_used(dir.file("p/x.o"), "f");
  REQUIRE(f_orig.size() == 1);
  REQUIRE(g_orig.size() == 1);
  REQUIRE(f_patched.size() == 1);
  CHECK(f_patched != f_orig); // renumbered: a name match would pick the wrong one
  CHECK(statics_used(dir.file("p/x.o"), "g") == f_orig);
  // f's relocations name Xen's copy of the original f's lock, and only it.
  std::string xen_f_lock = "common/x.c#" + f_orig[0];
  Strings targets;
  for (const auto &r : o.object->section_named(".text.f")->rela->relas)
    if (r.sym->name.starts_with("common/x.c#lock."))
      targets.push_back(r.sym->name);
  REQUIRE_FALSE(targets.empty());
  for (const auto &t : targets)
    CHECK(t == xen_f_lock);
  CHECK(undefined(o, xen_f_lock));
  CHECK(lp::elf::LinkedImage::open(o.xen_syms).by_xen_name(xen_f_lock));
  // g's lock is Xen's and untouched: neither copied nor referenced.
  CHECK(o.symbol("common/x.c#" + g_orig[0]) == nullptr);
  // z's lock is new: defined in the payload.
  CHECK(o.logged("WARNING: unable to correlate static local variable lock."));
  int defined_locks = 0;
  for (const auto &n : o.symbol_names())
    defined_locks += n.starts_with("common/x.c#lock.") && defined(o, n);
  CHECK(defined_locks == 1);
  CHECK(o.funcs().size() == 1);
}

TEST_CASE("same-named static locals: a function that stops using a shared one", "[diff]") {
  // bump's lock is used by f and g; f stops calling bump. The lock keeps its
  // twin through g, which is unchanged (refused before: its users differed).
  TempDir dir;
  const char *orig = R"(
#define NI __attribute__((noinline))
static inline int bump(int x) { static int lock; lock += x; return lock; }
NI int f(int x) { return bump(x) + 1; }
NI int g(int x) { return bump(x) * 2; }
NI int k(int x) { static int lock; lock ^= x; return lock; }
)";
  std::string patched = replaced(orig, "return bump(x) + 1;", "return x + 1;");
  Outcome o = run_sources(dir, orig, patched);
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"f"});
  CHECK(o.result.refusals.empty());
  CHECK_FALSE(o.logged("WARNING: unable to correlate static local variable"));
  CHECK_FALSE(o.has_section(".text.g"));
}

namespace {

constexpr const char *kTwoLocks = R"(
#define NI __attribute__((noinline))
static inline int up(int x) { static int lock; lock += x; return lock; }
static inline int down(int x) { static int lock; lock -= x; return lock; }
NI int f(int x) { return up(x) + down(x) * 3; }
NI int g(int x) { return x - 7; }
)";

} // namespace

TEST_CASE("same-named static locals: a changed function using two is refused", "[diff]") {
  TempDir dir;
  Outcome o = run_sources(dir, kTwoLocks, replaced(kTwoLocks, "down(x) * 3", "down(x) * 5"));
  INFO(o.log_text());
  CHECK(o.status() == 2);
  CHECK_FALSE(o.object);
  REQUIRE(o.result.refusals.size() == 1);
  CHECK(o.result.refusals[0].reason ==
        "cannot correlate static local variables lock in f: the original f uses lock.0 and "
        "lock.1, the patched one lock.0 and lock.1, and which is which cannot be told (leave f "
        "unchanged: patch the functions it calls, or its callers, instead)");
  CHECK(o.result.refusals[0].symbol == "f");
}

TEST_CASE("same-named static locals: an unchanged function using two is left alone", "[diff]") {
  TempDir dir;
  Outcome o = run_sources(dir, kTwoLocks, replaced(kTwoLocks, "x - 7", "x - 8"));
  INFO(o.log_text());
  REQUIRE(o.status() == 0);
  CHECK(o.result.changed == Strings{"g"});
  CHECK_FALSE(o.has_section(".text.f"));
}

TEST_CASE("same-named static locals: functions switching variables are refused", "[diff]") {
  // f moves from up's lock to down's, which g uses: the evidence disagrees.
  TempDir dir;
  const char *orig = R"(
#define NI __attribute__((noinline))
static inline int up(int x) { static int lock; lock += x; return lock; }
static inline int down(int x) { static int lock; lock -= x; return lock; }
NI int f(int x) { return up(x) + 1; }
NI int g(int x) { return down(x) * 2; }
)";
  Outcome o = run_sources(dir, orig, replaced(orig, "up(x) + 1", "down(x) + 1"));
  INFO(o.log_text());
  CHECK(o.status() == 2);
  Strings f_orig = statics_used(dir.file("o/x.o"), "f");
  Strings g_orig = statics_used(dir.file("o/x.o"), "g");
  Strings g_patched = statics_used(dir.file("p/x.o"), "g");
  REQUIRE(f_orig.size() == 1);
  REQUIRE(g_orig.size() == 1);
  REQUIRE(g_patched.size() == 1);
  REQUIRE(o.result.refusals.size() == 1);
  CHECK(o.result.refusals[0].reason ==
        fmt::format("cannot correlate static local variable lock: the patched f and g share {}, "
                    "where the original f used {} and g used {} (keep each on the variable it "
                    "used, or leave these functions unchanged)",
                    g_patched[0], f_orig[0], g_orig[0]));
  CHECK_FALSE(o.logged("was removed"));
}
