// Every UPLOAD check of the loader (ABI doc §4), one malformed payload each.
//
// Each case corrupts one field of a valid payload and expects Xen's errno;
// after every refusal the valid payload must still load (nothing half-loaded
// stays behind) and the host platform must hold no leaked payload memory.
#include "lab.h"
#include "payloads.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>

using namespace lp::hyptest;

namespace {

struct Case {
  const char *what;
  std::string (*payload)();
  std::function<void(ElfEdit &)> corrupt;
  int err;                // negative errno
  const char *reason = ""; // expected in the last log line, when set
};

const char *kFuncs = ".livepatch.funcs";
const char *kRelaFuncs = ".rela.livepatch.funcs";

void set_section_size(ElfEdit &e, const char *s, uint64_t size) { e.sh(s)->sh_size = size; }

std::vector<Case> cases() {
  return {
      // §4.3 header
      {"file shorter than an ELF header", hello_payload,
       [](ElfEdit &e) { e.bytes.resize(63); }, -LP_EINVAL},
      {"bad magic", hello_payload, [](ElfEdit &e) { e.eh()->e_ident[1] = 'X'; }, -LP_EINVAL},
      {"e_version 2", hello_payload, [](ElfEdit &e) { e.eh()->e_version = 2; }, -LP_EOPNOTSUPP},
      {"EI_VERSION 0", hello_payload, [](ElfEdit &e) { e.eh()->e_ident[EI_VERSION] = 0; },
       -LP_EOPNOTSUPP},
      {"EI_ABIVERSION 1", hello_payload,
       [](ElfEdit &e) { e.eh()->e_ident[EI_ABIVERSION] = 1; }, -LP_EOPNOTSUPP},
      {"OSABI Linux", hello_payload, [](ElfEdit &e) { e.eh()->e_ident[EI_OSABI] = 3; },
       -LP_EOPNOTSUPP},
      {"ET_EXEC", hello_payload, [](ElfEdit &e) { e.eh()->e_type = ET_EXEC; }, -LP_EOPNOTSUPP},
      {"program headers", hello_payload, [](ElfEdit &e) { e.eh()->e_phnum = 1; },
       -LP_EOPNOTSUPP},
      {"machine i386", hello_payload, [](ElfEdit &e) { e.eh()->e_machine = EM_386; },
       -LP_EOPNOTSUPP},
      {"ELFCLASS32", hello_payload, [](ElfEdit &e) { e.eh()->e_ident[EI_CLASS] = ELFCLASS32; },
       -LP_EOPNOTSUPP},
      {"big endian", hello_payload, [](ElfEdit &e) { e.eh()->e_ident[EI_DATA] = ELFDATA2MSB; },
       -LP_EOPNOTSUPP},
      {"e_shstrndx 0", hello_payload, [](ElfEdit &e) { e.eh()->e_shstrndx = 0; }, -LP_EINVAL},
      {"1024 sections", hello_payload, [](ElfEdit &e) { e.eh()->e_shnum = 1024; },
       -LP_EOPNOTSUPP},
      {"e_shstrndx past the table", hello_payload,
       [](ElfEdit &e) { e.eh()->e_shstrndx = e.eh()->e_shnum; }, -LP_EINVAL},
      {"e_shoff past the end", hello_payload,
       [](ElfEdit &e) { e.eh()->e_shoff = e.bytes.size(); }, -LP_EINVAL},
      {"e_shentsize 63", hello_payload, [](ElfEdit &e) { e.eh()->e_shentsize = 63; },
       -LP_EINVAL},
      {"section table cut short", hello_payload,
       [](ElfEdit &e) { e.bytes.resize(e.bytes.size() - 1); }, -LP_EINVAL},
      // §4.4 sections
      {"section data at the ELF header", hello_payload,
       [](ElfEdit &e) { e.sh(".comment")->sh_offset = 10; }, -LP_EINVAL},
      {"NOBITS section at the ELF header", hello_payload,
       [](ElfEdit &e) { e.sh(".bss")->sh_offset = 0; }, -LP_EINVAL},
      {"section past the end", hello_payload,
       [](ElfEdit &e) { e.sh(".comment")->sh_size = 1u << 24; }, -LP_EINVAL},
      {"alignment not a power of two", hello_payload,
       [](ElfEdit &e) { e.sh(kFuncs)->sh_addralign = 3; }, -LP_EOPNOTSUPP},
      {"misaligned sh_addr", hello_payload,
       [](ElfEdit &e) { e.sh(kFuncs)->sh_addr = 4; }, -LP_EINVAL},
      {"NOBITS over 2 MiB", hello_payload,
       [](ElfEdit &e) { e.sh(".bss")->sh_size = (2u << 20) + 1; }, -LP_EINVAL},
      {"two symbol tables", hello_payload,
       [](ElfEdit &e) { e.sh(".comment")->sh_type = SHT_SYMTAB; }, -LP_EOPNOTSUPP},
      {"symtab sh_link past the table", hello_payload,
       [](ElfEdit &e) { e.sh(".symtab")->sh_link = e.eh()->e_shnum; }, -LP_EINVAL},
      {"no symbol table", hello_payload,
       [](ElfEdit &e) { e.sh(".symtab")->sh_type = SHT_PROGBITS; }, -LP_EINVAL},
      {"symtab entsize 23", hello_payload, [](ElfEdit &e) { e.sh(".symtab")->sh_entsize = 23; },
       -LP_EINVAL},
      {"symtab size not a multiple", hello_payload,
       [](ElfEdit &e) { e.sh(".symtab")->sh_size -= 1; }, -LP_EINVAL},
      {"strtab not SHT_STRTAB", hello_payload,
       [](ElfEdit &e) { e.sh(".strtab")->sh_type = SHT_PROGBITS; }, -LP_EINVAL},
      {"strtab last byte not NUL", hello_payload,
       [](ElfEdit &e) { e.data(".strtab")[e.sh(".strtab")->sh_size - 1] = 'x'; }, -LP_EINVAL},
      // §4.5 names and symbols
      {"shstrtab first byte not NUL", hello_payload,
       [](ElfEdit &e) { e.bytes[e.sh(e.eh()->e_shstrndx)->sh_offset] = 'x'; }, -LP_EINVAL},
      {"section name past shstrtab", hello_payload,
       [](ElfEdit &e) { e.sh(".comment")->sh_name = 0x7fffffff; }, -LP_EINVAL},
      {"symbol name past strtab", hello_payload,
       [](ElfEdit &e) { e.sym("hello_fn")->st_name = 0x7fffffff; }, -LP_EINVAL},
      // §3.2 hypervisor build-id
      {"no .livepatch.xen_depends", hello_payload,
       [](ElfEdit &e) { e.rename(".livepatch.xen_depends", ".livepatch.xen_dependz"); },
       -LP_EINVAL},
      {"xen_depends for another hypervisor", hello_payload,
       [](ElfEdit &e) { e.data(".livepatch.xen_depends")[20] ^= 1; }, -LP_EINVAL},
      {"xen_depends of the wrong note type", hello_payload,
       [](ElfEdit &e) { e.data(".livepatch.xen_depends")[8] = 4; }, -LP_EINVAL},
      // §4.7 layout
      {"writable and executable section", hello_payload,
       [](ElfEdit &e) { e.sh(".text.hello_fn")->sh_flags |= SHF_WRITE; }, -LP_EOPNOTSUPP},
      // §4.8 symbols
      {"COMMON symbol", hello_payload,
       [](ElfEdit &e) { e.sym("hello_extra")->st_shndx = SHN_COMMON; }, -LP_EINVAL},
      {"unknown hypervisor symbol", hello_payload,
       [](ElfEdit &e) { e.rename_symbol("xen_extra_version", "xen_extra_versioX"); },
       -LP_ENOENT},
      {"reserved section index", hello_payload,
       [](ElfEdit &e) { e.sym("hello_extra")->st_shndx = 0xff05; }, -LP_EOPNOTSUPP},
      {"section index past the table", hello_payload,
       [](ElfEdit &e) { e.sym("hello_extra")->st_shndx = 900; }, -LP_EINVAL},
      // §4.9 relocations
      {"rela sh_link not the symtab", hello_payload,
       [](ElfEdit &e) { e.sh(kRelaFuncs)->sh_link = 1; }, -LP_EINVAL},
      {"rela entsize 23", hello_payload, [](ElfEdit &e) { e.sh(kRelaFuncs)->sh_entsize = 23; },
       -LP_EINVAL},
      {"SHT_REL", hello_payload, [](ElfEdit &e) { e.sh(kRelaFuncs)->sh_type = SHT_REL; },
       -LP_EOPNOTSUPP},
      {"relocation against symbol 0", hello_payload,
       [](ElfEdit &e) { e.rela_at(kRelaFuncs, 8)->r_info = ELF64_R_INFO(0, R_X86_64_64); },
       -LP_EOPNOTSUPP},
      {"relocation symbol past the symtab", hello_payload,
       [](ElfEdit &e) { e.rela_at(kRelaFuncs, 8)->r_info = ELF64_R_INFO(100000, R_X86_64_64); },
       -LP_EINVAL},
      {"relocation against a non-ALLOC symbol", hello_payload,
       [](ElfEdit &e) {
         unsigned s = static_cast<unsigned>(ELF64_R_SYM(e.rela_at(kRelaFuncs, 8)->r_info));
         e.sym(s)->st_shndx = static_cast<uint16_t>(e.index(".comment"));
       },
       -LP_EINVAL},
      {"R_X86_64_64 past the section end", hello_payload,
       [](ElfEdit &e) { e.rela_at(kRelaFuncs, 8)->r_offset = 100; }, -LP_EINVAL},
      {"PC32 overflow", hello_payload,
       [](ElfEdit &e) {
         Elf64_Shdr *r = e.sh(".rela.text.hello_fn");
         auto *rela = reinterpret_cast<Elf64_Rela *>(e.bytes.data() + r->sh_offset);
         rela->r_addend += 1ll << 32;
       },
       -LP_EOVERFLOW},
      {"R_X86_64_32", hello_payload,
       [](ElfEdit &e) {
         Elf64_Rela *r = e.rela_at(kRelaFuncs, 8);
         r->r_info = ELF64_R_INFO(ELF64_R_SYM(r->r_info), R_X86_64_32);
       },
       -LP_EOPNOTSUPP},
      // §4.10 special sections
      {".livepatch.depends missing", hello_payload,
       [](ElfEdit &e) { e.rename(".livepatch.depends", ".livepatch.dependz"); }, -LP_EINVAL},
      {".note.gnu.build-id missing", hello_payload,
       [](ElfEdit &e) { e.rename(".note.gnu.build-id", ".note.gnu.build-iX"); }, -LP_EINVAL},
      {".note.gnu.build-id empty", hello_payload,
       [](ElfEdit &e) { set_section_size(e, ".note.gnu.build-id", 0); }, -LP_EINVAL},
      {"nothing to patch", hello_payload,
       [](ElfEdit &e) { e.rename(kFuncs, ".livepatch.funcz"); }, -LP_EINVAL},
      {"empty .livepatch.funcs", hello_payload,
       [](ElfEdit &e) {
         set_section_size(e, kFuncs, 0);
         e.sh(kRelaFuncs)->sh_size = 0;
       },
       -LP_EINVAL},
      {".livepatch.funcs not a multiple of 104", hello_payload,
       [](ElfEdit &e) { set_section_size(e, kFuncs, 103); }, -LP_EINVAL},
      {".livepatch.funcs without SHF_ALLOC", hello_payload,
       [](ElfEdit &e) { e.sh(kFuncs)->sh_flags &= ~uint64_t(SHF_ALLOC); }, -LP_EINVAL},
      {"func version 1", hello_payload, [](ElfEdit &e) { e.data(kFuncs)[32] = 1; },
       -LP_EOPNOTSUPP},
      {"func old_size 0", hello_payload,
       [](ElfEdit &e) { std::memset(e.data(kFuncs) + 28, 0, 4); }, -LP_EINVAL},
      {"func old_addr unresolvable by name", hello_payload,
       [](ElfEdit &e) {
         Elf64_Rela *r = e.rela_at(kRelaFuncs, 16);
         r->r_info = ELF64_R_INFO(ELF64_R_SYM(r->r_info), R_X86_64_NONE);
         std::memcpy(e.data(".rodata.hello_name"), "no_such_function", 17);
       },
       -LP_ENOENT},
      {"jump with old_size 4", hello_payload,
       [](ElfEdit &e) { e.data(kFuncs)[28] = 4; }, -LP_EINVAL, "incorrect size"},
      {"jump over ENDBR64 with old_size 8", cf_payload,
       [](ElfEdit &e) { e.data(kFuncs)[28] = 8; }, -LP_EINVAL, "incorrect size"},
      {"NOP longer than 31 bytes", nop_payload,
       [](ElfEdit &e) {
         e.data(kFuncs)[24] = 32;
         e.data(kFuncs)[28] = 40;
       },
       -LP_EOPNOTSUPP},
      {"NOP longer than the function", nop_payload,
       [](ElfEdit &e) {
         e.data(kFuncs)[24] = 6;
         e.data(kFuncs)[28] = 5;
       },
       -LP_EINVAL},
      {"new function 2 GiB away", hello_payload,
       [](ElfEdit &e) { e.rela_at(kRelaFuncs, 8)->r_addend += 1ll << 32; }, -LP_EOVERFLOW},
      {"load hook array not a multiple of 8", hooks_payload,
       [](ElfEdit &e) { set_section_size(e, ".livepatch.hooks.load", 20); }, -LP_EINVAL,
       "Wrong size of .livepatch.hooks.load"},
      {"empty unload hook section", hooks_payload,
       [](ElfEdit &e) {
         set_section_size(e, ".livepatch.hooks.unload", 0);
         e.sh(".rela.livepatch.hooks.unload")->sh_size = 0;
       },
       -LP_EINVAL},
      {"pre-apply hook section of 16 bytes", hooks_payload,
       [](ElfEdit &e) { set_section_size(e, ".livepatch.hooks.preapply", 16); }, -LP_EINVAL},
      {"post-revert hook section of 12 bytes", hooks_payload,
       [](ElfEdit &e) { set_section_size(e, ".livepatch.hooks.postrevert", 12); }, -LP_EINVAL,
       "Wrong size of .livepatch.hooks.postrevert"},
      {"build-id note of the wrong type", hello_payload,
       [](ElfEdit &e) { e.data(".note.gnu.build-id")[8] = 1; }, -LP_ENODATA},
      {"build-id note namesz 3", hello_payload,
       [](ElfEdit &e) { e.data(".note.gnu.build-id")[0] = 3; }, -LP_EINVAL},
      {"build-id note named GNX", hello_payload,
       [](ElfEdit &e) { e.data(".note.gnu.build-id")[14] = 'X'; }, -LP_ENODATA},
      {"build-id note descsz 0", hello_payload,
       [](ElfEdit &e) { std::memset(e.data(".note.gnu.build-id") + 4, 0, 4); }, -LP_EINVAL},
      {"build-id note longer than its section", hello_payload,
       [](ElfEdit &e) { e.data(".note.gnu.build-id")[4] = 40; }, -LP_EINVAL},
      {"depends note of the wrong type", hello_payload,
       [](ElfEdit &e) { e.data(".livepatch.depends")[8] = 1; }, -LP_ENODATA},
      {"bug frames not a multiple of 8", hello_payload,
       [](ElfEdit &e) { set_section_size(e, ".bug_frames.2", 4); }, -LP_EINVAL},
      {"WARN frames not a multiple of 8", warn_payload,
       [](ElfEdit &e) { set_section_size(e, ".bug_frames.1", 12); }, -LP_EINVAL,
       "Wrong size of .bug_frames.1"},
      {".altinstructions not a multiple of 14", hello_payload,
       [](ElfEdit &e) { set_section_size(e, ".altinstructions", 13); }, -LP_EINVAL},
      {".altinstructions without .altinstr_replacement", hello_payload,
       [](ElfEdit &e) { e.rename(".altinstr_replacement", ".altinstr_replacemenX"); },
       -LP_EINVAL},
      {"alternative outside the payload text", hello_payload,
       [](ElfEdit &e) { e.rela_at(".rela.altinstructions", 0)->r_addend += 1 << 20; },
       -LP_EINVAL},
      {"alternative replacement out of range", hello_payload,
       [](ElfEdit &e) { e.data(".altinstructions")[11] = 9; }, -LP_EINVAL},
      {".ex_table not a multiple of 8", hello_payload,
       [](ElfEdit &e) { set_section_size(e, ".ex_table", 20); }, -LP_EINVAL,
       "Wrong size of .ex_table"},
      {".modinfo not NUL-terminated", hello_payload,
       [](ElfEdit &e) { e.data(".modinfo")[e.sh(".modinfo")->sh_size - 1] = 'x'; }, -LP_EINVAL},
  };
}

void expect_healthy() {
  REQUIRE(Core::upload("healthy", Lab::read(hello_payload())) == 0);
  REQUIRE(Core::action("healthy", LIVEPATCH_ACTION_APPLY) == 0);
  REQUIRE(Core::rc("healthy") == 0);
  REQUIRE(Core::action("healthy", LIVEPATCH_ACTION_REVERT) == 0);
  REQUIRE(livepatch_action("healthy", LIVEPATCH_ACTION_UNLOAD, 0, 0) == 0);
}

} // namespace

TEST_CASE("every malformed payload is refused with Xen's errno, and the loader stays healthy",
          "[hypervisor_core][upload]") {
  Core core;
  unsigned blocks = lp::hyp::HostPlatform::get().live_blocks();
  for (const Case &c : cases()) {
    SECTION(c.what) {
      ElfEdit e(Lab::read(c.payload()));
      c.corrupt(e);
      int rc = Core::upload("bad", e.bytes);
      INFO("last log: " << Core::last_log());
      if (std::getenv("LP_SHOW_REASONS"))
        std::printf("%-50s %d  %s\n", c.what, rc, Core::last_log().c_str());
      CHECK(rc == c.err);
      CHECK(Core::last_log().find(c.reason) != std::string::npos);
      CHECK(livepatch_list_count(nullptr) == 0);
      CHECK(lp::hyp::HostPlatform::get().live_blocks() == blocks);
      expect_healthy();
    }
  }
}

TEST_CASE("the valid payloads load", "[hypervisor_core][upload]") {
  Core core;
  for (auto *make : {hello_payload, warn_payload, replace_payload, nop_payload, cf_payload, hooks_payload,
                     action_hooks_payload, action_nofunc_payload, data_payload}) {
    std::string path = make();
    INFO(path);
    REQUIRE(Core::upload("p", Lab::read(path)) == 0);
    CHECK(Core::state("p") == LIVEPATCH_STATE_CHECKED);
    REQUIRE(livepatch_action("p", LIVEPATCH_ACTION_UNLOAD, 0, 0) == 0);
  }
}

TEST_CASE("FreeBSD OSABI is accepted like SYSV", "[hypervisor_core][upload]") {
  Core core;
  ElfEdit e(Lab::read(hello_payload()));
  e.eh()->e_ident[EI_OSABI] = ELFOSABI_FREEBSD;
  CHECK(Core::upload("freebsd", e.bytes) == 0);
}

TEST_CASE("old_addr 0 is resolved by name at load", "[hypervisor_core][upload]") {
  Core core;
  REQUIRE(Core::upload("replace", Lab::read(replace_payload())) == 0);
  REQUIRE(Core::action("replace", LIVEPATCH_ACTION_APPLY) == 0);
  uint64_t old = Lab::get().addr("xen_extra_version");
  auto bytes = lp::hyp::HostPlatform::get().read(old, 1);
  REQUIRE(bytes);
  CHECK((*bytes)[0] == 0xe9);
}

TEST_CASE("a missing .livepatch.xen_depends is refused (xen_no_xen_buildid)",
          "[hypervisor_core][upload]") {
  Core core;
  CHECK(Core::upload("noxen", Lab::read(no_xen_depends_payload())) == -LP_EINVAL);
  CHECK(Core::last_log().find(".livepatch.xen_depends is missing") != std::string::npos);
}

TEST_CASE("a hypervisor without a build-id refuses with ENODATA", "[hypervisor_core][upload]") {
  Core core;
  lp::hyp::HostPlatform::get().set_build_id(std::nullopt);
  CHECK(Core::upload("hello", Lab::read(hello_payload())) == -LP_ENODATA);
}

TEST_CASE("upload name, size and flag rules", "[hypervisor_core][upload]") {
  Core core;
  auto bytes = Lab::read(hello_payload());
  CHECK(Core::upload(std::string(128, 'n'), bytes) == -LP_EINVAL);
  CHECK(Core::upload("hello", bytes, 2) == -LP_EINVAL);
  CHECK(livepatch_upload("hello", bytes.data(), 0, 0) == -LP_EINVAL);
  std::vector<uint8_t> big(LIVEPATCH_MAX_SIZE + 1);
  CHECK(Core::upload("big", big) == -LP_EINVAL);
  CHECK(Core::upload(std::string(127, 'n'), bytes, 2 | LIVEPATCH_FLAG_FORCE) == 0);
  CHECK(Core::upload("again", bytes) == -LP_EEXIST); // same build-id
  CHECK(Core::last_log().find("Already loaded") != std::string::npos);
  CHECK(Core::upload(std::string(127, 'n'), Lab::read(bye_payload())) == -LP_EEXIST);
}

TEST_CASE("duplicate new symbols are refused", "[hypervisor_core][upload]") {
  Core core;
  CHECK(Core::upload("xendup", Lab::read(xen_dup_payload())) == -LP_EEXIST);
  CHECK(Core::last_log().find("duplicate new symbol: xen_compute") != std::string::npos);
  // Two payloads defining the same new symbol: change one byte of code so the
  // build-id differs, keep the names.
  auto a = Lab::read(hello_payload());
  REQUIRE(Core::upload("a", a) == 0);
  ElfEdit b(a);
  b.data(".note.gnu.build-id")[20] ^= 0xff;
  CHECK(Core::upload("b", b.bytes) == -LP_EEXIST);
  CHECK(Core::last_log().find("duplicate new symbol") != std::string::npos);
}

TEST_CASE("UNDEF symbols resolve against new symbols of loaded payloads",
          "[hypervisor_core][upload]") {
  Core core;
  REQUIRE(Core::upload("hello", Lab::read(hello_payload())) == 0);
  std::string user = Lab::get().build("user", R"(
extern void hello_extra(void);
void user_fn(void) { hello_extra(); }
static const char user_name[] = "xen_extra_version";
struct livepatch_func LP_FUNCS user_func = { user_name, user_fn, xen_extra_version,
  16, SIZE_xen_extra_version, 2 };
)");
  CHECK(Core::upload("user", Lab::read(user)) == 0);
  REQUIRE(livepatch_action("user", LIVEPATCH_ACTION_UNLOAD, 0, 0) == 0);
  REQUIRE(livepatch_action("hello", LIVEPATCH_ACTION_UNLOAD, 0, 0) == 0);
  CHECK(Core::upload("user", Lab::read(user)) == -LP_ENOENT);
}

TEST_CASE("the exception table is sorted and searchable", "[hypervisor_core][upload]") {
  Core core;
  REQUIRE(Core::upload("hello", Lab::read(hello_payload())) == 0);
  uint64_t a = livepatch_symbols_lookup_by_name("hello_ex_a");
  uint64_t b = livepatch_symbols_lookup_by_name("hello_ex_b");
  uint64_t fa = livepatch_symbols_lookup_by_name("hello_fix_a");
  uint64_t fb = livepatch_symbols_lookup_by_name("hello_fix_b");
  REQUIRE(a);
  REQUIRE(b == a + 1);
  uint64_t fixup = 0;
  REQUIRE(livepatch_search_extable(a, &fixup));
  CHECK(fixup == fa);
  REQUIRE(livepatch_search_extable(b, &fixup));
  CHECK(fixup == fb);
  CHECK_FALSE(livepatch_search_extable(a + 2, &fixup));
  CHECK(livepatch_is_patch(a));
  CHECK_FALSE(livepatch_is_patch(Lab::get().addr("xen_compute")));
}

TEST_CASE("a loaded payload's bug frames are found by their ud2 and dropped at unload",
          "[hypervisor_core][upload]") {
  Core core;
  ElfEdit e(Lab::read(warn_payload()));
  REQUIRE(e.sh(".bug_frames.1")->sh_size == 8);
  REQUIRE(e.sh(".bug_frames.3")->sh_size == 16); // one ASSERT entry: two frames
  REQUIRE(Core::upload("warn", e.bytes) == 0);
  uint64_t warn = livepatch_symbols_lookup_by_name("warn_ud2");
  uint64_t assert_site = livepatch_symbols_lookup_by_name("warn_assert_ud2");
  REQUIRE(warn);
  REQUIRE(assert_site == warn + 2);
  unsigned type = 99;
  uint64_t frame = livepatch_find_bug_frame(warn, &type);
  CHECK(frame == livepatch_symbols_lookup_by_name("warn_frm"));
  CHECK(type == 1);
  CHECK(livepatch_is_patch(frame));
  frame = livepatch_find_bug_frame(assert_site, &type);
  CHECK(frame == livepatch_symbols_lookup_by_name("warn_assert_frm"));
  CHECK(type == 3);
  CHECK(livepatch_find_bug_frame(warn + 1, &type) == 0);
  CHECK(livepatch_find_bug_frame(Lab::get().addr("xen_compute"), &type) == 0);
  REQUIRE(livepatch_action("warn", LIVEPATCH_ACTION_UNLOAD, 0, 0) == 0);
  CHECK(livepatch_find_bug_frame(warn, &type) == 0);
}

TEST_CASE("the host platform sees the image like Xen's symbol table",
          "[hypervisor_core][platform]") {
  Core core;
  auto &hp = lp::hyp::HostPlatform::get();
  CHECK(hp.symbol("xen_extra_version") == Lab::get().addr("xen_extra_version"));
  CHECK(hp.symbol("xen.c#helper") != 0);
  CHECK(hp.symbol("helper") == 0);
  REQUIRE(hp.build_id());
  CHECK(hp.build_id()->size() == 20);
}

// Xen's ROUNDUP(x, 0) == 0: the last allocated read-only section with
// sh_addralign 0 is placed at offset 0 of its region and resets the region's
// running size, overlapping the sections before it (ABI doc §9). Xen then
// copies past the end of its allocation; the loader must keep every copy
// inside the payload's memory (the sanitizer build checks each byte written)
// and stay healthy whatever it decides. Found by the fuzz target.
TEST_CASE("sh_addralign 0 overlaps sections but never writes outside the payload",
          "[hypervisor_core][upload]") {
  Core core;
  ElfEdit e(Lab::read(hello_payload()));
  unsigned first_ro = 0, last_ro = 0;
  for (unsigned i = 1; i < e.eh()->e_shnum; i++) {
    const Elf64_Shdr *s = e.sh(i);
    if ((s->sh_flags & SHF_ALLOC) && !(s->sh_flags & (SHF_WRITE | SHF_EXECINSTR)) && s->sh_size) {
      first_ro = first_ro ? first_ro : i;
      last_ro = i;
    }
  }
  REQUIRE(first_ro != 0);
  REQUIRE(last_ro != first_ro);
  // The first read-only section is stretched over 8 KiB appended to the file
  // (Xen only checks that it stays inside the file), so it reaches well past
  // the page the reset running size would allocate.
  e.bytes.resize(e.bytes.size() + 8192); // room past the section table
  Elf64_Shdr *big = e.sh(first_ro);
  big->sh_size = e.bytes.size() - big->sh_offset;
  REQUIRE(big->sh_size > 2 * 4096 - e.sh(last_ro)->sh_size);
  e.sh(last_ro)->sh_addralign = 0;
  int rc = Core::upload("align0", e.bytes);
  INFO("upload returned " << rc);
  if (rc == 0)
    REQUIRE(livepatch_action("align0", LIVEPATCH_ACTION_UNLOAD, 0, 0) == 0);
  CHECK(Core::upload("valid", Lab::read(hello_payload())) == 0);
  CHECK(Core::state("valid") == LIVEPATCH_STATE_CHECKED);
}
