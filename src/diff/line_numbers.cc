// __LINE__ noise: functions that differ only because lines moved.
//
// Inserting lines at the top of a file shifts every __LINE__ below. Xen's
// BUG_ON/WARN/ASSERT keep the line in the addends of their .bug_frames.N
// relocations, which are not part of any function's hash, so those functions
// stay SAME by construction. printk("...%d", __LINE__) and domain_crash()
// keep it in the code, as the immediate of a `mov $line, %reg` that loads a
// call argument; upstream drags every such function into the payload.
//
// A function is accepted as line noise only when all of this holds:
//   * its relocations, .cold parts and special-section entries mean the same
//     (links hash equal) and its size is unchanged;
//   * every differing instruction has the same length and opcode and differs
//     only in a 32-bit immediate loaded into a register (`mov $imm, %r32`);
//   * each such immediate moved by exactly the shift that the *bug frames*
//     of this object pair show for that region of the file: the frames with
//     the nearest original lines below and above the immediate's value both
//     moved by the same amount. Without bug frames to confirm a shift, the
//     change is kept (a wrong "unchanged" verdict crashes hosts; a needless
//     function in the payload does not).
#include "diff/engine.h"

#include <algorithm>
#include <cstring>
#include <fmt/format.h>

namespace lp::diff {

int bug_frame_line(const Entry &e) {
  int64_t a0 = 0, a1 = 0;
  for (const Ref &r : e.refs) {
    if (r.rela->offset == e.start)
      a0 = r.rela->addend;
    else if (r.rela->offset == e.start + 4)
      a1 = r.rela->addend;
  }
  int hi = static_cast<int>((static_cast<uint64_t>(a0) >> 24) & 0x7f);
  int lo = static_cast<int>((static_cast<uint64_t>(a1) >> 24) & 0x7f);
  return (hi << 7) | lo;
}

namespace {

struct Shift {
  int old_line;
  int delta;
};

// Line shifts seen in bug frames of correlated functions, by original line.
std::vector<Shift> frame_shifts(Analysis &patched) {
  std::vector<Shift> out;
  for (const auto &u : patched.units) {
    if (!u->function || !u->twin)
      continue;
    for (const SpecialDesc &d : special_descs()) {
      if (!d.line_bits)
        continue;
      std::vector<const Entry *> o, p;
      for (const Entry *e : u->twin->entries)
        if (e->desc == &d)
          o.push_back(e);
      for (const Entry *e : u->entries)
        if (e->desc == &d)
          p.push_back(e);
      if (o.size() != p.size())
        continue;
      for (size_t i = 0; i < o.size(); ++i) {
        int ol = bug_frame_line(*o[i]);
        out.push_back({ol, bug_frame_line(*p[i]) - ol});
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const Shift &a, const Shift &b) {
    return a.old_line != b.old_line ? a.old_line < b.old_line : a.delta < b.delta;
  });
  return out;
}

bool shift_confirmed(const std::vector<Shift> &shifts, int line, int delta) {
  auto hi = std::lower_bound(shifts.begin(), shifts.end(), line,
                             [](const Shift &s, int l) { return s.old_line < l; });
  bool any = false;
  if (hi != shifts.end()) {
    if (hi->delta != delta)
      return false;
    any = true;
  }
  if (hi != shifts.begin()) {
    if (std::prev(hi)->delta != delta)
      return false;
    any = true;
  }
  return any;
}

// Offset of a `mov $imm32, %r32` immediate in insn [b, e), or -1.
int mov_imm_offset(const uint8_t *b, size_t n) {
  size_t i = 0;
  if (i < n && (b[i] & 0xf0) == 0x40) // REX without W
    ++i;
  if (i < n && b[i] >= 0xb8 && b[i] <= 0xbf && n == i + 5)
    return static_cast<int>(i + 1);
  if (i + 1 < n && b[i] == 0xc7 && (b[i + 1] & 0xf8) == 0xc0 && n == i + 6)
    return static_cast<int>(i + 2);
  return -1;
}

uint32_t le32(const uint8_t *p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

bool line_only_change(Analysis &orig, Analysis &patched, const Unit &o, const Unit &p,
                      const std::vector<Shift> &shifts) {
  if (o.links_hash != p.links_hash || o.size() != p.size() || !o.bundled || !p.bundled)
    return false;
  const auto &om = orig.insns(o.section);
  const auto &pm = patched.insns(p.section);
  const uint8_t *ob = o.section->data.data();
  const uint8_t *pb = p.section->data.data();
  std::vector<bool> relocated(p.size(), false);
  for (const Ref &r : p.refs)
    for (uint64_t k = r.rela->offset; k < r.rela->offset + 4 && k < p.size(); ++k)
      relocated[k] = true;
  bool any = false;
  for (uint64_t off = 0; off < p.size();) {
    auto pi = pm.containing(off);
    auto oi = om.containing(off);
    if (!pi || !oi || pi->start != oi->start || pi->end != oi->end)
      return false;
    size_t n = pi->end - pi->start;
    bool differs = false;
    for (size_t k = 0; k < n; ++k)
      if (!relocated[off + k] && ob[off + k] != pb[off + k])
        differs = true;
    if (differs) {
      int imm = mov_imm_offset(pb + off, n);
      if (imm < 0 || mov_imm_offset(ob + off, n) != imm ||
          std::memcmp(ob + off, pb + off, imm) != 0)
        return false;
      int64_t ol = le32(ob + off + imm), nl = le32(pb + off + imm);
      if (ol <= 0 || nl <= 0 || ol >= (1 << 20) || nl >= (1 << 20))
        return false;
      if (!shift_confirmed(shifts, static_cast<int>(ol), static_cast<int>(nl - ol)))
        return false;
      any = true;
    }
    off = pi->end;
  }
  return any;
}

} // namespace

void find_line_only_changes(Analysis &orig, Analysis &patched, Log &log) {
  std::vector<Shift> shifts;
  bool computed = false;
  for (const auto &u : patched.units) {
    if (!u->function || u->parent || u->status != UnitStatus::Changed)
      continue;
    if (!computed) {
      shifts = frame_shifts(patched);
      computed = true;
    }
    if (shifts.empty())
      return;
    if (line_only_change(orig, patched, *u->twin, *u, shifts)) {
      u->status = UnitStatus::Same;
      u->line_only = true;
      log.normal(fmt::format("ignoring __LINE__-only change in function: {}", u->name()));
    }
  }
}

} // namespace lp::diff
