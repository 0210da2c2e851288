// Scenario fixtures for the diff engine: see scenario.h.
#include "scenario.h"

#include "elf/reader.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <elf.h>
#include <fmt/format.h>
#include <set>
#include <sstream>

namespace lp::test::diff {

const std::string &xen_prelude() {
  static const std::string text = R"(#include <livepatch/livepatch.h>
#define BUG_DISP_WIDTH 24
#define BUG_LINE_LO_WIDTH (31 - BUG_DISP_WIDTH)
#define BUG_FRAME(type, line, ptr, second_frame, msg) asm volatile ( \
    ".Lbug%=: ud2\n" \
    ".pushsection .bug_frames.%c[bf_type], \"a\", @progbits\n" \
    ".p2align 2\n" \
    ".Lfrm%=:\n" \
    ".long (.Lbug%= - .Lfrm%=) + %c[bf_line_hi]\n" \
    ".long (%c[bf_ptr] - .Lfrm%=) + %c[bf_line_lo]\n" \
    ".if " #second_frame "\n" \
    ".long 0, %c[bf_msg] - .Lfrm%=\n" \
    ".endif\n" \
    ".popsection\n" \
    :: [bf_type] "i" (type), [bf_ptr] "i" (ptr), [bf_msg] "i" (msg), \
       [bf_line_lo] "i" (((line) & ((1 << BUG_LINE_LO_WIDTH) - 1)) << BUG_DISP_WIDTH), \
       [bf_line_hi] "i" (((line) >> BUG_LINE_LO_WIDTH) << BUG_DISP_WIDTH))
#define run_in_exception_handler(fn) BUG_FRAME(0, 0, fn, 0, 0)
#define WARN_ON(p) do { if (__builtin_expect(!!(p), 0)) BUG_FRAME(1, __LINE__, __FILE__, 0, 0); } while (0)
#define BUG_ON(p) do { if (__builtin_expect(!!(p), 0)) BUG_FRAME(2, __LINE__, __FILE__, 0, 0); } while (0)
#define ASSERT(p) do { if (!(p)) BUG_FRAME(3, __LINE__, __FILE__, 1, #p); } while (0)
#define alternative(oldinstr, newinstr, feature) asm volatile ( \
    ".LXEN%=_orig_s:\n\t" oldinstr "\n.LXEN%=_orig_e:\n" \
    ".pushsection .altinstructions, \"a\", @progbits\n" \
    ".long .LXEN%=_orig_s - .\n.long .LXEN%=_repl_s - .\n.word " #feature "\n" \
    ".byte .LXEN%=_orig_e - .LXEN%=_orig_s\n.byte .LXEN%=_repl_e - .LXEN%=_repl_s\n" \
    ".byte 0\n.byte 0\n.popsection\n" \
    ".pushsection .altinstr_replacement, \"ax\", @progbits\n" \
    ".LXEN%=_repl_s:\n\t" newinstr "\n.LXEN%=_repl_e:\n.popsection\n" ::: "memory")
#define _ASM_EXTABLE(from, to) ".pushsection .ex_table, \"a\", @progbits\n.balign 4\n" \
    ".long " #from " - ., " #to " - .\n.popsection\n"
static inline __attribute__((always_inline)) int safe_read(const int *p, int *v, int err) {
  int rc = 0;
  asm volatile ("1: movl (%2), %1\n2:\n"
                ".pushsection .fixup, \"ax\", @progbits\n"
                "3: movl %3, %0\n jmp 2b\n"
                ".popsection\n" _ASM_EXTABLE(1b, 3b)
                : "+r" (rc), "=r" (*v) : "r" (p), "i" (err));
  return rc;
}
#define alt_call_site() asm volatile ("1: nop\n.pushsection .alt_call_sites, \"a\", @progbits\n" \
    ".p2align 2\n.long 1b - .\n.popsection\n")
int printk(const char *fmt, ...);
void domain_crash(int line);
)";
  return text;
}

namespace {

// `side` is "o" or "p"; `folder` is where it is compiled ("o", "p", or
// "og"/"pg" for the -g side objects).
std::string compile_side(const TempDir &dir, const Pair &pair, const std::string &side,
                         const std::string &folder, bool debug) {
  std::vector<std::string> objs;
  for (const Source &h : pair.headers)
    dir.write(folder + "/" + h.name + ".h", side == "o" ? h.original : h.patched);
  for (const Source &s : pair.sources) {
    std::string body = side == "o" ? s.original : s.patched;
    std::string src = pair.prelude ? xen_prelude() + body : body;
    std::vector<std::string> flags = pair.cflags;
    flags.push_back("-I" + std::string(LP_SOURCE_DIR) + "/include");
    // __FILE__ as Xen's build spells it: relative, the same in both builds.
    flags.push_back("-fmacro-prefix-map=" + dir.file(folder) + "/=common/");
    if (debug) // DWARF's file names too
      flags.insert(flags.end(), {"-g", "-fdebug-prefix-map=" + dir.file(folder) + "/=common/"});
    std::string obj = compile_xen_c(dir, folder + "/" + s.name, src, flags);
    RunResult r = run({"objcopy", "--redefine-sym", s.name + ".c=common/" + s.name + ".c", obj});
    INFO(r.output);
    REQUIRE(r.status == 0);
    objs.push_back(obj);
  }
  if (objs.size() == 1)
    return objs[0];
  std::string combined = dir.file(folder + "/combined.o");
  std::vector<std::string> argv = {"ld", "-r", "-o", combined};
  argv.insert(argv.end(), objs.begin(), objs.end());
  RunResult r = run(argv);
  INFO(r.output);
  REQUIRE(r.status == 0);
  return combined;
}

// xen-syms: the original objects plus a stub defining what they leave undefined.
std::string link_xen_syms(const TempDir &dir, const std::string &orig) {
  RunResult nm = run({"nm", "-u", orig});
  REQUIRE(nm.status == 0);
  std::istringstream in(nm.output);
  std::string line, stub = ".text\n";
  std::set<std::string> names;
  while (std::getline(in, line)) {
    auto pos = line.find("U ");
    if (pos != std::string::npos)
      names.insert(line.substr(pos + 2));
  }
  for (const auto &n : names)
    stub += fmt::format(".globl {0}\n.type {0},@function\n{0}: ret\n.skip 15, 0xcc\n.size {0},16\n", n);
  stub += ".section .note.GNU-stack,\"\",@progbits\n";
  std::string s = dir.write("stub.s", stub);
  RunResult as = run({"as", s, "-o", dir.file("stub.o")});
  INFO(as.output);
  REQUIRE(as.status == 0);
  std::string xen = dir.file("xen-syms");
  RunResult ld = run({"ld", "--build-id=sha1", "-Ttext=0xffff82d040200000", "-e", "0", "-o", xen,
                      orig, dir.file("stub.o")});
  INFO(ld.output);
  REQUIRE(ld.status == 0);
  return xen;
}

} // namespace

Outcome run_pair(const TempDir &dir, const Pair &pair) {
  bool in_objects = pair.debug == Debug::Objects;
  std::string orig = compile_side(dir, pair, "o", "o", in_objects);
  std::string patched = compile_side(dir, pair, "p", "p", in_objects);
  Outcome out;
  out.xen_syms = link_xen_syms(dir, orig);
  out.output = dir.file("out.o");
  lp::diff::Options o = pair.options;
  o.original = orig;
  o.patched = patched;
  o.xen_syms = out.xen_syms;
  o.output = out.output;
  if (pair.debug == Debug::SideObjects) {
    o.original_debug = compile_side(dir, pair, "o", "og", true);
    o.patched_debug = compile_side(dir, pair, "p", "pg", true);
  }
  out.options = o;
  out.result = lp::diff::create_diff_object(o);
  if (out.result.status == lp::diff::kWritten)
    out.object = lp::elf::read_object(out.output);
  return out;
}

Outcome run_sources(const TempDir &dir, const std::string &original, const std::string &patched,
                    std::vector<std::string> cflags) {
  Pair p;
  p.sources = {{"x", original, patched}};
  p.cflags = std::move(cflags);
  return run_pair(dir, p);
}

int line_of(const Pair &pair, const std::string &body, const std::string &text) {
  auto lines = [](std::string_view s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); };
  size_t at = body.find(text);
  REQUIRE(at != std::string::npos);
  return (pair.prelude ? lines(xen_prelude()) : 0) + lines(std::string_view(body).substr(0, at)) + 1;
}

bool Outcome::has_section(const std::string &name) const {
  return object && object->section_named(name);
}

std::vector<std::string> Outcome::section_names() const {
  std::vector<std::string> v;
  if (object)
    for (const auto &s : object->sections)
      v.push_back(s->name);
  return v;
}

const lp::elf::Symbol *Outcome::symbol(const std::string &name) const {
  if (!object)
    return nullptr;
  auto v = object->symbols_named(name);
  return v.empty() ? nullptr : v[0];
}

std::vector<std::string> Outcome::symbol_names() const {
  std::vector<std::string> v;
  if (object)
    for (const auto &s : object->symbols)
      if (!s->is_section())
        v.push_back(s->name);
  return v;
}

std::vector<FuncEntry> Outcome::funcs() const {
  std::vector<FuncEntry> out;
  if (!object)
    return out;
  const lp::elf::Section *f = object->section_named(".livepatch.funcs");
  if (!f)
    return out;
  for (uint64_t off = 0; off + 104 <= f->size; off += 104) {
    FuncEntry e;
    e.raw.assign(f->data.begin() + off, f->data.begin() + off + 104);
    std::memcpy(&e.old_addr, e.raw.data() + 16, 8);
    std::memcpy(&e.new_size, e.raw.data() + 24, 4);
    std::memcpy(&e.old_size, e.raw.data() + 28, 4);
    e.version = e.raw[32];
    if (f->rela)
      for (const auto &r : f->rela->relas) {
        if (r.offset == off) {
          const auto *sec = r.sym->section;
          e.name = std::string(reinterpret_cast<const char *>(sec->data.data()) + r.sym->value +
                               r.addend);
        } else if (r.offset == off + 8) {
          e.new_sym = std::string(r.sym->display_name());
        }
      }
    out.push_back(e);
  }
  return out;
}

bool Outcome::logged(const std::string &substring) const {
  for (const auto &l : result.log)
    if (l.find(substring) != std::string::npos)
      return true;
  return false;
}

std::string Outcome::log_text() const {
  std::string s;
  for (const auto &l : result.log)
    s += l + "\n";
  return s + result.error;
}

} // namespace lp::test::diff
