// Section classes: what each section of the patched object is, and which
// ones a payload may leave behind.
//
// The payload carries units (functions, data), the special-section entries
// they own (special_sections.cc), and the strings, constants and anonymous
// data they reference (inclusion.cc). Every other section is left behind.
// That is only safe for sections that nothing at run time needs for the new
// code: a table Xen walks (a future Xen's equivalent of Linux's __jump_table,
// .smp_locks or __bug_table) whose entries point into a changed or new
// function would be lost, and the payload would run without them: a silent
// corruption. So every section of the patched object falls into exactly one
// class, decided here and nowhere else:
//
//   structural   symbol, string, relocation and group tables
//   ignored      .init*, .discard*, .livepatch.* and LIVEPATCH_IGNORE_SECTION
//   droppable    listed in kDroppable below, each entry with its reason
//   empty        no bytes and no relocations (gcc's empty .text/.data/.bss)
//   code         executable: functions, or assembly (compare.cc refuses a
//                change to code that has no function section of its own)
//   data         holds functions' or objects' symbols: units
//   special      a special section or its companion (special_sections.cc)
//   merged       SHF_MERGE strings and constants, copied when referenced
//   referenced   anonymous data that some unit refers to (jump tables,
//                compound literals): copied whole when an included unit does
//   unknown      anything else
//
// An unknown section that holds a relocation against a changed or new
// function (a .cold part counts as its parent) is an unsupported change,
// named with the section and the function. One that does not is dropped,
// with a debug line: its entries describe only code the payload leaves to
// Xen, which keeps using its own copy of the section.
#include "diff/engine.h"

#include <array>
#include <elf.h>
#include <fmt/format.h>

namespace lp::diff {

namespace {

// Sections known to be safe to leave out of every payload. A name ending in
// '_' or '.' is a prefix. Adding a section here is a claim that Xen never
// reads it for a loaded payload: say why.
struct Droppable {
  std::string_view name;
  bool prefix;
  std::string_view why;
};

constexpr std::array<Droppable, 7> kDroppable = {{
    {".comment", false, "compiler and assembler version strings, read by nothing at run time"},
    {".note.GNU-stack", false,
     "empty marker telling the linker whether the stack must be executable"},
    {".note.gnu.property", false,
     "x86 ISA and CET notes merged by the linker; Xen's loader never reads a payload's notes "
     "other than its build-id"},
    {".debug_", true,
     "DWARF, not allocated: read by debuggers and the type-layout check, never by Xen's loader"},
    {".eh_frame", false,
     "unwind tables: Xen builds with -fno-asynchronous-unwind-tables, its linker script "
     "discards .eh_frame and it never unwinds through them"},
    {".initcall", true,
     "boot-time initcall tables (.initcallpresmp.init, .initcall1.init): run once at boot and "
     "freed with the .init sections, never for a payload loaded later"},
    {".llvm_addrsig", false,
     "clang's address-significance table, read only by the linker's identical-code folding"},
}};

std::optional<std::string_view> droppable_reason(std::string_view name) {
  for (const Droppable &d : kDroppable)
    if (d.prefix ? name.starts_with(d.name) : name == d.name)
      return d.why;
  return std::nullopt;
}

enum class SectionClass {
  Structural,
  Ignored,
  Droppable,
  Empty,
  Code,
  Data,
  Special,
  Merged,
  Referenced,
  Unknown,
};

bool structural(const Section &s) {
  switch (s.type) {
  case SHT_NULL:
  case SHT_SYMTAB:
  case SHT_STRTAB:
  case SHT_RELA:
  case SHT_REL:
  case SHT_GROUP:
  case SHT_SYMTAB_SHNDX:
    return true;
  default:
    return false;
  }
}

// Anonymous sections that some unit's relocations point into.
std::unordered_set<const Section *> referenced_sections(const Analysis &a) {
  std::unordered_set<const Section *> out;
  for (const auto &u : a.units)
    for (const Ref &r : u->refs)
      if (r.target)
        out.insert(r.target);
  return out;
}

SectionClass classify(const Analysis &a, const Section &s,
                      const std::unordered_set<const Section *> &referenced) {
  if (structural(s))
    return SectionClass::Structural;
  if (a.ignored_sections.count(&s))
    return SectionClass::Ignored;
  if (droppable_reason(s.name))
    return SectionClass::Droppable;
  if (s.size == 0 && !s.rela)
    return SectionClass::Empty;
  if (s.is_exec())
    return SectionClass::Code;
  if (s.input_index < a.units_in_section.size() && !a.units_in_section[s.input_index].empty())
    return SectionClass::Data;
  if (special_desc(s.name) || is_companion_section(s.name))
    return SectionClass::Special;
  if (s.flags & SHF_MERGE)
    return SectionClass::Merged;
  if (referenced.count(&s))
    return SectionClass::Referenced;
  return SectionClass::Unknown;
}

// The changed or new functions an unknown section's relocations point into,
// in relocation order, each once, with the word that describes it.
std::vector<std::pair<const Unit *, std::string_view>> patched_targets(Analysis &a,
                                                                       const Section &s) {
  std::vector<std::pair<const Unit *, std::string_view>> out;
  if (!s.rela)
    return out;
  for (const Rela &r : s.rela->relas) {
    Ref ref = resolve(a, s, r, 0, false);
    if (ref.kind != RefKind::Named || !ref.unit->function)
      continue;
    const Unit *f = ref.unit->parent ? ref.unit->parent : ref.unit;
    if (f->ignored || f->status == UnitStatus::Same)
      continue;
    bool seen = false;
    for (const auto &[g, word] : out)
      seen |= g == f;
    if (!seen)
      out.emplace_back(f, f->status == UnitStatus::New ? "new" : "changed");
  }
  return out;
}

} // namespace

void check_unknown_sections(Analysis &patched, Verdict &v, Log &log) {
  auto referenced = referenced_sections(patched);
  for (const auto &sp : patched.obj.sections) {
    const Section &s = *sp;
    switch (classify(patched, s, referenced)) {
    case SectionClass::Droppable:
      log.debug(fmt::format("dropping section {}: {}", s.name, *droppable_reason(s.name)));
      continue;
    case SectionClass::Unknown:
      break;
    default:
      continue;
    }
    auto targets = patched_targets(patched, s);
    if (targets.empty()) {
      log.debug(fmt::format("dropping unknown section {}: nothing in it refers to changed or "
                            "new code",
                            s.name));
      continue;
    }
    for (const auto &[f, word] : targets) {
      std::string name(f->twin ? f->twin->name() : f->name());
      v.refusals.push_back(
          {fmt::format("unknown section {} refers to {} function {}: its entries would be lost "
                       "(add it to the special-section table if Xen knows it, or "
                       "LIVEPATCH_IGNORE_SECTION(\"{}\") if they are not needed)",
                       s.name, word, name, s.name),
           f->xen_name(),
           {}});
    }
  }
}

} // namespace lp::diff
