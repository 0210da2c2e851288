// Type layouts: does the patched code see existing objects as the original did?
//
// A payload replaces functions, never the objects the running hypervisor
// already holds. If a patch moves a member of a structure that has live
// instances, every replaced function reads those instances with the wrong
// offsets: memory corruption, silently. So for every changed object pair the
// engine compares the types of the original and the patched translation unit
// (DWARF, read by src/elf/dwarf_types.cc from the objects or from -g side
// objects) and refuses a change of layout.
//
// Layouts, not spellings. Each type is flattened to its scalar leaves: bit
// position, bit width and class (integer, float, pointer) of every scalar
// byte range, with runs of equal scalars that follow each other merged (so
// `int a[4]` and four `int` members are the same leaves). Two types have the
// same layout when size, alignment and leaves are equal. A difference is a
// layout change, described member by member (name, old and new offset+size,
// bit-field positions, enumerator values). Equal leaves but different
// member names or types (a per-CPU uint64_t that becomes a struct holding one
// uint64_t) keep the layout: accepted, with a "layout kept" line.
//
// What is compared: every file-scope named struct, union, enum and typedef
// that both builds define (identified by kind, name and declaring file; a
// type that moved to another file is matched by kind and name when that is
// unambiguous), and every global or static variable both builds declare.
// Types only one build has are new or removed, not changed. Types declared
// inside a function have no instances outside its stack frame and are not
// compared. Enums may gain enumerators at the end; an existing value that
// moves or disappears is a change.
//
// A refusal names the changed and new functions that depend on the type:
// those whose DWARF (return type, parameters, locals, inlined code) reaches
// it through pointers, typedefs, arrays and members, and those whose
// relocations reference a variable whose type reaches it. The author can
// accept a change with LIVEPATCH_LAYOUT_CHANGE_SAFE(type, "reason")
// (records in .livepatch.layout_safe, read here; the section never reaches
// the payload); a marker for a type that did not change is a notice.
//
// Cost: nothing here runs when no function changed, and each object's DWARF
// is read once. Without DWARF on both sides there is no type check; the
// displacement heuristic (displacement_heuristic.cc) warns instead.
#include "diff/engine.h"

#include "elf/dwarf_types.h"
#include "elf/error.h"
#include <nlohmann/json.hpp>

#include <algorithm>
#include <dwarf.h>
#include <elf.h>
#include <fmt/format.h>
#include <map>

namespace lp::diff {

namespace {

using elf::DwarfType;
using elf::DwarfTypes;
using elf::kNoType;
using elf::TypeKind;
using elf::TypeMember;

// ---------------------------------------------------------------------------
// Flattening

enum class LeafClass : uint8_t { Integer, Float, Pointer, Opaque };

// `count` scalars of `bits` each, back to back from bit `pos`.
struct Leaf {
  uint64_t pos = 0;
  uint64_t bits = 0;
  LeafClass cls = LeafClass::Integer;
  uint64_t count = 1;
  uint64_t hash = 0; // Opaque: what the leaves inside would have been
  uint64_t end() const { return pos + bits * count; }
  bool operator==(const Leaf &) const = default;
};

using Leaves = std::vector<Leaf>;

// Arrays whose expansion would exceed this many leaves become one opaque leaf.
constexpr size_t kMaxArrayLeaves = 1 << 14;

// Appends `l`, merging it into the last leaf when it continues that run.
void push_leaf(Leaves &out, Leaf l) {
  if (!out.empty()) {
    Leaf &last = out.back();
    if (last.cls == l.cls && last.bits == l.bits && last.hash == l.hash &&
        l.cls != LeafClass::Opaque && last.end() == l.pos) {
      last.count += l.count;
      return;
    }
  }
  out.push_back(l);
}

uint64_t hash_leaves(const Leaves &leaves) {
  Hasher h;
  for (const Leaf &l : leaves) {
    h.u64(l.pos);
    h.u64(l.bits);
    h.u64(static_cast<uint64_t>(l.cls));
    h.u64(l.count);
    h.u64(l.hash);
  }
  return h.value();
}

LeafClass base_class(unsigned encoding) {
  return encoding == DW_ATE_float || encoding == DW_ATE_complex_float ? LeafClass::Float
                                                                       : LeafClass::Integer;
}

struct Layout {
  uint64_t size = 0;
  uint64_t alignment = 0;
  Leaves leaves;
  bool operator==(const Layout &) const = default;
};

// Flattened layouts of one build's types, computed once per type.
class Flattener {
public:
  explicit Flattener(const DwarfTypes &t) : t_(t), memo_(t.types.size()) {}

  const Layout &layout(uint32_t index) {
    static const Layout kEmpty;
    if (index == kNoType)
      return kEmpty;
    if (!memo_[index]) {
      Layout l;
      l.size = size_of(index);
      l.alignment = alignment_of(index, 0);
      leaves_of(index, 0, l.leaves, 0);
      memo_[index] = std::move(l);
    }
    return *memo_[index];
  }

  uint64_t size_of(uint32_t index) const {
    return index == kNoType ? 0 : t_.types[index].size;
  }

private:
  uint64_t alignment_of(uint32_t index, int depth) {
    if (index == kNoType || depth > 64)
      return 1;
    const DwarfType &t = t_.types[index];
    if (t.alignment)
      return t.alignment;
    switch (t.kind) {
    case TypeKind::Typedef:
    case TypeKind::Qualified:
    case TypeKind::Array:
      return alignment_of(t.target, depth + 1);
    case TypeKind::Struct:
    case TypeKind::Union: {
      uint64_t a = 1;
      for (const TypeMember &m : t.members)
        a = std::max(a, alignment_of(m.type, depth + 1));
      return a;
    }
    default:
      return std::max<uint64_t>(t.size, 1);
    }
  }

  void leaves_of(uint32_t index, uint64_t base, Leaves &out, int depth) {
    if (index == kNoType)
      return;
    const DwarfType &t = t_.types[index];
    if (depth > 64)
      throw std::runtime_error("type nesting too deep in " + t_.path);
    switch (t.kind) {
    case TypeKind::Base:
      push_leaf(out, {base, t.size * 8, base_class(t.encoding), 1, 0});
      break;
    case TypeKind::Enum:
      push_leaf(out, {base, t.size * 8, LeafClass::Integer, 1, 0});
      break;
    case TypeKind::Pointer:
    case TypeKind::Function:
      push_leaf(out, {base, t.size * 8, LeafClass::Pointer, 1, 0});
      break;
    case TypeKind::Typedef:
    case TypeKind::Qualified:
      leaves_of(t.target, base, out, depth + 1);
      break;
    case TypeKind::Struct:
      for (const TypeMember &m : t.members)
        member_leaves(m, base, out);
      break;
    case TypeKind::Union:
      union_leaves(t, base, out);
      break;
    case TypeKind::Array:
      array_leaves(t, base, out);
      break;
    case TypeKind::Void:
      break;
    }
  }

  void member_leaves(const TypeMember &m, uint64_t base, Leaves &out) {
    if (m.bit_size) {
      push_leaf(out, {base + m.bit_offset, m.bit_size, LeafClass::Integer, 1, 0});
      return;
    }
    for (Leaf l : layout(m.type).leaves) {
      l.pos += base + m.offset * 8;
      push_leaf(out, l);
    }
  }

  // Members overlap: every member's leaves, sorted, duplicates dropped.
  void union_leaves(const DwarfType &t, uint64_t base, Leaves &out) {
    Leaves all;
    for (const TypeMember &m : t.members)
      member_leaves(m, base, all);
    Leaves single;
    for (const Leaf &l : all)
      for (uint64_t i = 0; i < (l.cls == LeafClass::Opaque ? 1 : l.count); ++i)
        single.push_back(l.cls == LeafClass::Opaque ? l : Leaf{l.pos + i * l.bits, l.bits, l.cls, 1, 0});
    auto key = [](const Leaf &l) {
      return std::tuple(l.pos, l.bits, static_cast<int>(l.cls), l.count, l.hash);
    };
    std::sort(single.begin(), single.end(),
              [&](const Leaf &a, const Leaf &b) { return key(a) < key(b); });
    single.erase(std::unique(single.begin(), single.end()), single.end());
    for (const Leaf &l : single)
      push_leaf(out, l);
  }

  void array_leaves(const DwarfType &t, uint64_t base, Leaves &out) {
    const Layout &elem = layout(t.target);
    uint64_t n = 1;
    for (uint64_t c : t.counts)
      n *= c;
    uint64_t stride = size_of(t.target) * 8;
    if (n == 0 || n * elem.leaves.size() > kMaxArrayLeaves) {
      push_leaf(out, {base, stride * n, LeafClass::Opaque, 1, hash_leaves(elem.leaves) ^ n});
      return;
    }
    for (uint64_t i = 0; i < n; ++i)
      for (Leaf l : elem.leaves) {
        l.pos += base + i * stride;
        push_leaf(out, l);
      }
  }

  const DwarfTypes &t_;
  std::vector<std::optional<Layout>> memo_;
};

// ---------------------------------------------------------------------------
// Spelling: how C would name a type, for messages and "layout kept".

std::string spell(const DwarfTypes &t, uint32_t index, int depth = 0) {
  if (index == kNoType)
    return "void";
  if (depth > 16)
    return "...";
  const DwarfType &d = t.types[index];
  switch (d.kind) {
  case TypeKind::Struct:
    return "struct " + (d.name.empty() ? std::string("{...}") : d.name);
  case TypeKind::Union:
    return "union " + (d.name.empty() ? std::string("{...}") : d.name);
  case TypeKind::Enum:
    return "enum " + (d.name.empty() ? std::string("{...}") : d.name);
  case TypeKind::Pointer:
    return spell(t, d.target, depth + 1) + " *";
  case TypeKind::Qualified:
    return d.qualifier + " " + spell(t, d.target, depth + 1);
  case TypeKind::Array: {
    std::string s = spell(t, d.target, depth + 1);
    for (uint64_t c : d.counts)
      s += c ? fmt::format("[{}]", c) : "[]";
    return s;
  }
  case TypeKind::Function:
    return "function";
  default:
    return d.name.empty() ? "void" : d.name;
  }
}

std::string kind_word(TypeKind k) {
  switch (k) {
  case TypeKind::Struct: return "struct";
  case TypeKind::Union: return "union";
  case TypeKind::Enum: return "enum";
  case TypeKind::Typedef: return "typedef";
  default: return "";
  }
}

// The C spelling an author writes in LIVEPATCH_LAYOUT_CHANGE_SAFE.
std::string marker_spelling(const DwarfType &d) {
  return d.kind == TypeKind::Typedef ? d.name : kind_word(d.kind) + " " + d.name;
}

bool comparable(const DwarfType &d) {
  return d.file_scope && !d.declaration && !d.name.empty() && !kind_word(d.kind).empty();
}

std::string type_key(const DwarfType &d) {
  return kind_word(d.kind) + " " + d.name + "\n" + d.decl_file;
}

std::string name_key(const DwarfType &d) { return kind_word(d.kind) + " " + d.name; }

// Members by name; anonymous struct/union members contribute theirs.
struct FlatMember {
  std::string name;
  uint64_t offset = 0; // bytes
  uint64_t size = 0;
  uint64_t bit_offset = 0;
  uint32_t bit_size = 0;
  uint32_t type = kNoType;
};

void flat_members(const DwarfTypes &t, uint32_t index, uint64_t base,
                  std::vector<FlatMember> &out, int depth) {
  if (index == kNoType || depth > 16)
    return;
  const DwarfType *d = &t.types[index];
  while ((d->kind == TypeKind::Typedef || d->kind == TypeKind::Qualified) && d->target != kNoType)
    d = &t.types[d->target];
  for (const TypeMember &m : d->members) {
    if (m.name.empty() && !m.bit_size) {
      flat_members(t, m.type, base + m.offset, out, depth + 1);
      continue;
    }
    uint64_t size = m.bit_size ? 0 : (m.type == kNoType ? 0 : t.types[m.type].size);
    out.push_back({m.name, base + m.offset, size, base * 8 + m.bit_offset, m.bit_size, m.type});
  }
}

bool has_members(const DwarfTypes &t, uint32_t index) {
  if (index == kNoType)
    return false;
  const DwarfType *d = &t.types[index];
  while ((d->kind == TypeKind::Typedef || d->kind == TypeKind::Qualified) && d->target != kNoType)
    d = &t.types[d->target];
  return d->kind == TypeKind::Struct || d->kind == TypeKind::Union;
}

std::string place(const FlatMember &m) {
  return m.bit_size ? fmt::format("bits {}:{}", m.bit_offset, m.bit_size)
                    : fmt::format("{}+{}", m.offset, m.size);
}

// ---------------------------------------------------------------------------
// One build's side of the comparison.

struct Side {
  const DwarfTypes &types;
  Flattener flat;
  std::unordered_map<std::string, uint32_t> by_key;      // comparable types
  std::unordered_map<std::string, std::vector<uint32_t>> by_name; // kind + name
  std::unordered_map<std::string, uint32_t> variables;  // variable key -> index

  explicit Side(const DwarfTypes &t) : types(t), flat(t) {
    for (uint32_t i = 0; i < t.types.size(); ++i) {
      const DwarfType &d = t.types[i];
      if (!comparable(d) || !by_key.try_emplace(type_key(d), i).second)
        continue;
      by_name[name_key(d)].push_back(i);
    }
    for (uint32_t i = 0; i < t.variables.size(); ++i)
      variables.try_emplace(variable_key(t.variables[i]), i);
  }

  static std::string variable_key(const elf::DwarfVariable &v) {
    return v.file_scope ? v.name : v.function + "\n" + v.name + "\n" + v.decl_file;
  }
};

struct Marker {
  std::string type;
  std::string reason;
  bool used = false;
};

// LIVEPATCH_LAYOUT_CHANGE_SAFE records: one object each in
// .livepatch.layout_safe, "type\0reason\0".
std::vector<Marker> read_markers(const Analysis &patched) {
  std::vector<Marker> out;
  const Section *s = patched.obj.section_named(".livepatch.layout_safe");
  if (!s || s->is_nobits())
    return out;
  for (const auto &sym : patched.obj.symbols) {
    if (sym->section != s || sym->type != STT_OBJECT)
      continue;
    if (sym->value + sym->size > s->size || sym->size == 0)
      throw FileError(patched.path, ".livepatch.layout_safe: record outside the section");
    std::string_view text(reinterpret_cast<const char *>(s->data.data()) + sym->value, sym->size);
    size_t nul = text.find('\0');
    if (nul == std::string_view::npos || text.back() != '\0')
      throw FileError(patched.path, fmt::format(".livepatch.layout_safe: malformed "
                                                "LIVEPATCH_LAYOUT_CHANGE_SAFE record {}",
                                                sym->name));
    std::string type;
    for (char c : text.substr(0, nul)) // "struct  s" -> "struct s"
      if (!(c == ' ' && (type.empty() || type.back() == ' ')))
        type += c;
    while (!type.empty() && type.back() == ' ')
      type.pop_back();
    std::string_view reason = text.substr(nul + 1);
    reason = reason.substr(0, reason.find('\0'));
    out.push_back({type, std::string(reason)});
  }
  return out;
}

// A difference found between the builds, before dependencies are known.
struct Finding {
  std::string type;     // "struct s", "typedef t", "variable v"
  std::string marker;   // what a marker must say to accept it ("" for variables)
  std::string decl;     // "file:line"
  std::string details;
  bool kept = false;    // same layout, other spelling
  uint32_t patched_type = kNoType; // for dependencies (types)
  std::string variable;            // for dependencies (variables)
};

class Comparison {
public:
  Comparison(const DwarfTypes &o, const DwarfTypes &p) : o_(o), p_(p) {}

  std::vector<Finding> run() {
    pair_types();
    for (auto [oi, pi] : pairs_)
      compare_type(oi, pi);
    compare_variables();
    return std::move(findings_);
  }

private:
  // Same kind, name and file; then unique kind+name among the unmatched.
  void pair_types() {
    std::unordered_map<std::string, std::vector<uint32_t>> unmatched_o, unmatched_p;
    std::vector<bool> matched_p(p_.types.types.size());
    std::vector<std::string> order;
    for (uint32_t pi = 0; pi < p_.types.types.size(); ++pi) {
      const DwarfType &d = p_.types.types[pi];
      if (!comparable(d) || p_.by_key.at(type_key(d)) != pi)
        continue;
      if (auto it = o_.by_key.find(type_key(d)); it != o_.by_key.end()) {
        pairs_.push_back({it->second, pi});
        matched_o_.insert(it->second);
      } else {
        if (unmatched_p[name_key(d)].empty())
          order.push_back(name_key(d));
        unmatched_p[name_key(d)].push_back(pi);
      }
    }
    for (const auto &[key, oi] : o_.by_key)
      if (!matched_o_.count(oi))
        unmatched_o[name_key(o_.types.types[oi])].push_back(oi);
    for (const std::string &name : order) {
      auto it = unmatched_o.find(name);
      if (it != unmatched_o.end() && it->second.size() == 1 && unmatched_p[name].size() == 1)
        pairs_.push_back({it->second[0], unmatched_p[name][0]});
    }
    std::sort(pairs_.begin(), pairs_.end(),
              [](auto a, auto b) { return a.second < b.second; });
    for (auto [oi, pi] : pairs_)
      paired_p_.insert(pi);
  }

  std::string decl_of(const DwarfType &d) const {
    return d.decl_file.empty() ? "?" : fmt::format("{}:{}", d.decl_file, d.decl_line);
  }

  void compare_type(uint32_t oi, uint32_t pi) {
    const DwarfType &od = o_.types.types[oi], &pd = p_.types.types[pi];
    Finding f{kind_word(pd.kind) + " " + pd.name, marker_spelling(pd), decl_of(pd), "", false, pi, ""};
    if (pd.kind == TypeKind::Enum) {
      f.details = enum_changes(od, pd);
      if (!f.details.empty())
        findings_.push_back(std::move(f));
      return;
    }
    const Layout &ol = o_.flat.layout(oi), &pl = p_.flat.layout(pi);
    if (pd.kind == TypeKind::Typedef && covered(od.target, pd.target))
      return; // the named target is compared (and reported) itself
    if (ol == pl) {
      f.details = spelling_changes(oi, pi);
      f.kept = !f.details.empty();
      if (f.kept)
        findings_.push_back(std::move(f));
      return;
    }
    f.details = layout_changes(oi, pi, ol, pl);
    findings_.push_back(std::move(f));
  }

  // Both builds spell `o` and `p` the same and it is a compared named type.
  bool covered(uint32_t o, uint32_t p) const {
    if (spell(o_.types, o) != spell(p_.types, p))
      return false;
    while (p != kNoType && (p_.types.types[p].kind == TypeKind::Qualified ||
                            p_.types.types[p].kind == TypeKind::Array))
      p = p_.types.types[p].target;
    return p != kNoType && paired_p_.count(p);
  }

  std::string enum_changes(const DwarfType &o, const DwarfType &p) const {
    std::vector<std::string> out;
    if (o.size != p.size)
      out.push_back(fmt::format("size {} -> {}", o.size, p.size));
    std::unordered_map<std::string, int64_t> now;
    for (const auto &e : p.enumerators)
      now.emplace(e.name, e.value);
    for (const auto &e : o.enumerators) {
      auto it = now.find(e.name);
      if (it == now.end())
        out.push_back(fmt::format("enumerator {} removed", e.name));
      else if (it->second != e.value)
        out.push_back(fmt::format("enumerator {} {} -> {}", e.name, e.value, it->second));
    }
    return fmt::format("{}", fmt::join(out, ", "));
  }

  std::string layout_changes(uint32_t oi, uint32_t pi, const Layout &ol, const Layout &pl) {
    std::vector<std::string> out;
    if (has_members(o_.types, oi) && has_members(p_.types, pi))
      member_changes(oi, pi, out);
    else if (spell(o_.types, o_.types.types[oi].target) != spell(p_.types, p_.types.types[pi].target))
      out.push_back(fmt::format("{} -> {}", spell(o_.types, o_.types.types[oi].target),
                                spell(p_.types, p_.types.types[pi].target)));
    if (ol.size != pl.size)
      out.push_back(fmt::format("size {} -> {}", ol.size, pl.size));
    if (ol.alignment != pl.alignment)
      out.push_back(fmt::format("alignment {} -> {}", ol.alignment, pl.alignment));
    if (out.empty())
      out.push_back("scalar layout differs");
    return fmt::format("{}", fmt::join(out, ", "));
  }

  void member_changes(uint32_t oi, uint32_t pi, std::vector<std::string> &out) {
    std::vector<FlatMember> om, pm;
    flat_members(o_.types, oi, 0, om, 0);
    flat_members(p_.types, pi, 0, pm, 0);
    std::unordered_map<std::string, const FlatMember *> now;
    for (const FlatMember &m : pm)
      now.emplace(m.name, &m);
    std::unordered_map<std::string, bool> before;
    for (const FlatMember &m : om) {
      before.emplace(m.name, true);
      auto it = now.find(m.name);
      if (it == now.end()) {
        out.push_back(fmt::format("member {} removed", m.name));
        continue;
      }
      const FlatMember &n = *it->second;
      bool moved = m.offset != n.offset || m.size != n.size || m.bit_offset != n.bit_offset ||
                   m.bit_size != n.bit_size;
      bool retyped = !moved && !m.bit_size && !(o_.flat.layout(m.type) == p_.flat.layout(n.type));
      if (moved)
        out.push_back(fmt::format("member {} {} -> {}", m.name, place(m), place(n)));
      else if (retyped)
        out.push_back(fmt::format("member {} {} -> {} ({} -> {})", m.name, place(m), place(n),
                                  spell(o_.types, m.type), spell(p_.types, n.type)));
    }
    for (const FlatMember &n : pm)
      if (!before.count(n.name))
        out.push_back(fmt::format("member {} added at {}", n.name, place(n)));
  }

  // Same layout: which member names or types differ, "old -> new".
  std::string spelling_changes(uint32_t oi, uint32_t pi) {
    if (!has_members(o_.types, oi) || !has_members(p_.types, pi)) {
      std::string a = spell(o_.types, o_.types.types[oi].target);
      std::string b = spell(p_.types, p_.types.types[pi].target);
      return a == b ? "" : a + " -> " + b;
    }
    std::vector<FlatMember> om, pm;
    flat_members(o_.types, oi, 0, om, 0);
    flat_members(p_.types, pi, 0, pm, 0);
    std::vector<std::string> was, is;
    for (size_t i = 0; i < std::max(om.size(), pm.size()); ++i) {
      std::string a = i < om.size() ? spell(o_.types, om[i].type) + " " + om[i].name : "";
      std::string b = i < pm.size() ? spell(p_.types, pm[i].type) + " " + pm[i].name : "";
      if (a != b) {
        if (!a.empty())
          was.push_back(a);
        if (!b.empty())
          is.push_back(b);
      }
    }
    if (was.empty() && is.empty())
      return "";
    return fmt::format("{} -> {}", fmt::join(was, "; "), fmt::join(is, "; "));
  }

  void compare_variables() {
    for (uint32_t pi = 0; pi < p_.types.variables.size(); ++pi) {
      const elf::DwarfVariable &pv = p_.types.variables[pi];
      std::string key = Side::variable_key(pv);
      if (p_.variables.at(key) != pi)
        continue;
      auto it = o_.variables.find(key);
      if (it == o_.variables.end())
        continue;
      const elf::DwarfVariable &ov = o_.types.variables[it->second];
      std::string was = spell(o_.types, ov.type), is = spell(p_.types, pv.type);
      bool same = o_.flat.layout(ov.type) == p_.flat.layout(pv.type);
      Finding f{"variable " + pv.name, "",
                pv.decl_file.empty() ? "?" : fmt::format("{}:{}", pv.decl_file, pv.decl_line),
                "", same, kNoType, pv.name};
      if (same) {
        if (was == is)
          continue;
        f.details = was + " -> " + is;
      } else {
        if (covered(ov.type, pv.type))
          continue;
        const Layout &ol = o_.flat.layout(ov.type), &pl = p_.flat.layout(pv.type);
        std::vector<std::string> parts;
        if (was != is)
          parts.push_back(was + " -> " + is);
        if (ol.size != pl.size)
          parts.push_back(fmt::format("size {} -> {}", ol.size, pl.size));
        if (parts.empty())
          parts.push_back("scalar layout differs");
        f.details = fmt::format("{}", fmt::join(parts, ", "));
      }
      findings_.push_back(std::move(f));
    }
  }

  Side o_, p_;
  std::vector<std::pair<uint32_t, uint32_t>> pairs_;
  std::unordered_set<uint32_t> matched_o_, paired_p_;
  std::vector<Finding> findings_;
};

// ---------------------------------------------------------------------------
// Dependencies: which changed and new functions reach a type or variable.

class Dependencies {
public:
  Dependencies(const DwarfTypes &p, const Verdict &v) : p_(p) {
    for (const Unit *u : v.changed)
      add_function(u, std::string(u->twin ? u->twin->name() : u->name()));
    for (const Unit *u : v.added)
      add_function(u, std::string(u->name()));
    for (uint32_t i = 0; i < p.functions.size(); ++i)
      dwarf_functions_[p.functions[i].name].push_back(i);
    for (uint32_t i = 0; i < p.variables.size(); ++i)
      variables_[p.variables[i].name].push_back(i);
  }

  std::vector<std::string> users(const Finding &f) {
    std::vector<std::string> out;
    for (Function &fn : functions_)
      if (uses(fn, f))
        out.push_back(fn.display);
    return out;
  }

private:
  struct Function {
    const Unit *unit;
    std::string display;
    std::optional<std::unordered_set<std::string>> reached; // type keys
    std::vector<std::string> referenced;                     // symbol names
  };

  void add_function(const Unit *u, std::string display) {
    Function f{u, std::move(display), std::nullopt, {}};
    auto refs_of = [&](const Unit *x) {
      for (const Ref &r : x->refs)
        if (r.sym && (r.kind == RefKind::Named || r.kind == RefKind::External))
          f.referenced.push_back(base_name(r.unit ? r.unit->name() : r.sym->name));
    };
    refs_of(u);
    for (const Unit *c : u->children)
      refs_of(c);
    functions_.push_back(std::move(f));
  }

  // foo.isra.0 -> foo, count.3 -> count
  static std::string base_name(std::string_view n) {
    return std::string(n.substr(0, n.find('.')));
  }

  // Named type keys reachable from `roots`.
  void reach(const std::vector<uint32_t> &roots, std::unordered_set<std::string> &keys) {
    std::vector<uint32_t> work(roots.begin(), roots.end());
    std::unordered_set<uint32_t> seen;
    while (!work.empty()) {
      uint32_t i = work.back();
      work.pop_back();
      if (i == kNoType || !seen.insert(i).second)
        continue;
      const DwarfType &d = p_.types[i];
      if (!d.name.empty() && !kind_word(d.kind).empty())
        keys.insert(kind_word(d.kind) + " " + d.name);
      work.push_back(d.target);
      for (const TypeMember &m : d.members)
        work.push_back(m.type);
    }
  }

  const std::unordered_set<std::string> &reached(Function &fn) {
    if (!fn.reached) {
      fn.reached.emplace();
      std::vector<uint32_t> roots;
      if (auto it = dwarf_functions_.find(base_name(fn.unit->name()));
          it != dwarf_functions_.end())
        for (uint32_t i : it->second)
          roots.insert(roots.end(), p_.functions[i].types.begin(), p_.functions[i].types.end());
      for (const std::string &name : fn.referenced)
        if (auto it = variables_.find(name); it != variables_.end())
          for (uint32_t i : it->second)
            roots.push_back(p_.variables[i].type);
      reach(roots, *fn.reached);
    }
    return *fn.reached;
  }

  bool uses(Function &fn, const Finding &f) {
    if (!f.variable.empty())
      return std::find(fn.referenced.begin(), fn.referenced.end(), f.variable) !=
             fn.referenced.end();
    return reached(fn).count(f.type) > 0;
  }

  const DwarfTypes &p_;
  std::vector<Function> functions_;
  std::unordered_map<std::string, std::vector<uint32_t>> dwarf_functions_;
  std::unordered_map<std::string, std::vector<uint32_t>> variables_;
};

std::string users_text(const std::vector<std::string> &users) {
  return users.empty() ? "none" : fmt::format("{}", fmt::join(users, ", "));
}

// Which file holds a side's DWARF: the -g side object, or the object itself
// when it carries .debug_info. Empty: none.
std::string dwarf_source(const std::string &side_object, const Analysis &a) {
  if (!side_object.empty())
    return side_object;
  return a.obj.section_named(".debug_info") ? a.path : "";
}

} // namespace

bool check_type_layouts(Analysis &orig, Analysis &patched, const Options &o, Verdict &v,
                        Result &res, Log &log) {
  if (v.changed.empty() && v.added.empty())
    return true;
  std::string osrc = dwarf_source(o.original_debug, orig);
  std::string psrc = dwarf_source(o.patched_debug, patched);
  std::vector<Marker> markers = read_markers(patched);
  std::optional<elf::DwarfTypes> ot, pt;
  if (!osrc.empty())
    ot = elf::read_dwarf_types(osrc);
  if (!psrc.empty())
    pt = elf::read_dwarf_types(psrc);
  if (!ot || !pt) {
    if (!osrc.empty() || !psrc.empty())
      log.normal(fmt::format("WARNING: no DWARF type information in {}: type layouts not checked",
                             !ot ? (osrc.empty() ? orig.path : osrc) : (psrc.empty() ? patched.path : psrc)));
    for (const Marker &m : markers)
      log.normal(fmt::format("NOTICE: LIVEPATCH_LAYOUT_CHANGE_SAFE({}) not checked: no DWARF type "
                             "information",
                             m.type));
    return false;
  }
  std::vector<Finding> findings = Comparison(*ot, *pt).run();
  Dependencies deps(*pt, v);
  std::unordered_map<std::string, Marker *> marker_of;
  for (Marker &m : markers)
    marker_of.try_emplace(m.type, &m);
  for (const Finding &f : findings) {
    LayoutChange c{f.type, f.decl, "", f.details, "", {}};
    if (f.kept) {
      c.status = "kept";
      log.normal(fmt::format("layout kept: {}: {}", f.type, f.details));
      res.layout_changes.push_back(std::move(c));
      continue;
    }
    c.functions = deps.users(f);
    auto m = f.marker.empty() ? marker_of.end() : marker_of.find(f.marker);
    if (m != marker_of.end()) {
      m->second->used = true;
      c.status = "accepted";
      c.reason = m->second->reason;
      log.normal(fmt::format("layout change accepted: {}: {}", f.type, c.reason));
    } else {
      c.status = "refused";
      v.refusals.push_back({fmt::format("type layout changed: {} ({}): {}; used by changed "
                                        "functions: {}",
                                        f.type, f.decl, f.details, users_text(c.functions)),
                            "", ""});
    }
    res.layout_changes.push_back(std::move(c));
  }
  for (const Marker &m : markers)
    if (!m.used)
      log.normal(fmt::format("NOTICE: no layout change detected in {}, unnecessary "
                             "LIVEPATCH_LAYOUT_CHANGE_SAFE()?",
                             m.type));
  return true;
}

Json layout_changes_json(const Result &r) {
  Json out = Json::array();
  for (const LayoutChange &c : r.layout_changes)
    out.push_back({{"type", c.type},
                   {"decl", c.decl},
                   {"status", c.status},
                   {"details", c.details},
                   {"reason", c.reason},
                   {"functions", c.functions}});
  return out;
}

} // namespace lp::diff
