// x86-64 instruction boundaries, comparisons and text through Zydis.
//
// Zydis (Debian's libzydis-dev) is a table-driven x86 decoder that reports,
// without building operands, an instruction's length and where its
// displacement and immediates lie: what the diff engine asks for almost
// every time (where does the instruction holding this relocation end?). It
// replaced LLVM's MC disassembler, which answered only by decoding from a
// known boundary and linked 36 MB of code into create-diff-object. Both cost
// about a hundred instructions per byte decoded; the saving is in how few
// bytes are decoded.
//
// Two decoders, made once per InsnDecoder: a minimal one (length and raw
// fields, no operands) for length_at(), pc_relative_field_end() and InsnMap,
// and a full one whose operands compare_at() compares and the AT&T formatter
// prints. Both are plain structs with no heap state, so an InsnDecoder needs
// no process-wide set-up.
//
// pc_relative_field_end() answers that question without decoding the
// function from its start: an instruction is at most 15 bytes long and holds
// the field's 4 bytes, so the one holding a 32-bit field at offset f starts
// in [f-11, f-1]; each start there is decoded once and kept if its
// RIP-relative displacement or relative immediate lies exactly at f.
// Readings that start at a REX or segment prefix or at the opcode end at the
// same byte; one that drops an operand-size prefix reads a longer immediate
// and ends elsewhere, and then the caller decodes linearly instead.
#include "elf/insn.h"

#include <Zydis/Zydis.h>
#include <algorithm>
#include <stdexcept>
#include <utility>

namespace lp::elf {
namespace {

void check(ZyanStatus status, const char *what) {
  if (!ZYAN_SUCCESS(status))
    throw std::runtime_error(std::string("Zydis x86-64 decoder set-up failed: ") + what);
}

// One instruction decoded with its operands.
struct Decoded {
  ZydisDecodedInstruction insn{};
  ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT]{};
};

// The AT&T formatter's settings: objdump's look ($0x1, not $0x01; +0x5).
constexpr std::pair<ZydisFormatterProperty, ZyanUPointer> kAttProperties[] = {
    {ZYDIS_FORMATTER_PROP_IMM_PADDING, ZYDIS_PADDING_DISABLED},
    {ZYDIS_FORMATTER_PROP_DISP_PADDING, ZYDIS_PADDING_DISABLED},
    {ZYDIS_FORMATTER_PROP_ADDR_PADDING_RELATIVE, ZYDIS_PADDING_DISABLED},
};

constexpr unsigned kMaxInsnLength = 15;
constexpr unsigned kFieldSize = 4;

// Whether `insn` has a 32-bit PC-relative field (RIP-relative disp32, or a
// relative imm32) at byte `at` of the instruction.
bool pc_relative_field_at(const ZydisDecodedInstruction &insn, unsigned at) {
  const auto &raw = insn.raw;
  bool rip_relative = (insn.attributes & ZYDIS_ATTRIB_HAS_MODRM) && raw.modrm.mod == 0 &&
                      raw.modrm.rm == 5;
  if (rip_relative && raw.disp.size == 32 && raw.disp.offset == at)
    return true;
  for (const auto &imm : raw.imm)
    if (imm.is_relative && imm.size == 32 && imm.offset == at)
      return true;
  return false;
}

bool same_register(const ZydisDecodedOperand &a, const ZydisDecodedOperand &b) {
  return a.reg.value == b.reg.value;
}

bool same_address_except_disp(const ZydisDecodedOperand &a, const ZydisDecodedOperand &b) {
  return a.mem.type == b.mem.type && a.mem.segment == b.mem.segment &&
         a.mem.base == b.mem.base && a.mem.index == b.mem.index && a.mem.scale == b.mem.scale;
}

bool same_disp(const ZydisDecodedOperand &a, const ZydisDecodedOperand &b) {
  return a.mem.disp.has_displacement == b.mem.disp.has_displacement &&
         a.mem.disp.value == b.mem.disp.value;
}

bool same_immediate(const ZydisDecodedOperand &a, const ZydisDecodedOperand &b) {
  return a.imm.is_signed == b.imm.is_signed && a.imm.is_relative == b.imm.is_relative &&
         a.imm.value.u == b.imm.value.u;
}

bool same_pointer(const ZydisDecodedOperand &a, const ZydisDecodedOperand &b) {
  return a.ptr.segment == b.ptr.segment && a.ptr.offset == b.ptr.offset;
}

// How one pair of operands of two same-form instructions differs.
InsnDifference operand_difference(const ZydisDecodedOperand &a, const ZydisDecodedOperand &b) {
  if (a.type != b.type || a.size != b.size || a.visibility != b.visibility)
    return InsnDifference::Other;
  switch (a.type) {
  case ZYDIS_OPERAND_TYPE_UNUSED: return InsnDifference::None;
  case ZYDIS_OPERAND_TYPE_REGISTER:
    return same_register(a, b) ? InsnDifference::None : InsnDifference::Other;
  case ZYDIS_OPERAND_TYPE_IMMEDIATE:
    return same_immediate(a, b) ? InsnDifference::None : InsnDifference::Other;
  case ZYDIS_OPERAND_TYPE_POINTER:
    return same_pointer(a, b) ? InsnDifference::None : InsnDifference::Other;
  case ZYDIS_OPERAND_TYPE_MEMORY:
    if (!same_address_except_disp(a, b))
      return InsnDifference::Other;
    return same_disp(a, b) ? InsnDifference::None : InsnDifference::Displacement;
  default: return InsnDifference::Other;
  }
}

} // namespace

struct InsnDecoder::Impl {
  ZydisDecoder lengths{}; // minimal mode: length and raw fields, no operands
  ZydisDecoder full{};
  ZydisFormatter att{};

  Impl() {
    check(ZydisDecoderInit(&lengths, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64), "decoder");
    check(ZydisDecoderEnableMode(&lengths, ZYDIS_DECODER_MODE_MINIMAL, ZYAN_TRUE), "minimal mode");
    check(ZydisDecoderInit(&full, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64), "decoder");
    check(ZydisFormatterInit(&att, ZYDIS_FORMATTER_STYLE_ATT), "AT&T formatter");
    for (auto [property, value] : kAttProperties)
      check(ZydisFormatterSetProperty(&att, property, value), "AT&T formatter");
  }

  // Decodes one instruction without operands; false if it does not decode.
  bool minimal(std::span<const uint8_t> code, uint64_t offset, ZydisDecodedInstruction &insn) const {
    return offset < code.size() &&
           ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&lengths, nullptr, code.data() + offset,
                                                      code.size() - offset, &insn));
  }

  unsigned length(std::span<const uint8_t> code, uint64_t offset) const {
    ZydisDecodedInstruction insn;
    return minimal(code, offset, insn) ? insn.length : 0;
  }

  // Decodes one instruction with its operands; nullopt if it does not decode.
  std::optional<Decoded> decode(std::span<const uint8_t> code, uint64_t offset) const {
    Decoded d;
    if (offset >= code.size() ||
        !ZYAN_SUCCESS(ZydisDecoderDecodeFull(&full, code.data() + offset, code.size() - offset,
                                             &d.insn, d.operands)))
      return std::nullopt;
    return d;
  }
};

InsnDecoder::InsnDecoder() = default;
InsnDecoder::~InsnDecoder() = default;

InsnDecoder::Impl &InsnDecoder::impl() const {
  if (!impl_)
    impl_ = std::make_unique<Impl>();
  return *impl_;
}

unsigned InsnDecoder::length_at(std::span<const uint8_t> code, uint64_t offset) const {
  return impl().length(code, offset);
}

std::optional<uint64_t> InsnDecoder::pc_relative_field_end(std::span<const uint8_t> code,
                                                          uint64_t field) const {
  const Impl &im = impl();
  // The instruction holds the whole field and is at most 15 bytes long.
  constexpr uint64_t kReach = kMaxInsnLength - kFieldSize;
  const uint64_t lowest = field >= kReach ? field - kReach : 0;
  std::optional<uint64_t> end;
  for (uint64_t start = lowest; start < field; ++start) {
    ZydisDecodedInstruction insn;
    if (!im.minimal(code, start, insn) ||
        !pc_relative_field_at(insn, static_cast<unsigned>(field - start)))
      continue;
    if (end && *end != start + insn.length)
      return std::nullopt;
    end = start + insn.length;
  }
  return end;
}

std::string InsnDecoder::disassemble_at(std::span<const uint8_t> code, uint64_t offset) const {
  const Impl &im = impl();
  auto d = im.decode(code, offset);
  if (!d)
    return "";
  char text[256];
  // No runtime address: in an object file the relocation decides where a
  // RIP-relative operand or a branch goes, so they print as (%rip), +0x5.
  if (!ZYAN_SUCCESS(ZydisFormatterFormatInstruction(&im.att, &d->insn, d->operands,
                                                    d->insn.operand_count_visible, text,
                                                    sizeof text, ZYDIS_RUNTIME_ADDRESS_NONE,
                                                    nullptr)))
    return "";
  return text;
}

// Same form (mnemonic, encoding, operand and address sizes) and operand by
// operand the same, except possibly the displacement of memory operands.
InsnDifference InsnDecoder::compare_at(std::span<const uint8_t> a, uint64_t a_offset,
                                       std::span<const uint8_t> b, uint64_t b_offset) const {
  const Impl &im = impl();
  auto da = im.decode(a, a_offset), db = im.decode(b, b_offset);
  if (!da || !db)
    return InsnDifference::Other;
  const ZydisDecodedInstruction &ia = da->insn, &ib = db->insn;
  if (ia.mnemonic != ib.mnemonic || ia.encoding != ib.encoding || ia.opcode_map != ib.opcode_map ||
      ia.opcode != ib.opcode || ia.operand_width != ib.operand_width ||
      ia.address_width != ib.address_width || ia.operand_count != ib.operand_count)
    return InsnDifference::Other;
  InsnDifference result = InsnDifference::None;
  for (unsigned i = 0; i < ia.operand_count; ++i) {
    InsnDifference d = operand_difference(da->operands[i], db->operands[i]);
    if (d == InsnDifference::Other)
      return d;
    if (d == InsnDifference::Displacement)
      result = d;
  }
  return result;
}

InsnMap::InsnMap(const InsnDecoder &decoder, std::span<const uint8_t> code)
    : decoder_(&decoder), code_(code) {}

void InsnMap::decode_through(uint64_t offset) const {
  while (next_ <= offset && next_ < code_.size()) {
    starts_.push_back(static_cast<uint32_t>(next_));
    unsigned len = decoder_->length_at(code_, next_);
    next_ += len ? len : 1;
  }
}

std::optional<Insn> InsnMap::containing(uint64_t offset) const {
  if (offset >= code_.size())
    return std::nullopt;
  decode_through(offset);
  auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
  const uint64_t start = *(it - 1);
  const uint64_t end = it == starts_.end() ? next_ : *it;
  return Insn{start, end};
}

std::optional<uint64_t> InsnMap::field_end(uint64_t field) const {
  auto [it, added] = field_ends_.try_emplace(field);
  if (!added)
    return it->second;
  if (auto end = decoder_->pc_relative_field_end(code_, field))
    return it->second = end;
  auto insn = containing(field);
  return it->second = insn ? std::optional<uint64_t>(insn->end) : std::nullopt;
}

size_t InsnMap::count() const {
  if (!code_.empty())
    decode_through(code_.size() - 1);
  return starts_.size();
}

} // namespace lp::elf
