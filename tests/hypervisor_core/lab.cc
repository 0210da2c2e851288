// Test fixtures for the live-patch core: see lab.h.
#include "lab.h"

#include "xen/livepatch_version.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <iterator>

namespace lp::hyptest {

using lp::hyp::HostPlatform;
using lp::test::run_shell;

const char kPayloadPrelude[] = R"(
#include <stdint.h>
struct livepatch_func {
  const char *name; void *new_addr; void *old_addr;
  uint32_t new_size, old_size; uint8_t version; uint8_t pad[39]; uint8_t expect[32];
};
#define LP_FUNCS __attribute__((section(".livepatch.funcs"), used))
#define LP_HOOK(kind) __attribute__((section(".livepatch.hooks." #kind), used))
extern const char *xen_extra_version(void);
extern const char *xen_cf_version(void);
extern int xen_minor_version(void);
)";

namespace {

const char kXenSource[] = R"(
asm(".pushsection .text.thunks,\"ax\"\n.globl __x86_return_thunk\n"
    "__x86_return_thunk: ret\n.popsection");
static const char *volatile extra = "-orig";
const char *xen_extra_version(void) { return extra; }
__attribute__((cf_check)) const char *xen_cf_version(void) { return "-cf"; }
__attribute__((noinline)) static int helper(int x) { return x * 3 + 1; }
int xen_compute(int x) { return helper(x) + 2; }
int xen_minor_version(void) { return 17; }
)";

void must(const std::string &cmd) {
  auto r = run_shell(cmd);
  INFO(cmd << "\n" << r.output);
  REQUIRE(r.status == 0);
}

} // namespace

Lab &Lab::get() {
  static Lab lab;
  return lab;
}

Lab::Lab() {
  std::string obj = lp::test::compile_xen_c(dir_, "xen", kXenSource);
  xen_syms_ = dir_.file("xen-syms");
  must(fmt::format("ld -melf_x86_64 -nostdlib -static -z noexecstack --build-id=sha1 "
                   "-Ttext=0xffff82d040200000 -e 0 -o {} {}", xen_syms_, obj));
  auto r = run_shell("nm -S --defined-only " + xen_syms_);
  REQUIRE(r.status == 0);
  std::istringstream in(r.output);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string a, s, t, n;
    if (f >> a >> s >> t >> n)
      syms_[n] = {std::stoull(a, nullptr, 16), std::stoull(s, nullptr, 16)};
  }
}

std::vector<uint8_t> Lab::read(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<uint8_t> Lab::image_bytes(uint64_t a, size_t len) const {
  auto r = run_shell(fmt::format("objcopy -O binary --only-section=.text {} {}", xen_syms_,
                                 dir_.file("text.bin")));
  REQUIRE(r.status == 0);
  auto text = read(dir_.file("text.bin"));
  uint64_t off = a - 0xffff82d040200000ull;
  REQUIRE(off + len <= text.size());
  return {text.begin() + static_cast<long>(off), text.begin() + static_cast<long>(off + len)};
}

std::string Lab::build(const std::string &name, const std::string &source,
                       const PayloadOpts &o) {
  auto it = built_.find(name);
  if (it != built_.end())
    return it->second;
  std::vector<std::string> flags = o.cflags;
  for (const auto &s : {"xen_extra_version", "xen_cf_version", "xen_minor_version"}) {
    flags.push_back(fmt::format("-DSIZE_{}={}", s, size(s)));
    flags.push_back(fmt::format("-DADDR_{}={:#x}ull", s, addr(s)));
  }
  std::string obj = lp::test::compile_xen_c(dir_, name, kPayloadPrelude + source, flags);
  std::string dep_src = o.depends_on.empty() ? xen_syms_ : o.depends_on;
  std::string note = dir_.file(name + ".note.bin"), out = dir_.file(name + ".livepatch");
  must(fmt::format("objcopy -O binary --only-section=.note.gnu.build-id {} {}", dep_src, note));
  std::string objs = obj;
  auto wrap = [&](const std::string &section, const std::string &bin, const std::string &o2) {
    must(fmt::format("cd {} && objcopy -I binary -O elf64-x86-64 -B i386:x86-64 "
                     "--rename-section .data={},alloc,load,readonly,data,contents -S {} {}",
                     dir_.path(), section, bin, o2));
    objs += " " + o2;
  };
  wrap(".livepatch.depends", name + ".note.bin", dir_.file(name + ".dep.o"));
  if (o.xen_depends) {
    must(fmt::format("objcopy -O binary --only-section=.note.gnu.build-id {} {}", xen_syms_,
                     dir_.file(name + ".xen.bin")));
    wrap(".livepatch.xen_depends", name + ".xen.bin", dir_.file(name + ".xen.o"));
  }
  must(fmt::format("ld -melf_x86_64 -z noexecstack --build-id=sha1 -r -o {} {} 2>/dev/null && "
                   "objcopy --set-section-flags .livepatch.funcs=alloc,readonly {}",
                   out, objs, out));
  built_[name] = out;
  return out;
}

Elf64_Shdr *ElfEdit::sh(unsigned i) {
  REQUIRE(i < eh()->e_shnum);
  return reinterpret_cast<Elf64_Shdr *>(bytes.data() + eh()->e_shoff + i * sizeof(Elf64_Shdr));
}

unsigned ElfEdit::index(const std::string &section) {
  const char *names = reinterpret_cast<const char *>(bytes.data() + sh(eh()->e_shstrndx)->sh_offset);
  for (unsigned i = 1; i < eh()->e_shnum; i++)
    if (section == names + sh(i)->sh_name)
      return i;
  FAIL("no section " << section);
  return 0;
}

unsigned ElfEdit::sym_index(const std::string &name) {
  Elf64_Shdr *st = sh(".symtab");
  const char *str = reinterpret_cast<const char *>(bytes.data() + sh(st->sh_link)->sh_offset);
  for (unsigned i = 1; i < st->sh_size / sizeof(Elf64_Sym); i++)
    if (name == str + sym(i)->st_name)
      return i;
  FAIL("no symbol " << name);
  return 0;
}

Elf64_Sym *ElfEdit::sym(unsigned i) {
  return reinterpret_cast<Elf64_Sym *>(bytes.data() + sh(".symtab")->sh_offset +
                                       i * sizeof(Elf64_Sym));
}

Elf64_Rela *ElfEdit::rela_at(const std::string &rela_section, uint64_t offset) {
  Elf64_Shdr *r = sh(rela_section);
  for (uint64_t o = 0; o < r->sh_size; o += sizeof(Elf64_Rela)) {
    auto *e = reinterpret_cast<Elf64_Rela *>(bytes.data() + r->sh_offset + o);
    if (e->r_offset == offset)
      return e;
  }
  FAIL("no relocation at " << offset << " in " << rela_section);
  return nullptr;
}

void ElfEdit::rename(const std::string &from, const std::string &to) {
  REQUIRE(from.size() == to.size());
  Elf64_Shdr *s = sh(from);
  std::memcpy(bytes.data() + sh(eh()->e_shstrndx)->sh_offset + s->sh_name, to.data(), to.size());
}

void ElfEdit::rename_symbol(const std::string &from, const std::string &to) {
  REQUIRE(from.size() == to.size());
  Elf64_Sym *s = sym(from);
  std::memcpy(bytes.data() + sh(sh(".symtab")->sh_link)->sh_offset + s->st_name, to.data(),
              to.size());
}

void reset_core() {
  HostPlatform::get().hook_handler = nullptr;
  for (int round = 0; round < 64; round++) {
    bool reverted = false;
    for (uint32_t i = 0; i < livepatch_list_count(nullptr); i++) {
      const char *name = nullptr;
      uint32_t state = 0;
      livepatch_list_entry(i, &name, &state, nullptr, nullptr, nullptr);
      if (state == LIVEPATCH_STATE_APPLIED && Core::action(name, LIVEPATCH_ACTION_REVERT) == 0)
        reverted = true;
    }
    if (!reverted)
      break;
  }
  while (livepatch_list_count(nullptr)) {
    const char *name = nullptr;
    livepatch_list_entry(0, &name, nullptr, nullptr, nullptr, nullptr);
    REQUIRE(livepatch_action(name, LIVEPATCH_ACTION_UNLOAD, 0, 0) == 0);
  }
}

Core::Core() {
  reset_core();
  livepatch_set_xen_version(4, 17);
  auto &hp = HostPlatform::get();
  hp.reset();
  hp.load_image(Lab::get().xen_syms());
  REQUIRE(livepatch_init() == 0);
}

Core::~Core() {
  reset_core();
  livepatch_set_xen_version(4, 17);
  HostPlatform::get().reset();
}

int Core::upload(const std::string &name, const std::vector<uint8_t> &bytes, uint32_t flags) {
  return livepatch_upload(name.c_str(), bytes.data(), bytes.size(), flags);
}

int Core::action(const std::string &name, uint32_t cmd, uint32_t flags) {
  int rc = livepatch_action(name.c_str(), cmd, 0, flags);
  if (rc == 0 && livepatch_work_pending())
    check_for_livepatch_work();
  return rc;
}

uint32_t Core::state(const std::string &name) {
  uint32_t s = 0;
  int32_t r = 0;
  REQUIRE(livepatch_get(name.c_str(), &s, &r) == 0);
  return s;
}

int32_t Core::rc(const std::string &name) {
  uint32_t s = 0;
  int32_t r = 0;
  REQUIRE(livepatch_get(name.c_str(), &s, &r) == 0);
  return r;
}

std::string Core::last_log() {
  const auto &log = HostPlatform::get().log;
  return log.empty() ? std::string() : log.back();
}

} // namespace lp::hyptest
