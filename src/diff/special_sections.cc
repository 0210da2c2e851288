// Special sections: tables of fixed-size entries that Xen reads, each entry
// belonging to one function.
//
// Xen keeps per-call-site records outside the function's own section: bug
// frames (BUG_ON, WARN, ASSERT, run_in_exception_handler), exception-table
// entries, alternatives and (Xen 4.21) alternative-call sites. A payload
// must carry exactly the entries of the functions it replaces, so each
// section is split into entries and every entry is attributed to the
// function its "owner" field is relocated against. The table below is the
// whole knowledge about them: name, which struct gives the entry size,
// where the owner field is, whether addends carry __LINE__ bits, and which
// companion section (out-of-line fixup code, replacement instructions) an
// entry points into.
//
// ASSERT frames (.bug_frames.3) are two bug_frame structs: the second one
// carries the message. Upstream split them in 8-byte groups and lost the
// message half; here an entry is `multiple` structs.
#include "diff/engine.h"

#include "elf/error.h"

#include <algorithm>
#include <fmt/format.h>

namespace lp::diff {

const std::vector<SpecialDesc> &special_descs() {
  static const std::vector<SpecialDesc> table = {
      // name            size kind          mult owner line   companion field/name/len
      {".bug_frames.0", SizeKind::BugFrame, 1, 0, true, -1, "", -1},
      {".bug_frames.1", SizeKind::BugFrame, 1, 0, true, -1, "", -1},
      {".bug_frames.2", SizeKind::BugFrame, 1, 0, true, -1, "", -1},
      {".bug_frames.3", SizeKind::BugFrame, 2, 0, true, -1, "", -1},
      {".ex_table", SizeKind::ExTable, 1, 0, false, 4, ".fixup", -1},
      {".ex_table.pre", SizeKind::ExTable, 1, 0, false, 4, ".fixup", -1},
      {".altinstructions", SizeKind::AltInstr, 1, 0, false, 4, ".altinstr_replacement", 11},
      {".alt_call_sites", SizeKind::AltCall, 1, 0, false, -1, "", -1},
  };
  return table;
}

const SpecialDesc *special_desc(std::string_view name) {
  for (const auto &d : special_descs())
    if (d.name == name)
      return &d;
  return nullptr;
}

bool is_companion_section(std::string_view name) {
  return name == ".fixup" || name == ".altinstr_replacement";
}

bool is_hook_section(std::string_view name) { return name.starts_with(".livepatch.hooks."); }

uint32_t entry_size(const SpecialDesc &d, const StructSizes &sizes) {
  uint32_t one = 8;
  switch (d.size) {
  case SizeKind::BugFrame: one = sizes.bug_frame; break;
  case SizeKind::ExTable: one = sizes.exception_table_entry; break;
  case SizeKind::AltInstr: one = sizes.alt_instr; break;
  case SizeKind::AltCall: one = sizes.alt_call; break;
  case SizeKind::Pointer: one = 8; break;
  }
  return one * d.multiple;
}

namespace {

// The function an entry's owner field points into.
Unit *owner_of(Analysis &a, const Entry &e) {
  for (const Ref &r : e.refs) {
    if (r.rela->offset != e.start + e.desc->owner_field)
      continue;
    if (r.kind == RefKind::Named && r.unit && r.unit->function)
      return r.unit->parent ? r.unit->parent : r.unit;
    if (r.target && r.target->is_exec())
      if (Unit *u = a.unit_at(r.target, r.at))
        return u->parent ? u->parent : u;
  }
  return nullptr;
}

} // namespace

void split_special_sections(Analysis &a, const StructSizes &sizes) {
  for (const auto &sec : a.obj.sections) {
    const SpecialDesc *d = special_desc(sec->name);
    if (!d || a.ignored_sections.count(sec.get()))
      continue;
    uint32_t size = entry_size(*d, sizes);
    if (size == 0 || sec->size % size != 0)
      throw FileError(a.path, fmt::format("group size mismatch for section {}: size {} is not a "
                                          "multiple of the {}-byte entry ({})",
                                          sec->name, sec->size, size, sizes.source));
    std::vector<Entry *> here;
    for (uint64_t off = 0; off < sec->size; off += size) {
      auto e = std::make_unique<Entry>();
      e->desc = d;
      e->section = sec.get();
      e->start = off;
      e->size = size;
      here.push_back(e.get());
      a.entries.push_back(std::move(e));
    }
    if (sec->rela)
      for (const Rela &r : sec->rela->relas) {
        uint64_t i = r.offset / size;
        if (i >= here.size())
          throw FileError(a.path, fmt::format("relocation at {:#x} outside {}", r.offset, sec->name));
        here[i]->refs.push_back(resolve(a, *sec, r, here[i]->start, d->line_bits));
      }
    for (Entry *e : here) {
      stable_sort_unless_sorted(e->refs.begin(), e->refs.end(), [](const Ref &x, const Ref &y) {
        return x.rela->offset < y.rela->offset;
      });
      e->owner = owner_of(a, *e);
      if (e->owner)
        e->owner->entries.push_back(e);
    }
  }
}

} // namespace lp::diff

namespace lp::diff {

// .altinstr_replacement ranges are [repl, repl + repl_len) as the entry says.
// .fixup has no lengths: a fixup runs from one referenced offset to the next
// one (or the end of the section), the offsets being every target in .fixup
// that any exception-table entry names.
std::optional<Range> companion_range(Analysis &a, const Entry &e) {
  const SpecialDesc &d = *e.desc;
  if (d.companion_field < 0)
    return std::nullopt;
  const Ref *ref = nullptr;
  for (const Ref &r : e.refs)
    if (r.rela->offset == e.start + static_cast<uint64_t>(d.companion_field))
      ref = &r;
  if (!ref || !ref->target || ref->target->name != d.companion)
    return std::nullopt;
  const Section *c = ref->target;
  if (d.companion_len_field >= 0) {
    uint64_t len = e.section->data[e.start + d.companion_len_field];
    return Range{c, ref->at, std::min<uint64_t>(ref->at + len, c->size)};
  }
  auto &starts = a.companion_starts[c];
  if (starts.empty()) {
    for (const auto &other : a.entries)
      if (other->desc->companion == d.companion)
        for (const Ref &r : other->refs)
          if (r.target == c &&
              r.rela->offset == other->start + static_cast<uint64_t>(d.companion_field))
            starts.push_back(r.at);
    std::sort(starts.begin(), starts.end());
    starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  }
  auto it = std::upper_bound(starts.begin(), starts.end(), ref->at);
  uint64_t end = it == starts.end() ? c->size : *it;
  return Range{c, ref->at, end};
}

} // namespace lp::diff
