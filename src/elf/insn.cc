// x86-64 instruction boundaries through LLVM's MC disassembler.
//
// The decoder owns one LLVM MC stack (register info, asm info, subtarget,
// context, disassembler, AT&T printer) for the x86_64 triple, made on the
// first decode. Only the X86
// target's info, MC layer and disassembler are initialised, once per process.
// length_at() decodes a single instruction; InsnMap decodes a section
// linearly, as far as the questions asked so far reach, and answers "which
// instruction contains this byte" by binary search over the recorded starts. compare_at() decodes two instructions to
// MCInsts and compares them operand by operand; the operand descriptions of
// MCInstrInfo say which operands belong to a memory reference (x86 memory
// operands are five MCOperands: base, scale, index, displacement, segment).
#include "elf/insn.h"

#include <algorithm>
#include <mutex>
#include <stdexcept>

#include <llvm/ADT/ArrayRef.h>
#include <llvm/ADT/Triple.h>
#include <llvm/MC/MCAsmInfo.h>
#include <llvm/MC/MCContext.h>
#include <llvm/MC/MCDisassembler/MCDisassembler.h>
#include <llvm/MC/MCInst.h>
#include <llvm/MC/MCInstPrinter.h>
#include <llvm/MC/MCInstrInfo.h>
#include <llvm/MC/MCRegisterInfo.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/MCTargetOptions.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Support/raw_ostream.h>

extern "C" void LLVMInitializeX86TargetInfo();
extern "C" void LLVMInitializeX86TargetMC();
extern "C" void LLVMInitializeX86Disassembler();

namespace lp::elf {
namespace {

constexpr const char *kTriple = "x86_64-unknown-linux-gnu";
constexpr unsigned kAttSyntax = 0;

void init_x86() {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeX86TargetInfo();
    LLVMInitializeX86TargetMC();
    LLVMInitializeX86Disassembler();
  });
}

[[noreturn]] void llvm_setup_failed(const std::string &what) {
  throw std::runtime_error("LLVM x86 disassembler set-up failed: " + what);
}

} // namespace

struct InsnDecoder::Impl {
  llvm::Triple triple{kTriple};
  const llvm::Target *target = nullptr;
  std::unique_ptr<llvm::MCRegisterInfo> regs;
  std::unique_ptr<llvm::MCAsmInfo> asm_info;
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget;
  std::unique_ptr<llvm::MCInstrInfo> instrs;
  std::unique_ptr<llvm::MCContext> context;
  std::unique_ptr<llvm::MCDisassembler> disasm;
  std::unique_ptr<llvm::MCInstPrinter> printer;

  Impl() {
    init_x86();
    std::string err;
    target = llvm::TargetRegistry::lookupTarget(kTriple, err);
    if (!target)
      llvm_setup_failed(err);
    regs.reset(target->createMCRegInfo(kTriple));
    llvm::MCTargetOptions options;
    if (regs)
      asm_info.reset(target->createMCAsmInfo(*regs, kTriple, options));
    subtarget.reset(target->createMCSubtargetInfo(kTriple, "", ""));
    instrs.reset(target->createMCInstrInfo());
    if (!regs || !asm_info || !subtarget || !instrs)
      llvm_setup_failed("target description");
    context = std::make_unique<llvm::MCContext>(triple, asm_info.get(), regs.get(), subtarget.get());
    disasm.reset(target->createMCDisassembler(*subtarget, *context));
    printer.reset(target->createMCInstPrinter(triple, kAttSyntax, *asm_info, *instrs, *regs));
    if (!disasm || !printer)
      llvm_setup_failed("disassembler");
  }

  // Decodes one instruction; returns its length, 0 if it does not decode.
  unsigned decode(std::span<const uint8_t> code, uint64_t offset, llvm::MCInst &inst) const {
    if (offset >= code.size())
      return 0;
    llvm::ArrayRef<uint8_t> bytes(code.data() + offset, code.size() - offset);
    uint64_t size = 0;
    auto status = disasm->getInstruction(inst, size, bytes, offset, llvm::nulls());
    if (status != llvm::MCDisassembler::Success)
      return 0;
    return static_cast<unsigned>(size);
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
  llvm::MCInst inst;
  return impl().decode(code, offset, inst);
}

std::string InsnDecoder::disassemble_at(std::span<const uint8_t> code, uint64_t offset) const {
  llvm::MCInst inst;
  const Impl &im = impl();
  if (!im.decode(code, offset, inst))
    return "";
  std::string text;
  llvm::raw_string_ostream os(text);
  im.printer->printInst(&inst, offset, "", *im.subtarget, os);
  os.flush();
  // The printer indents with a tab and separates mnemonic and operands by one.
  size_t first = text.find_first_not_of(" \t");
  text.erase(0, first == std::string::npos ? text.size() : first);
  std::replace(text.begin(), text.end(), '\t', ' ');
  return text;
}

namespace {

// Index of the displacement within an x86 memory operand (LLVM's X86::AddrDisp).
constexpr unsigned kAddrDisp = 3;
constexpr unsigned kAddrOperands = 5;

bool same_operand(const llvm::MCOperand &a, const llvm::MCOperand &b) {
  if (a.isReg() && b.isReg())
    return a.getReg() == b.getReg();
  if (a.isImm() && b.isImm())
    return a.getImm() == b.getImm();
  if (a.isSFPImm() && b.isSFPImm())
    return a.getSFPImm() == b.getSFPImm();
  if (a.isDFPImm() && b.isDFPImm())
    return a.getDFPImm() == b.getDFPImm();
  return false;
}

} // namespace

InsnDifference InsnDecoder::compare_at(std::span<const uint8_t> a, uint64_t a_offset,
                                       std::span<const uint8_t> b, uint64_t b_offset) const {
  llvm::MCInst ia, ib;
  const Impl &im = impl();
  if (!im.decode(a, a_offset, ia) || !im.decode(b, b_offset, ib))
    return InsnDifference::Other;
  if (ia.getOpcode() != ib.getOpcode() || ia.getNumOperands() != ib.getNumOperands())
    return InsnDifference::Other;
  const llvm::MCInstrDesc &desc = im.instrs->get(ia.getOpcode());
  bool displaced = false;
  unsigned memory_start = ~0u;
  for (unsigned i = 0; i < ia.getNumOperands(); ++i) {
    bool memory = i < desc.getNumOperands() &&
                  desc.OpInfo[i].OperandType == llvm::MCOI::OPERAND_MEMORY;
    if (memory && (memory_start == ~0u || i >= memory_start + kAddrOperands))
      memory_start = i;
    if (same_operand(ia.getOperand(i), ib.getOperand(i)))
      continue;
    bool displacement = memory_start != ~0u && i == memory_start + kAddrDisp &&
                        ia.getOperand(i).isImm() &&
                        ib.getOperand(i).isImm();
    if (!displacement)
      return InsnDifference::Other;
    displaced = true;
  }
  return displaced ? InsnDifference::Displacement : InsnDifference::None;
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

size_t InsnMap::count() const {
  if (!code_.empty())
    decode_through(code_.size() - 1);
  return starts_.size();
}

} // namespace lp::elf
