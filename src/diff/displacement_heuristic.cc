// Without type information: functions that look like a moved member.
//
// When neither build has DWARF (create-diff-object run alone on Xen 4.17
// objects), the engine cannot compare type layouts. It can still notice the
// typical trace of one: a changed function whose instructions are the same
// opcodes with the same registers, immediates and relocations, where only
// the displacement of memory operands differs (`movl 48(%rdi),%eax` ->
// `movl 52(%rdi),%eax`). Such a function is most likely in the payload only
// because a structure's members moved, and applying it would read existing
// objects with the new layout. It stays a changed function; the engine warns
// ("possible type-layout change in F: only memory displacements differ") in
// the log and the JSON report, so a caller without DWARF is told to look.
//
// The comparison walks both functions instruction by instruction (they must
// have the same size, the same instruction boundaries and equal relocation
// meanings, children and special-section entries: links_hash) and asks the
// decoder (src/elf/insn.h) how each pair of differing instructions differs.
#include "diff/engine.h"

#include <fmt/format.h>

namespace lp::diff {

namespace {

bool displacement_only(Analysis &orig, Analysis &patched, const Unit &o, const Unit &p) {
  if (o.size() != p.size() || o.links_hash != p.links_hash)
    return false;
  const elf::InsnMap &om = orig.insns(o.section);
  const elf::InsnMap &pm = patched.insns(p.section);
  auto code_o = o.section->bytes();
  auto code_p = p.section->bytes();
  bool displaced = false;
  for (uint64_t off = 0; off < p.size();) {
    auto oi = om.containing(o.start + off);
    auto pi = pm.containing(p.start + off);
    if (!oi || !pi || oi->start != o.start + off || pi->start != p.start + off ||
        oi->end - oi->start != pi->end - pi->start)
      return false;
    uint64_t len = pi->end - pi->start;
    bool equal = std::equal(code_o.begin() + oi->start, code_o.begin() + oi->end,
                            code_p.begin() + pi->start);
    if (!equal) {
      switch (patched.decoder->compare_at(code_o, oi->start, code_p, pi->start)) {
      case elf::InsnDifference::Displacement:
        displaced = true;
        break;
      case elf::InsnDifference::None:
        break;
      case elf::InsnDifference::Other:
        return false;
      }
    }
    off += len;
  }
  return displaced;
}

} // namespace

void warn_displacement_only(Analysis &orig, Analysis &patched, const Verdict &v, Result &res,
                            Log &log) {
  for (const Unit *u : v.changed) {
    if (!u->twin || !displacement_only(orig, patched, *u->twin, *u))
      continue;
    std::string name(u->twin->name());
    log.normal(fmt::format("possible type-layout change in {}: only memory displacements differ",
                           name));
    res.possible_layout_changes.push_back(name);
  }
}

} // namespace lp::diff
