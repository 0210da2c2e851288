// Expectations declared by the patch author, for .livepatch.funcs.
//
// Xen can refuse to apply a payload unless the old function starts with
// given bytes (livepatch_expectation_t at +72 of each entry). Upstream never
// fills it. Here a patch author writes LIVEPATCH_EXPECT(fn, bytes, len)
// (include/livepatch/livepatch.h), which emits a 40-byte record into
// .livepatch.expect:
//
//   +0  void *func       R_X86_64_64 against the function
//   +8  uint8_t len      1..31
//   +9  uint8_t data[31]
//
// The record is consumed here and never copied into the payload. A record
// for a function that is not changed, or longer than 31 bytes, is refused.
// The entries themselves are written by output.cc (emit_funcs), which also
// checks the old function's size and ENDBR64 against xen-syms.
#include "diff/engine.h"

#include "elf/error.h"

#include <cstring>
#include <fmt/format.h>

namespace lp::diff {

namespace {
constexpr uint64_t kRecordSize = 40;
}

std::unordered_map<const Unit *, Expectation> read_expectations(Analysis &patched,
                                                                Verdict &verdict) {
  std::unordered_map<const Unit *, Expectation> out;
  const Section *s = patched.obj.section_named(".livepatch.expect");
  if (!s)
    return out;
  if (s->size % kRecordSize != 0)
    throw FileError(patched.path, fmt::format(".livepatch.expect: size {} is not a multiple of {}",
                                              s->size, kRecordSize));
  std::unordered_map<uint64_t, const Rela *> by_offset;
  if (s->rela)
    for (const Rela &r : s->rela->relas)
      by_offset[r.offset] = &r;
  for (uint64_t off = 0; off < s->size; off += kRecordSize) {
    auto it = by_offset.find(off);
    if (it == by_offset.end())
      throw FileError(patched.path,
                      fmt::format(".livepatch.expect: record at {:#x} names no function", off));
    Ref ref = resolve(patched, *s, *it->second, off, false);
    if (ref.kind != RefKind::Named || !ref.unit->function)
      throw FileError(patched.path, fmt::format(".livepatch.expect: record at {:#x} does not "
                                                "point at a function",
                                                off));
    const Unit *f = ref.unit;
    uint8_t len = s->data[off + 8];
    if (len == 0 || len > 31) {
      verdict.refusals.push_back(
          {fmt::format("expectation for {} is {} bytes long; 1 to 31 are possible", f->name(), len),
           f->xen_name(), {}});
      continue;
    }
    if (f->status != UnitStatus::Changed) {
      verdict.refusals.push_back(
          {fmt::format("expectation for {}, which is not a changed function", f->name()),
           f->xen_name(), {}});
      continue;
    }
    Expectation e;
    e.len = len;
    std::memcpy(e.data, s->data.data() + off + 9, len);
    out[f] = e;
  }
  return out;
}

} // namespace lp::diff
