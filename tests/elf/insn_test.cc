// Instruction boundaries through the decoder (Zydis): for a table of x86-64 forms assembled
// by `as` at test time, the instruction containing each relocation must start
// where the form starts and end where the assembler says it ends. The
// assembler's own addend for a PC-relative reference to sym+0 is
// -(insn_end - reloc_offset), so the two are checked against each other:
// `cmpl $1, sym(%rip)` has its PC32 relocation at +2 and ends 5 bytes later.
// On gcc's own output, instruction starts are checked against objdump's and
// each field's end from the bytes before it against the linear decode.
#include "elf_fixture.h"

#include "elf/insn.h"
#include "elf/reader.h"

#include <catch2/catch.hpp>
#include <elf.h>
#include <map>
#include <regex>
#include <sstream>

using namespace lp::test;

namespace {

struct Form {
  const char *asm_text;
  const char *mnemonic; // what the disassembler prints first (AT&T, suffix only when ambiguous)
  unsigned length;      // bytes
  unsigned tail;        // insn end - relocation offset (0: no relocation)
};

const Form kForms[] = {
    {"endbr64", "endbr64", 4, 0},
    {"movl sym(%rip), %eax", "mov", 6, 4},        // load
    {"movq %rax, sym(%rip)", "mov", 7, 4},        // store
    {"cmpl $1, sym(%rip)", "cmpl", 7, 5},          // imm8 after the displacement
    {"cmpl $0x12345, sym(%rip)", "cmpl", 10, 8},   // imm32
    {"movl $0x12345678, sym(%rip)", "movl", 10, 8}, // store of imm32
    {"movb $7, sym(%rip)", "movb", 7, 5},          // store of imm8
    {"movw $0x1234, sym(%rip)", "movw", 9, 6},     // operand-size prefix, imm16
    {"addq $8, sym(%rip)", "addq", 8, 5},          // REX.W, imm8
    {"leaq sym(%rip), %rdi", "lea", 7, 4},
    {"call func", "call", 5, 4},
    {"jmp func", "jmp", 5, 4},
    {"jne func", "jnz", 6, 4},
    {"ret", "ret", 1, 0},
};

} // namespace

TEST_CASE("instruction ends are right for a table of forms", "[elf][insn]") {
  TempDir dir;
  std::string src = "  .text\n  .globl f\nf:\n";
  for (const Form &f : kForms)
    src += std::string("  ") + f.asm_text + "\n";
  lp::elf::Object obj = lp::elf::read_object(assemble(dir, "forms", src));
  const lp::elf::Section *text = obj.section_named(".text");
  REQUIRE(text);
  REQUIRE(text->rela);
  const auto &relas = text->rela->relas;

  lp::elf::InsnDecoder decoder;
  lp::elf::InsnMap map(decoder, text->bytes());
  CHECK(map.count() == std::size(kForms));

  uint64_t start = 0;
  size_t r = 0;
  for (const Form &f : kForms) {
    INFO(f.asm_text);
    CHECK(decoder.length_at(text->bytes(), start) == f.length);
    CHECK(decoder.disassemble_at(text->bytes(), start).rfind(f.mnemonic, 0) == 0);
    if (f.tail) {
      REQUIRE(r < relas.size());
      const lp::elf::Rela &rel = relas[r++];
      auto insn = map.containing(rel.offset);
      REQUIRE(insn);
      CHECK(insn->start == start);
      CHECK(insn->end == start + f.length);
      CHECK(insn->end - rel.offset == f.tail);
      // The assembler encoded sym+0 relative to the end of the instruction.
      CHECK(rel.addend == -static_cast<int64_t>(insn->end - rel.offset));
      // Decoding only the bytes before the field gives the same end, or
      // no answer (then field_end() decodes linearly).
      if (auto local = decoder.pc_relative_field_end(text->bytes(), rel.offset))
        CHECK(*local == insn->end);
      CHECK(map.field_end(rel.offset) == insn->end);
    }
    start += f.length;
  }
  CHECK(r == relas.size());
  CHECK(start == text->size);
  CHECK_FALSE(map.containing(text->size));
}

TEST_CASE("undecodable bytes become one-byte pseudo-instructions", "[elf][insn]") {
  lp::elf::InsnDecoder decoder;
  const std::vector<uint8_t> code = {0x0f, 0x0b, 0xff, 0xff}; // ud2, then garbage
  CHECK(decoder.length_at(code, 0) == 2);
  CHECK(decoder.length_at(code, 2) == 0);
  CHECK(decoder.disassemble_at(code, 2).empty());
  CHECK(decoder.length_at(code, 4) == 0);
  lp::elf::InsnMap map(decoder, code);
  CHECK(map.count() == 3);
  CHECK(map.containing(1)->start == 0);
  CHECK(map.containing(2)->end == 3);
  CHECK(map.containing(3)->end == 4);
  CHECK_FALSE(map.containing(4));
}

TEST_CASE("a field that the bytes before it read two ways is found by the linear decode",
          "[elf][insn]") {
  lp::elf::InsnDecoder decoder;
  // movw $0x1234, sym(%rip): from the 0x66 prefix the immediate has 2 bytes;
  // from the opcode 0xc7 on, it would have 4, and the reading would end at 11.
  const std::vector<uint8_t> code = {0x66, 0xc7, 0x05, 0, 0, 0, 0, 0x34, 0x12, 0x90, 0x90};
  CHECK_FALSE(decoder.pc_relative_field_end(code, 3));
  lp::elf::InsnMap map(decoder, code);
  CHECK(map.field_end(3) == 9u);
  // call rel32: one reading only
  const std::vector<uint8_t> call = {0x90, 0xe8, 0, 0, 0, 0, 0xc3};
  CHECK(decoder.pc_relative_field_end(call, 2) == 6u);
  // not a PC-relative field: the bytes of an absolute imm32 (mov $0, %eax)
  const std::vector<uint8_t> imm = {0xb8, 0, 0, 0, 0};
  CHECK_FALSE(decoder.pc_relative_field_end(imm, 1));
  CHECK(lp::elf::InsnMap(decoder, imm).field_end(1) == 5u);
}

namespace {

// Instruction starts of each executable section as objdump prints them
// (`objdump -d -z -w`: every instruction on one line, zero runs shown).
std::map<std::string, std::vector<uint64_t>> objdump_starts(const std::string &obj) {
  std::map<std::string, std::vector<uint64_t>> out;
  std::istringstream text(must_run({"objdump", "-d", "-z", "-w", "--insn-width=16", obj}));
  std::vector<uint64_t> *cur = nullptr;
  static const std::regex kSection(R"(^Disassembly of section (.*):$)");
  static const std::regex kInsn(R"(^ +([0-9a-f]+):\t)");
  for (std::string line; std::getline(text, line);) {
    std::smatch m;
    if (std::regex_match(line, m, kSection))
      cur = &out[m[1]];
    else if (cur && std::regex_search(line, m, kInsn))
      cur->push_back(std::stoull(m[1], nullptr, 16));
  }
  return out;
}

} // namespace

// gcc's own output, compiled with Xen's code-generation flags, is where the
// decoder must be right: memory operands addressed RIP-relative with 8-, 16-
// and 32-bit immediates behind the displacement, lock prefixes, bit tests,
// calls and jumps to other functions. Two independent answers are compared:
// binutils' disassembler for where instructions start, and the linear decode
// for where the instruction holding each PC-relative relocation ends.
TEST_CASE("instruction starts and field ends agree with objdump and the linear decode on gcc "
          "output",
          "[elf][insn]") {
  TempDir dir;
  const std::string src = R"(
    unsigned char flag8; unsigned short count16; unsigned int word32; unsigned long word64;
    static int table[64]; static unsigned short shorts[8]; int other(int);
    struct s { int a; short b; char c; long d; } rec;
    int f1(int x) { flag8 = 7; count16 = 0x1234; word32 = 0x12345678; return other(x) + 1; }
    int f2(int x) { if (flag8 == 3) return table[x & 63]; return count16 > 0x200 ? 1 : word32 < 9; }
    void f3(int i) { __atomic_fetch_add(&word32, 1, __ATOMIC_SEQ_CST); word64 |= 1UL << (i & 63);
                     if (__atomic_load_n(&flag8, __ATOMIC_RELAXED)) shorts[i & 7] += 3; }
    long f4(long v) { rec.b = 0x55; rec.c = 9; rec.d += v; return rec.a ? other((int)v) : rec.d; }
    int f5(int k) { switch (k) { case 0: return other(1); case 1: return table[3];
                    case 2: count16 ^= 0x8001; return 2; default: return word32 & 0xff00; } }
  )";
  std::string obj = compile_host_c(dir, "gcc_forms", src,
                                   {"-O2", "-fno-pie", "-ffunction-sections", "-fdata-sections",
                                    "-fno-jump-tables", "-mno-red-zone", "-fno-common"});
  lp::elf::Object o = lp::elf::read_object(obj);
  auto theirs = objdump_starts(obj);
  lp::elf::InsnDecoder decoder;
  size_t sections = 0, fields = 0, immediates = 0, prefixed16 = 0;
  for (const auto &s : o.sections) {
    if (!s->is_exec() || s->bytes().empty())
      continue;
    INFO(s->name);
    ++sections;
    lp::elf::InsnMap map(decoder, s->bytes());
    std::vector<uint64_t> ours;
    for (auto insn = map.containing(0); insn; insn = map.containing(insn->end))
      ours.push_back(insn->start);
    CHECK(ours == theirs[s->name]);
    if (!s->rela)
      continue;
    lp::elf::InsnMap linear(decoder, s->bytes());
    for (const lp::elf::Rela &r : s->rela->relas) {
      if (r.type != R_X86_64_PC32 && r.type != R_X86_64_PLT32)
        continue;
      INFO("relocation at " << r.offset);
      ++fields;
      const uint64_t end = linear.containing(r.offset)->end;
      CHECK(map.field_end(r.offset) == end);
      immediates += end - r.offset > 4;                                   // imm after the field
      prefixed16 += !decoder.pc_relative_field_end(s->bytes(), r.offset); // read two ways
    }
  }
  // The forms the source was written for were all there.
  CHECK(sections >= 5);
  CHECK(fields >= 15);
  CHECK(immediates >= 3);
  CHECK(prefixed16 >= 1);
}
