// x86-64 instruction boundaries, through the Zydis decoder.
//
// The diff engine needs to know, for a relocation inside an executable
// section, where the instruction holding it ends: a PC-relative operand is
// relative to the end of the instruction, so `cmpl $1, sym(%rip)` carries
// addend -5, not -4, and the real target offset is
// addend + (insn_end - reloc_offset). The explain mode also prints the first
// differing instruction.
//
// Without type information, the diff engine also asks whether two
// instructions differ only in the displacement of a memory operand
// (`movl 48(%rdi)` vs `movl 52(%rdi)`), the signature of a moved member.
//
// Zydis stays behind this interface (pimpl): no other file includes its headers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
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
// decoders behind it are set up on the first decode.
class InsnDecoder {
public:
  InsnDecoder();
  ~InsnDecoder();
  InsnDecoder(const InsnDecoder &) = delete;
  InsnDecoder &operator=(const InsnDecoder &) = delete;

  // Length of the instruction at `offset`, or 0 if the bytes do not decode.
  unsigned length_at(std::span<const uint8_t> code, uint64_t offset) const;
  // Where the instruction ends whose 32-bit PC-relative field (a RIP-relative
  // displacement, or the rel32 of a call or jump) lies at `field`, found by
  // decoding only the bytes just before it: every start from field-11 to
  // field-1 that decodes to an instruction with such a field exactly at
  // `field` is a candidate. The answer is their common end; nullopt when
  // there is none, or when candidates disagree (then only a decode from a
  // known boundary can tell).
  std::optional<uint64_t> pc_relative_field_end(std::span<const uint8_t> code,
                                                uint64_t field) const;
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
// needs (a decode costs about a hundred instructions per byte). The answers
// are those of a decode of the whole section. Undecodable bytes are stepped
// over one at a time and recorded as one-byte pseudo-instructions. The map
// views `code`, which must outlive it; not thread-safe (it decodes on demand).
class InsnMap {
public:
  InsnMap() = default;
  InsnMap(const InsnDecoder &decoder, std::span<const uint8_t> code);
  // The instruction containing byte `offset`, or nullopt past the end.
  std::optional<Insn> containing(uint64_t offset) const;
  // The end of the instruction holding the PC-relative field at `field`:
  // InsnDecoder::pc_relative_field_end() when the bytes before the field
  // leave one answer (they do for compiled code), else the end of
  // containing(field). Equal to the latter whenever the instruction the
  // linear decode finds has its PC-relative field at `field`.
  std::optional<uint64_t> field_end(uint64_t field) const;
  // Instructions in the section (decodes all of it).
  size_t count() const;

private:
  void decode_through(uint64_t offset) const;

  const InsnDecoder *decoder_ = nullptr;
  std::span<const uint8_t> code_;
  mutable std::vector<uint32_t> starts_;
  mutable uint64_t next_ = 0; // first byte not decoded yet
  // field_end() answers so far (field, end); a field is asked about once
  // per hash of every unit that refers through it.
  mutable std::unordered_map<uint64_t, std::optional<uint64_t>> field_ends_;
};

} // namespace lp::elf
