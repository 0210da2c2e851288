// x86-64 instruction boundaries through LLVM's MC disassembler.
//
// The diff engine and the payload checks need to know, for a relocation inside
// an executable section, which instruction contains it and where that
// instruction ends: a PC-relative operand is relative to the end of the
// instruction, so `cmpl $1, sym(%rip)` carries addend -5, not -4, and the real
// target offset is addend + (insn_end - reloc_offset). The explain mode also
// prints the first differing instruction.
//
// Without type information, the diff engine also asks whether two
// instructions differ only in the displacement of a memory operand
// (`movl 48(%rdi)` vs `movl 52(%rdi)`), the signature of a moved member.
//
// LLVM stays behind this interface (pimpl): no other file includes LLVM headers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace lp::elf {

// How two instructions differ, operand by operand.
enum class InsnDifference {
  None,         // same opcode and operands
  Displacement, // same opcode, registers and operands but a memory displacement
  Other,        // anything else, or bytes that do not decode
};

struct Insn {
  uint64_t start = 0; // offset of the first byte
  uint64_t end = 0;   // offset one past the last byte
};

// Not thread-safe: use one decoder per thread. Constructing one is free: the
// LLVM MC stack behind it is set up on the first decode, so a run that never
// needs an instruction boundary (an object diffed against itself, a change
// without PC-relative relocations) never pays for it.
class InsnDecoder {
public:
  InsnDecoder();
  ~InsnDecoder();
  InsnDecoder(const InsnDecoder &) = delete;
  InsnDecoder &operator=(const InsnDecoder &) = delete;

  // Length of the instruction at `offset`, or 0 if the bytes do not decode.
  unsigned length_at(std::span<const uint8_t> code, uint64_t offset) const;
  // AT&T text of the instruction at `offset` ("" if it does not decode).
  std::string disassemble_at(std::span<const uint8_t> code, uint64_t offset) const;
  // Compares the instruction at `a_offset` of `a` with the one at `b_offset` of `b`.
  InsnDifference compare_at(std::span<const uint8_t> a, uint64_t a_offset,
                            std::span<const uint8_t> b, uint64_t b_offset) const;

private:
  struct Impl;
  Impl &impl() const;
  mutable std::unique_ptr<Impl> impl_;
};

// Instruction starts of one executable section, decoded linearly from offset
// 0 (function sections start at a function) and only as far as a question
// needs: most sections are asked about one relocation near their start, and
// the LLVM decoder costs about a hundred instructions per byte. The answers
// are those of a decode of the whole section. Undecodable bytes are stepped
// over one at a time and recorded as one-byte pseudo-instructions. The map
// views `code`, which must outlive it; not thread-safe (it decodes on demand).
class InsnMap {
public:
  InsnMap() = default;
  InsnMap(const InsnDecoder &decoder, std::span<const uint8_t> code);
  // The instruction containing byte `offset`, or nullopt past the end.
  std::optional<Insn> containing(uint64_t offset) const;
  // Instructions in the section (decodes all of it).
  size_t count() const;

private:
  void decode_through(uint64_t offset) const;

  const InsnDecoder *decoder_ = nullptr;
  std::span<const uint8_t> code_;
  mutable std::vector<uint32_t> starts_;
  mutable uint64_t next_ = 0; // first byte not decoded yet
};

} // namespace lp::elf
