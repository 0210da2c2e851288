// Inclusion: exactly what the payload needs, found by one walk over references.
//
// Roots are the changed functions, new global functions and objects, and
// hook functions. From each included unit every relocation is followed:
//
//   * an unchanged (SAME) function or object is *not* copied: the payload
//     refers to Xen's copy by name (file#name for statics), so live data is
//     shared and unchanged code is not duplicated;
//   * NEW units (helpers, new variables) and special statics (__func__.N)
//     are copied, and their references followed in turn;
//   * strings, constants and anonymous sections are copied whole; an
//     existing writable section copied this way would fork live state, so
//     it is refused ("data section ... selected for inclusion").
//
// A function brings its .cold parts and the special-section entries it owns;
// an entry brings the .fixup or .altinstr_replacement range it points into.
// Sections of no class the payload carries are left behind, and refused when
// they point into changed or new code (section_classes.cc).
#include "diff/engine.h"

#include "elf/error.h"

#include <algorithm>
#include <elf.h>
#include <fmt/format.h>

namespace lp::diff {

namespace {

constexpr std::string_view kHookPrefix = ".livepatch.hooks.";

struct Walk {
  Analysis &orig;
  Analysis &patched;
  Verdict &verdict;
  Log &log;
  Inclusion inc;
  std::vector<Unit *> work;
  std::vector<Range> pending_ranges;

  void add(Unit *u) {
    if (u->parent)
      u = u->parent;
    if (inc.included.insert(u).second) {
      work.push_back(u);
      log.debug(fmt::format("including {} {}", u->function ? "function" : "object", u->name()));
    }
    for (Unit *c : u->children)
      if (inc.included.insert(c).second)
        work.push_back(c);
  }

  bool read_only_by_name(const Section &s) const {
    return !s.is_write() || s.name.starts_with(".data.rel.ro");
  }

  void add_section(const Section *s) {
    if (!inc.whole.insert(s).second)
      return;
    inc.whole_sections.push_back(s);
    log.debug(fmt::format("including section {}", s->name));
    if (!read_only_by_name(*s) && orig.obj.section_named(s->name))
      verdict.refusals.push_back(
          {fmt::format("data section {} selected for inclusion", s->name), {}, {}});
    if (!s->rela)
      return;
    for (const Rela &r : s->rela->relas)
      follow(resolve(patched, *s, r, 0, false));
  }

  void follow(const Ref &r) {
    switch (r.kind) {
    case RefKind::External:
      return;
    case RefKind::Named: {
      Unit *t = r.unit;
      if (t->special_static || (!t->ignored && t->status != UnitStatus::Same))
        add(t);
      return;
    }
    case RefKind::String:
    case RefKind::Constant:
    case RefKind::Anonymous:
      if (is_companion_section(r.target->name))
        return; // reached through the entries that own the range
      add_section(r.target);
      return;
    }
  }

  void run() {
    while (!work.empty()) {
      Unit *u = work.back();
      work.pop_back();
      for (const Ref &r : u->refs)
        follow(r);
      for (Entry *e : u->entries) {
        for (const Ref &r : e->refs)
          if (r.rela->offset != e->start + e->desc->owner_field)
            follow(r);
        if (auto range = companion_range(patched, *e)) {
          pending_ranges.push_back(*range);
          if (range->section->rela)
            for (const Rela &rr : range->section->rela->relas)
              if (rr.offset >= range->start && rr.offset < range->end)
                follow(resolve(patched, *range->section, rr, 0, false));
        }
      }
    }
  }
};

void find_hooks(Walk &w) {
  for (const auto &s : w.patched.obj.sections) {
    if (!s->name.starts_with(kHookPrefix) || s->is_rela())
      continue;
    Hook h;
    h.kind = s->name.substr(kHookPrefix.size());
    h.section = s.get();
    if (s->rela)
      for (const Rela &r : s->rela->relas) {
        Ref ref = resolve(w.patched, *s, r, 0, false);
        if (ref.kind != RefKind::Named || !ref.unit->function)
          throw FileError(w.patched.path,
                          fmt::format("{}: entry at {:#x} does not point at a function", s->name,
                                      r.offset));
        w.log.normal(fmt::format("found hook: {}", ref.unit->name()));
        if (w.inc.included.insert(ref.unit).second)
          w.work.push_back(ref.unit);
        h.refs.push_back(ref);
      }
    w.inc.hooks.push_back(std::move(h));
  }
}

} // namespace

Inclusion include(Analysis &orig, Analysis &patched, Verdict &verdict, Log &log) {
  Walk w{orig, patched, verdict, log, {}, {}, {}};
  check_unknown_sections(patched, verdict, log);
  for (Unit *u : verdict.changed)
    w.add(u);
  for (const auto &u : patched.units)
    if (u->status == UnitStatus::New && u->global() && !u->ignored && !u->parent &&
        !u->special_static)
      w.add(u.get());
  find_hooks(w);
  w.run();
  for (const auto &u : patched.units)
    if (w.inc.included.count(u.get()))
      w.inc.units.push_back(u.get());
  for (const auto &e : patched.entries)
    if (e->owner && w.inc.included.count(e->owner))
      w.inc.entries.push_back(e.get());
  // One range per start offset, the longest: an alternative with an empty
  // replacement points where the next replacement starts (Xen 4.20's lfence
  // alternatives before stac or tzcnt), and keeping the empty range instead
  // would drop that replacement's bytes and point its entry at other code.
  auto &ranges = w.pending_ranges;
  std::sort(ranges.begin(), ranges.end(), [](const Range &a, const Range &b) {
    if (a.section != b.section)
      return a.section->input_index < b.section->input_index;
    if (a.start != b.start)
      return a.start < b.start;
    return a.end > b.end;
  });
  ranges.erase(std::unique(ranges.begin(), ranges.end(),
                           [](const Range &a, const Range &b) {
                             return a.section == b.section && a.start == b.start;
                           }),
               ranges.end());
  w.inc.companions = ranges;
  return std::move(w.inc);
}

} // namespace lp::diff
