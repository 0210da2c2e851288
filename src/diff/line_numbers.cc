// __LINE__ noise: functions that differ only because lines moved.
//
// Inserting lines at the top of a file shifts every __LINE__ below.
// livepatch-build removes most of that at the source (#line directives after
// each hunk, src/payload/line_directives.cc); this pass handles what is left,
// and objects diffed outside livepatch-build. Xen's BUG_ON/WARN/ASSERT keep
// the line in the addends of their .bug_frames.N relocations, which are not
// part of any function's hash, so those functions stay SAME by construction.
// printk("...%d", __LINE__) and domain_crash() keep it in the code, as the
// immediate of a `mov $line, %reg` that loads a call argument; upstream drags
// every such function into the payload.
//
// A function is accepted as line noise only when all of this holds:
//   * its relocations, .cold parts and special-section entries mean the same
//     (links hash equal) and its size is unchanged;
//   * every differing instruction has the same length and opcode and differs
//     only in a 32-bit immediate loaded into a register (`mov $imm, %r32`);
//   * each such immediate moved exactly as the evidence says lines of *its
//     own file* moved.
//
// Which file an immediate is a line of. A line number only means something
// with its __FILE__: one function mixes lines of its .c file and of inline
// helpers from headers (domain_crash() in an mm-locks.h helper), and a header
// that did not move says nothing about a shift in the .c file. The file is the
// __FILE__ string passed beside the line in the same call: the one string
// that looks like a source path (.c, .h, .S, .inc) among the strings the code
// between the previous call and the next one loads (Xen 4.17's domain_crash()
// passes "%s:%u", __FILE__, __LINE__). When there is no such string, or
// several, the file is unknown. (DWARF line info would also name it, but
// Xen 4.17 objects have none, and the side objects built with -g for type
// checks are separate files; it is not used.)
//
// The evidence, per file:
//   * with --line-map (livepatch-build always passes one): the map is exact
//     for every file (a file it does not list did not move). A known file's
//     line is confirmed when the map sends the old value to the new one; an
//     unknown file's when some file of the map does.
//   * without a map, the bug frames of correlated functions: for each file
//     (the frame's own __FILE__ string) the shifts its frames show, by
//     original line. A known file's line is confirmed when that file's frames
//     nearest below and above it (at least one exists) moved by exactly the
//     immediate's shift; frames of other files are not consulted. For an
//     unknown file, the rule falls back conservatively: at least one file's
//     frames confirm the shift, and every file whose frames lie on both sides
//     of the line confirms it too.
// Without evidence the change is kept (a wrong "unchanged" verdict crashes
// hosts; a needless function in the payload does not). A kept function is
// reported as changed; an accepted one as ignored, with the lines that moved
// and what confirmed them.
#include "diff/engine.h"

#include <algorithm>
#include <cstring>
#include <fmt/format.h>
#include <map>

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

// The __FILE__ a bug frame names: the string its second field points at
// (run_in_exception_handler frames point at a function and have none).
std::optional<std::string> bug_frame_file(const Entry &e) {
  for (const Ref &r : e.refs)
    if (r.rela->offset == e.start + 4 && r.kind == RefKind::String && r.target)
      return normal_source_path(read_string(*r.target, r.at));
  return std::nullopt;
}

namespace {

struct Shift {
  int old_line;
  int delta;
};

// Line shifts seen in bug frames of correlated functions, per file, sorted by
// original line.
using FrameShifts = std::map<std::string, std::vector<Shift>>;

std::vector<const Entry *> line_entries(const Unit &u, const SpecialDesc &d) {
  std::vector<const Entry *> out;
  for (const Entry *e : u.entries)
    if (e->desc == &d)
      out.push_back(e);
  return out;
}

FrameShifts frame_shifts(Analysis &patched) {
  FrameShifts out;
  for (const auto &u : patched.units) {
    if (!u->function || !u->twin)
      continue;
    for (const SpecialDesc &d : special_descs()) {
      if (!d.line_bits)
        continue;
      auto o = line_entries(*u->twin, d), p = line_entries(*u, d);
      if (o.size() != p.size())
        continue;
      for (size_t i = 0; i < o.size(); ++i) {
        auto of = bug_frame_file(*o[i]), pf = bug_frame_file(*p[i]);
        if (!of || !pf || *of != *pf)
          continue;
        int ol = bug_frame_line(*o[i]);
        out[*of].push_back({ol, bug_frame_line(*p[i]) - ol});
      }
    }
  }
  for (auto &[file, shifts] : out)
    std::sort(shifts.begin(), shifts.end(), [](const Shift &a, const Shift &b) {
      return a.old_line != b.old_line ? a.old_line < b.old_line : a.delta < b.delta;
    });
  return out;
}

enum class FrameVerdict { NoFrames, Confirms, Contradicts };

// What one file's frames nearest below and above `line` say about `delta`.
FrameVerdict frames_say(const std::vector<Shift> &shifts, int line, int delta, bool &both_sides) {
  auto hi = std::lower_bound(shifts.begin(), shifts.end(), line,
                             [](const Shift &s, int l) { return s.old_line < l; });
  both_sides = hi != shifts.end() && hi != shifts.begin();
  bool any = false;
  for (auto it : {hi, hi == shifts.begin() ? shifts.end() : std::prev(hi)}) {
    if (it == shifts.end())
      continue;
    if (it->delta != delta)
      return FrameVerdict::Contradicts;
    any = true;
  }
  return any ? FrameVerdict::Confirms : FrameVerdict::NoFrames;
}

struct Evidence {
  const LineMap *map = nullptr;
  FrameShifts frames;
};

// How a move of line `ol` of `file` (nullopt: unknown) to `nl` is confirmed,
// or "" if it is not.
std::string confirmation(const Evidence &ev, const std::optional<std::string> &file, int ol,
                         int nl) {
  if (ev.map) {
    if (file)
      return ev.map->patched_line(*file, ol) == nl ? "the line map" : "";
    for (const auto &[f, records] : ev.map->files)
      if (ev.map->patched_line(f, ol) == nl)
        return "the line map (" + f + ")";
    return "";
  }
  if (file) {
    auto it = ev.frames.find(*file);
    bool both = false;
    return it != ev.frames.end() && frames_say(it->second, ol, nl - ol, both) ==
                                        FrameVerdict::Confirms
               ? "bug frames of " + *file
               : "";
  }
  std::string by;
  for (const auto &[f, shifts] : ev.frames) {
    bool both = false;
    FrameVerdict v = frames_say(shifts, ol, nl - ol, both);
    if (v == FrameVerdict::Confirms && by.empty())
      by = "bug frames of " + f;
    else if (both && v != FrameVerdict::Confirms)
      return "";
  }
  return by;
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

bool looks_like_source_path(std::string_view s) {
  if (s.empty() || s.size() > 256 || s.find_first_of(" %\n\t") != std::string_view::npos)
    return false;
  for (std::string_view ext : {".c", ".h", ".S", ".inc"})
    if (s.ends_with(ext) && s.size() > ext.size())
      return true;
  return false;
}

// A call (e8) or a tail call (e9 with a relocation): where arguments end.
bool is_call(const Unit &u, const uint8_t *code, const elf::Insn &insn) {
  if (code[insn.start] == 0xe8)
    return true;
  if (code[insn.start] != 0xe9)
    return false;
  return std::any_of(u.refs.begin(), u.refs.end(),
                     [&](const Ref &r) { return r.rela->offset == insn.start + 1; });
}

// The __FILE__ passed beside the immediate at `off`: the one source-path
// string loaded between the previous call and the next one.
std::optional<std::string> immediate_file(Analysis &a, const Unit &u, uint64_t off) {
  const auto &map = a.insns(u.section);
  const uint8_t *code = u.section->data.data();
  uint64_t begin = off, end = off;
  while (begin > 0) {
    auto prev = map.containing(begin - 1);
    if (!prev || is_call(u, code, *prev))
      break;
    begin = prev->start;
  }
  for (auto insn = map.containing(end); insn; insn = map.containing(end)) {
    end = insn->end;
    if (is_call(u, code, *insn))
      break;
  }
  std::optional<std::string> file;
  for (const Ref &r : u.refs) {
    if (r.rela->offset < begin || r.rela->offset >= end || r.kind != RefKind::String)
      continue;
    std::string s = read_string(*r.target, r.at);
    if (!looks_like_source_path(s))
      continue;
    s = normal_source_path(s);
    if (file && *file != s)
      return std::nullopt;
    file = s;
  }
  return file;
}

// "" if `p` differs from its twin `o` in more than __LINE__ immediates the
// evidence confirms; otherwise the moves, for the report.
std::string line_only_change(Analysis &orig, Analysis &patched, const Unit &o, const Unit &p,
                             const Evidence &ev) {
  if (o.links_hash != p.links_hash || o.size() != p.size() || !o.bundled || !p.bundled)
    return "";
  const auto &om = orig.insns(o.section);
  const auto &pm = patched.insns(p.section);
  const uint8_t *ob = o.section->data.data();
  const uint8_t *pb = p.section->data.data();
  std::vector<bool> relocated(p.size(), false);
  for (const Ref &r : p.refs)
    for (uint64_t k = r.rela->offset; k < r.rela->offset + 4 && k < p.size(); ++k)
      relocated[k] = true;
  std::vector<std::string> moves;
  for (uint64_t off = 0; off < p.size();) {
    auto pi = pm.containing(off);
    auto oi = om.containing(off);
    if (!pi || !oi || pi->start != oi->start || pi->end != oi->end)
      return "";
    size_t n = pi->end - pi->start;
    bool differs = false;
    for (size_t k = 0; k < n; ++k)
      if (!relocated[off + k] && ob[off + k] != pb[off + k])
        differs = true;
    if (differs) {
      int imm = mov_imm_offset(pb + off, n);
      if (imm < 0 || mov_imm_offset(ob + off, n) != imm ||
          std::memcmp(ob + off, pb + off, imm) != 0)
        return "";
      int64_t ol = le32(ob + off + imm), nl = le32(pb + off + imm);
      if (ol <= 0 || nl <= 0 || ol >= (1 << 20) || nl >= (1 << 20))
        return "";
      auto file = immediate_file(patched, p, off);
      std::string by = confirmation(ev, file, static_cast<int>(ol), static_cast<int>(nl));
      if (by.empty())
        return "";
      std::string move = fmt::format("{}{} -> {} by {}", file ? *file + ":" : "line ", ol, nl, by);
      if (std::find(moves.begin(), moves.end(), move) == moves.end())
        moves.push_back(move);
    }
    off = pi->end;
  }
  std::string out;
  for (const std::string &m : moves)
    out += (out.empty() ? "" : "; ") + m;
  return out;
}

} // namespace

void find_line_only_changes(Analysis &orig, Analysis &patched, const LineMap *map, Log &log) {
  Evidence ev;
  ev.map = map;
  bool computed = false;
  for (const auto &u : patched.units) {
    if (!u->function || u->parent || u->status != UnitStatus::Changed)
      continue;
    if (!computed && !map) {
      ev.frames = frame_shifts(patched);
      computed = true;
    }
    if (!map && ev.frames.empty())
      return;
    std::string moves = line_only_change(orig, patched, *u->twin, *u, ev);
    if (moves.empty())
      continue;
    u->status = UnitStatus::Same;
    u->line_only = true;
    u->ignore_reason = "only __LINE__ values moved (" + moves + ")";
    log.normal(fmt::format("ignoring __LINE__-only change in function: {}: {}", u->xen_name(),
                           u->ignore_reason));
  }
}

} // namespace lp::diff
