// Units and what their relocations mean.
//
// A unit is a FUNC or OBJECT symbol with the byte range it owns. When the
// symbol is the only one of its kind in its section and starts at offset 0,
// it is *bundled*: the unit is the whole section (gcc's -ffunction-sections
// and -fdata-sections make this the normal case). Otherwise (sections merged
// by `ld -r`, .data.read_mostly, assembly) the unit is [value, value+size).
//
// Relocations are resolved once into Refs. gcc often relocates against a
// section symbol (`.bss.counter - 4`, `.text.helper.constprop.0 - 4`); such a
// reference is replaced by the unit that covers the target, so that two
// objects can be compared by *names*. The target offset of a PC-relative
// field in code is relative to the end of the instruction, not of the field
// (`cmpl $1, x(%rip)` carries addend -8), so the containing instruction is
// decoded when, and only when, the offset matters: for strings, constants
// and sections holding several symbols. Xen's bug frames keep __LINE__ bits
// in bits 24..30 of their addends, relative to the frame's start; those are
// masked out when the field is one of a frame's.
#include "diff/engine.h"

#include "elf/error.h"

#include <algorithm>
#include <elf.h>
#include <fmt/format.h>

namespace lp::diff {

namespace {

bool is_pc_relative(uint32_t type) {
  return type == R_X86_64_PC32 || type == R_X86_64_PLT32 || type == R_X86_64_PC64;
}

bool unit_candidate(const Symbol &s) {
  if (!s.section || !s.section->is_alloc() || s.section->is_rela())
    return false;
  if (s.is_func())
    return s.section->is_exec();
  return s.is_object();
}

std::string file_of(const Symbol &s) {
  if (!s.is_local() || !s.file)
    return {};
  return s.file->name;
}

// "file#name": how a cold part finds its parent function among the units.
// Built with append, not operator+ on temporaries, which gcc 12 at -O3
// misreads as an overlapping memcpy (-Wrestrict).
std::string function_key(std::string_view file, std::string_view name) {
  std::string key;
  key.reserve(file.size() + 1 + name.size());
  key.append(file).append(1, '#').append(name);
  return key;
}

// The relocations of a SHT_RELA section in offset order, those at the same
// offset in file order (gcc emits them in offset order already).
std::vector<const Rela *> relas_by_offset(const Section &rela) {
  std::vector<const Rela *> v;
  v.reserve(rela.relas.size());
  for (const Rela &r : rela.relas)
    v.push_back(&r);
  stable_sort_unless_sorted(v.begin(), v.end(),
                            [](const Rela *x, const Rela *y) { return x->offset < y->offset; });
  return v;
}

} // namespace

Unit *Analysis::unit_at(const Section *s, uint64_t offset) const {
  if (!s || s->input_index >= units_in_section.size())
    return nullptr;
  const auto &v = units_in_section[s->input_index];
  auto it = std::upper_bound(v.begin(), v.end(), offset,
                             [](uint64_t o, const Unit *u) { return o < u->start; });
  while (it != v.begin()) {
    --it;
    Unit *u = *it;
    if (offset >= u->start && (offset < u->end || (u->start == u->end && offset == u->start)))
      return u;
    // a reference to the end of the last object in a section belongs to it
    if (offset == u->end && u->end == s->size && u->end > u->start)
      return u;
    if (u->end <= offset)
      break;
  }
  return nullptr;
}

const std::shared_ptr<const elf::InsnMap> &Analysis::insn_map(const Section *s) {
  auto &slot = insn_maps[s];
  if (slot)
    return slot;
  if (same_bytes_source)
    if (const Section *o = same_bytes_source->obj.section_named(s->name); o && o->data == s->data)
      return slot = same_bytes_source->insn_map(o);
  return slot = std::make_shared<const elf::InsnMap>(*decoder, s->bytes());
}

void analyse_units(Analysis &a) {
  const Object &o = a.obj;
  uint32_t max_sym = 0, max_sec = 0;
  for (const auto &s : o.symbols)
    max_sym = std::max(max_sym, s->input_index);
  for (const auto &s : o.sections)
    max_sec = std::max(max_sec, s->input_index);
  a.unit_of_symbol.assign(max_sym + 1, nullptr);
  a.units_in_section.assign(max_sec + 1, {});
  a.bundled.assign(max_sec + 1, nullptr);

  for (const auto &s : o.symbols) {
    if (s->is_file())
      a.files.push_back(s->name);
    if (!unit_candidate(*s) || s->value > s->section->size)
      continue;
    auto u = std::make_unique<Unit>();
    u->sym = s.get();
    u->section = s->section;
    u->function = s->is_func();
    u->start = s->value;
    u->end = std::min<uint64_t>(s->value + s->size, s->section->size);
    u->file = file_of(*s);
    u->special_static = !u->function && s->is_local() && special_static_prefix(s->name).has_value();
    a.unit_of_symbol[s->input_index] = u.get();
    a.units_in_section[s->section->input_index].push_back(u.get());
    a.units.push_back(std::move(u));
  }
  for (const auto &sec : o.sections) {
    auto &v = a.units_in_section[sec->input_index];
    stable_sort_unless_sorted(v.begin(), v.end(),
                              [](const Unit *x, const Unit *y) { return x->start < y->start; });
    // A function alone in plain .text (assembly) still has no section of its own.
    bool generic = sec->is_exec() && sec->name == ".text";
    if (v.size() == 1 && v[0]->start == 0 && v[0]->end <= sec->size && !generic) {
      v[0]->bundled = true;
      v[0]->end = sec->size;
      a.bundled[sec->input_index] = v[0];
    }
  }
  // .cold parts travel with their parent function (same file scope).
  std::vector<Unit *> cold;
  for (const auto &u : a.units)
    if (u->function && cold_parent_name(u->name()))
      cold.push_back(u.get());
  std::unordered_map<std::string, Unit *> functions;
  if (!cold.empty())
    for (const auto &u : a.units)
      if (u->function)
        functions.emplace(function_key(u->file, u->name()), u.get());
  for (Unit *u : cold) {
    auto parent = cold_parent_name(u->name());
    auto it = functions.find(function_key(u->file, *parent));
    if (it == functions.end() && !u->file.empty())
      it = functions.find(function_key("", *parent));
    if (it == functions.end())
      throw FileError(a.path, fmt::format("failed to find parent function for {}", u->name()));
    u->parent = it->second;
    it->second->children.push_back(u);
  }
  // Resolve every relocation of every unit, in offset order. Each section's
  // relocations are put in that order once, and a unit takes the run of them
  // inside [start, end) by binary search: a section shared by many symbols
  // (assembly, .data.read_mostly) is not scanned once per symbol.
  std::vector<std::vector<const Rela *>> sorted(a.units_in_section.size());
  for (const auto &u : a.units) {
    const Section *sec = u->section;
    if (!sec->rela)
      continue;
    std::vector<const Rela *> &relas = sorted[sec->input_index];
    if (relas.empty())
      relas = relas_by_offset(*sec->rela);
    auto first = std::lower_bound(relas.begin(), relas.end(), u->start,
                                  [](const Rela *r, uint64_t o) { return r->offset < o; });
    auto last = std::lower_bound(first, relas.end(), u->end,
                                 [](const Rela *r, uint64_t o) { return r->offset < o; });
    u->refs.reserve(static_cast<size_t>(last - first));
    for (auto it = first; it != last; ++it)
      u->refs.push_back(resolve(a, *sec, **it, 0, false));
  }
}

Ref resolve(Analysis &a, const Section &from, const Rela &r, uint64_t entry_start,
            bool line_bits) {
  Ref ref;
  ref.rela = &r;
  ref.from = &from;
  ref.sym = r.sym;
  if (r.sym->is_undefined() || !r.sym->section) {
    ref.kind = RefKind::External;
    ref.raw = r.addend;
    return ref;
  }
  const Section *t = r.sym->section;
  ref.target = t;
  ref.raw = static_cast<int64_t>(r.sym->value) + r.addend;
  // Bug-frame fields are relative to the frame's start and carry line bits.
  int64_t at = ref.raw;
  if (line_bits) {
    int64_t field = static_cast<int64_t>(r.offset - entry_start);
    at = static_cast<int64_t>(r.sym->value) + (r.addend & 0xffffff) - field;
  }
  ref.at = static_cast<uint64_t>(at);
  if (Unit *named = a.unit_of(r.sym); named && !r.sym->is_section()) {
    ref.kind = RefKind::Named;
    ref.unit = named;
    return ref;
  }
  if (Unit *b = a.bundled_unit(t); b && !(t->flags & SHF_MERGE)) {
    ref.kind = RefKind::Named;
    ref.unit = b;
    return ref;
  }
  // The offset really meant: needed for strings, constants, shared sections.
  // `lea .LC3(%rip)`, by far the most common string reference, carries -4
  // against the string's own label: taken without decoding. Anything else
  // decodes the instruction to find where it ends.
  if (!line_bits && from.is_exec() && is_pc_relative(r.type)) {
    if ((t->flags & SHF_MERGE) && !r.sym->is_section() && r.addend == -4) {
      at += 4;
    } else {
      auto end = a.insns(&from).field_end(r.offset);
      at += end ? static_cast<int64_t>(*end - r.offset) : 4;
    }
  }
  ref.at = static_cast<uint64_t>(at);
  if (t->is_strings()) {
    ref.kind = RefKind::String;
  } else if (t->flags & SHF_MERGE) {
    ref.kind = RefKind::Constant;
  } else if (Unit *u = a.unit_at(t, ref.at)) {
    ref.kind = RefKind::Named;
    ref.unit = u;
  } else {
    ref.kind = RefKind::Anonymous;
  }
  return ref;
}

std::string read_string(const Section &s, uint64_t offset) {
  if (offset >= s.data.size())
    return {};
  const char *p = reinterpret_cast<const char *>(s.data.data()) + offset;
  size_t n = 0;
  while (offset + n < s.data.size() && p[n])
    ++n;
  return std::string(p, n);
}

// Keys: globals by name; statics by file#name without gcc's numbering. Static
// locals that share a name (lock.1 in f, lock.2 in g) cannot be told apart by
// name: they are marked shared_name, keyed by their full name for now, and
// correlated by the functions that use them (correlate.cc). Anything else that
// still collides (two objects linked with `ld -r` from files of the same
// name) is numbered in order.
void assign_keys(Analysis &a) {
  a.by_key.clear();
  a.by_key.reserve(a.units.size());
  a.shared_statics.clear();
  std::unordered_set<std::string> colliding;
  for (const auto &u : a.units) {
    if (u->special_static)
      continue;
    u->key = u->global() ? std::string(u->name()) : u->file + "#" + strip_numbering(u->name());
    if (!a.by_key.try_emplace(u->key, u.get()).second)
      colliding.insert(u->key);
  }
  if (colliding.empty())
    return;
  for (const auto &key : colliding)
    a.by_key.erase(key);
  for (const auto &u : a.units) {
    if (u->key.empty() || !colliding.count(u->key))
      continue;
    if (is_shared_static_candidate(*u)) {
      u->shared_name = true;
      a.shared_statics.insert(u->key);
      u->key.append(1, '@').append(u->name());
    }
    std::string key = u->key;
    for (int n = 2; a.by_key.count(key); ++n)
      key = fmt::format("{}~{}", u->key, n);
    u->key = key;
    a.by_key.emplace(key, u.get());
  }
}

bool is_shared_static_candidate(const Unit &u) {
  return !u.function && !u.global() && !u.special_static && is_static_local_name(u.name());
}

} // namespace lp::diff
