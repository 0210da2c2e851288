// Comparison: the status of every patched unit, and what cannot be patched.
//
// A correlated function whose canonical hash differs is CHANGED; an
// uncorrelated one is NEW. Data is stricter, because a payload cannot change
// the contents or layout of Xen's live data: a correlated object whose size,
// placement (.bss vs .data) or contents changed is refused, and so is a
// static local that a changed function stopped using (the new code would
// silently start from a fresh copy). Executable code that has no function
// section of its own (assembly) cannot be replaced either.
//
// Ignoring: .init* code is freed after boot and .discard never exists at run
// time; both are ignored (a changed .init section with a warning). A patch
// author can ignore more with LIVEPATCH_IGNORE_SECTION / _FUNCTION.
#include "diff/engine.h"

#include "elf/error.h"

#include <algorithm>
#include <elf.h>
#include <fmt/format.h>

namespace lp::diff {

namespace {

std::string data_kind(const Section &s) {
  if (s.is_nobits())
    return "bss";
  return s.is_write() ? "data" : "rodata";
}

void refuse(Verdict &v, std::string reason, const Unit *u = nullptr) {
  v.refusals.push_back({std::move(reason), u ? u->xen_name() : std::string(), {}});
}

void compare_data(Unit &p, Verdict &v) {
  Unit &o = *p.twin;
  p.status = UnitStatus::Same;
  if (data_kind(*o.section) != data_kind(*p.section)) {
    refuse(v,
           fmt::format("symbol changed sections: {}, {} -> {}", p.name(), o.section->name,
                       p.section->name),
           &p);
  } else if (o.size() != p.size()) {
    refuse(v, fmt::format("object size mismatch: {} ({} -> {} bytes)", p.name(), o.size(),
                          p.size()),
           &p);
  } else if (o.hash != p.hash) {
    refuse(v,
           fmt::format("data object {} changed: existing data cannot be changed by a live patch "
                       "(use a hook, or a new variable)",
                       p.name()),
           &p);
  }
}

// Orig static locals that a changed function used and that have no twin: the
// patched function either dropped the variable or uses another copy now, and
// the payload cannot tell which. One refusal per function and variable.
void check_removed_static_locals(Analysis &orig, Verdict &v) {
  for (const auto &u : orig.units) {
    if (!u->function)
      continue;
    const Unit *f = u->twin;
    if (!f || f->status != UnitStatus::Changed)
      continue;
    std::vector<const Unit *> seen;
    for (const Ref &r : u->refs) {
      const Unit *s = r.unit;
      if (!s || s->function || s->global() || s->special_static || s->twin || s->doubted ||
          !is_static_local_name(s->name()) ||
          std::find(seen.begin(), seen.end(), s) != seen.end())
        continue;
      seen.push_back(s);
      std::string var = strip_numbering(s->name());
      var.pop_back(); // count.3 -> "count." -> "count"
      refuse(v,
             fmt::format("reference to static local variable {0} in {1} was removed: the payload "
                         "cannot tell whether {1} dropped it or now uses another copy (keep a "
                         "reference to it in {1}, e.g. asm volatile (\"\" :: \"r\" (&{0}));)",
                         var, u->name()),
             f);
    }
  }
}

// Changed executable code that is not in a function section of its own.
void check_unbundled_code(Analysis &orig, Analysis &patched, Verdict &v) {
  for (const auto &sec : patched.obj.sections) {
    if (!sec->is_alloc() || !sec->is_exec() || sec->size == 0 ||
        patched.bundled_unit(sec.get()) || patched.ignored_sections.count(sec.get()) ||
        is_companion_section(sec->name))
      continue;
    const Section *o = orig.obj.section_named(sec->name);
    bool changed = !o || section_hash(orig, *o) != section_hash(patched, *sec);
    if (changed)
      refuse(v, fmt::format("changed section {} not selected for inclusion (code without a "
                            "function section of its own, e.g. assembly, cannot be patched)",
                            sec->name));
  }
}

} // namespace

// Sections to ignore in both objects: .init*, .discard*, and those named by
// LIVEPATCH_IGNORE_SECTION (strings in .livepatch.ignore.sections).
void find_ignored_sections(Analysis &orig, Analysis &patched, Log &log) {
  std::vector<std::string> names;
  if (const Section *marker = patched.obj.section_named(".livepatch.ignore.sections");
      marker && marker->rela)
    for (const Rela &r : marker->rela->relas) {
      Ref ref = resolve(patched, *marker, r, 0, false);
      if (ref.kind != RefKind::String)
        throw FileError(patched.path, ".livepatch.ignore.sections: entry is not a string");
      std::string name = read_string(*ref.target, ref.at);
      if (!patched.obj.section_named(name) && !orig.obj.section_named(name))
        throw FileError(patched.path, fmt::format("ignored section {} does not exist", name));
      names.push_back(name);
      log.normal(fmt::format("ignoring section: {}", name));
    }
  for (Analysis *a : {&orig, &patched})
    for (const auto &s : a->obj.sections) {
      bool by_marker = std::find(names.begin(), names.end(), s->name) != names.end();
      bool rela_of_ignored = s->is_rela() && s->info &&
                             (is_init_section(s->info->name) ||
                              is_discard_section(s->info->name) ||
                              std::find(names.begin(), names.end(), s->info->name) != names.end());
      // .livepatch.* (hooks, markers, expectations) are read, never compared.
      bool metadata = s->name.starts_with(".livepatch.") ||
                      (s->is_rela() && s->info && s->info->name.starts_with(".livepatch."));
      if (by_marker || metadata || is_init_section(s->name) || is_discard_section(s->name) ||
          rela_of_ignored)
        a->ignored_sections.insert(s.get());
    }
}

void warn_changed_init_sections(Analysis &orig, Analysis &patched, Log &log) {
  for (const auto &s : patched.obj.sections) {
    if (!is_init_section(s->name) || s->is_rela())
      continue;
    const Section *o = orig.obj.section_named(s->name);
    if (!o || section_hash(orig, *o) != section_hash(patched, *s))
      log.normal(fmt::format("WARNING: Explicitly ignoring .init section: {}", s->name));
  }
}

Verdict compare(Analysis &orig, Analysis &patched, const LineMap *map, Log &log) {
  Verdict v;
  for (const auto &u : patched.units)
    if (patched.ignored_sections.count(u->section))
      u->ignored = true;
  for (const auto &u : orig.units)
    if (orig.ignored_sections.count(u->section))
      u->ignored = true;
  warn_changed_init_sections(orig, patched, log);

  for (const auto &up : patched.units) {
    Unit &u = *up;
    if (u.parent || u.special_static)
      continue;
    if (u.ignored) {
      u.status = UnitStatus::Same;
      continue;
    }
    if (!u.twin) {
      u.status = UnitStatus::New;
      if (u.function)
        v.added.push_back(&u);
      else if (!u.global() && !u.doubted && is_static_local_name(u.name()))
        log.normal(fmt::format("WARNING: unable to correlate static local variable {}, assuming "
                               "variable is new",
                               u.name()));
      continue;
    }
    if (!u.function) {
      compare_data(u, v);
      continue;
    }
    u.status = u.hash == u.twin->hash ? UnitStatus::Same : UnitStatus::Changed;
    if (u.status == UnitStatus::Changed && !u.bundled) {
      // refused below, with its section ("changed section ... not selected")
      u.status = UnitStatus::Same;
      log.normal(fmt::format("changed function {} has no section of its own", u.name()));
    }
  }
  find_line_only_changes(orig, patched, map, log);
  apply_ignore_functions(patched, v, log);
  for (const auto &u : patched.units) {
    if (u->function && !u->parent && u->status == UnitStatus::Changed)
      v.changed.push_back(u.get());
    if (u->line_only)
      v.ignored.push_back(u.get());
  }
  for (const auto &u : patched.units)
    if (u->parent)
      u->status = u->parent->status == UnitStatus::Same ? UnitStatus::Same : UnitStatus::New;
  check_removed_static_locals(orig, v);
  check_unbundled_code(orig, patched, v);
  return v;
}

// Functions named by LIVEPATCH_IGNORE_FUNCTION (pointers in
// .livepatch.ignore.functions) are treated as unchanged.
void apply_ignore_functions(Analysis &patched, Verdict &v, Log &log) {
  const Section *marker = patched.obj.section_named(".livepatch.ignore.functions");
  if (!marker || !marker->rela)
    return;
  for (const Rela &r : marker->rela->relas) {
    Ref ref = resolve(patched, *marker, r, 0, false);
    if (ref.kind != RefKind::Named || !ref.unit->function)
      throw FileError(patched.path, fmt::format(".livepatch.ignore.functions: {} is not a function",
                                                r.sym->display_name()));
    Unit *u = ref.unit;
    log.normal(fmt::format("ignoring function: {}", u->xen_name()));
    if (u->status != UnitStatus::Changed)
      log.normal(fmt::format("NOTICE: no change detected in function {}, unnecessary "
                             "LIVEPATCH_IGNORE_FUNCTION()?",
                             u->name()));
    u->status = UnitStatus::Same;
    u->ignored = true;
    u->ignore_reason = "LIVEPATCH_IGNORE_FUNCTION";
    v.ignored.push_back(u);
  }
}

} // namespace lp::diff
