// Reading a translation unit's types from DWARF, through libdw.
//
// The file is opened with OfflineDwarf (dwarf.h), so a relocatable object's
// .debug_info has its relocations applied. Each compilation unit is walked
// once:
//
//   - its top-level DIEs give the file-scope types and variables, and the
//     functions (DW_TAG_subprogram with a body or an abstract instance);
//   - inside a function every DIE that names a type (parameters, locals,
//     inlined subroutines and their parameters, through DW_AT_abstract_origin)
//     adds that type to the function's list, and a variable whose location is
//     a fixed address (DW_OP_addr) is a static local;
//   - a type is read when first referenced, through a work list rather than
//     recursion (Xen's type graph is deep: struct domain reaches most of it).
//
// Types are numbered by DIE offset, so each DIE is read once. Sizes that DWARF
// leaves implicit (typedefs, qualified types, arrays) are computed afterwards
// from their targets. Declaring files are made relative to the unit's
// compilation directory, so builds of the same tree in two folders name the
// same header the same way.
#include "elf/dwarf_types.h"

#include "elf/dwarf.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <filesystem>
#include <unordered_map>

namespace lp::elf {
namespace {

struct KindOfTag {
  int tag;
  TypeKind kind;
  const char *qualifier;
};

constexpr KindOfTag kTypeTags[] = {
    {DW_TAG_base_type, TypeKind::Base, ""},
    {DW_TAG_structure_type, TypeKind::Struct, ""},
    {DW_TAG_union_type, TypeKind::Union, ""},
    {DW_TAG_enumeration_type, TypeKind::Enum, ""},
    {DW_TAG_typedef, TypeKind::Typedef, ""},
    {DW_TAG_pointer_type, TypeKind::Pointer, ""},
    {DW_TAG_array_type, TypeKind::Array, ""},
    {DW_TAG_const_type, TypeKind::Qualified, "const"},
    {DW_TAG_volatile_type, TypeKind::Qualified, "volatile"},
    {DW_TAG_restrict_type, TypeKind::Qualified, "restrict"},
    {DW_TAG_atomic_type, TypeKind::Qualified, "_Atomic"},
    {DW_TAG_subroutine_type, TypeKind::Function, ""},
    {DW_TAG_unspecified_type, TypeKind::Void, ""},
};

const KindOfTag *type_tag(int tag) {
  for (const KindOfTag &k : kTypeTags)
    if (k.tag == tag)
      return &k;
  return nullptr;
}

std::optional<uint64_t> udata(Dwarf_Die *die, int name) {
  Dwarf_Attribute attr;
  Dwarf_Word value = 0;
  if (!dwarf_attr_integrate(die, name, &attr) || dwarf_formudata(&attr, &value) != 0)
    return std::nullopt;
  return value;
}

int64_t constant(Dwarf_Die *die) {
  Dwarf_Attribute attr;
  if (!dwarf_attr(die, DW_AT_const_value, &attr))
    return 0;
  unsigned form = dwarf_whatform(&attr);
  if (form == DW_FORM_sdata || form == DW_FORM_implicit_const) {
    Dwarf_Sword v = 0;
    dwarf_formsdata(&attr, &v);
    return v;
  }
  Dwarf_Word v = 0;
  dwarf_formudata(&attr, &v);
  return static_cast<int64_t>(v);
}

// DW_AT_data_member_location: a constant (DWARF 4/5) or DW_OP_plus_uconst.
uint64_t member_location(Dwarf_Die *die) {
  Dwarf_Attribute attr;
  if (!dwarf_attr(die, DW_AT_data_member_location, &attr))
    return 0;
  Dwarf_Word value = 0;
  if (dwarf_formudata(&attr, &value) == 0)
    return value;
  Dwarf_Op *ops = nullptr;
  size_t n = 0;
  if (dwarf_getlocation(&attr, &ops, &n) == 0 && n == 1 && ops[0].atom == DW_OP_plus_uconst)
    return ops[0].number;
  return 0;
}

bool has_fixed_address(Dwarf_Die *die) {
  Dwarf_Attribute attr;
  if (!dwarf_attr(die, DW_AT_location, &attr))
    return false;
  Dwarf_Op *ops = nullptr;
  size_t n = 0;
  return dwarf_getlocation(&attr, &ops, &n) == 0 && n >= 1 && ops[0].atom == DW_OP_addr;
}

std::string name_of(Dwarf_Die *die) {
  const char *n = dwarf_diename(die);
  return n ? n : "";
}

std::string relative_to(const std::string &file, const std::string &dir) {
  std::filesystem::path p(file);
  if (!dir.empty() && file.size() > dir.size() + 1 && file.compare(0, dir.size(), dir) == 0 &&
      file[dir.size()] == '/')
    p = file.substr(dir.size() + 1);
  return p.lexically_normal().string();
}

class Reader {
public:
  Reader(Dwarf *dw, DwarfTypes &out) : dw_(dw), out_(out) {}

  void unit(Dwarf_Die *cu) {
    Dwarf_Attribute attr;
    const char *dir = dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &attr));
    comp_dir_ = dir ? dir : "";
    Dwarf_Die child;
    if (dwarf_child(cu, &child) != 0)
      return;
    do {
      int tag = dwarf_tag(&child);
      if (type_tag(tag)) {
        uint32_t t = index_of(&child);
        pending_scope_.push_back(t);
      } else if (tag == DW_TAG_variable) {
        variable(&child, true);
      } else if (tag == DW_TAG_subprogram && !dwarf_hasattr(&child, DW_AT_declaration)) {
        function(&child);
      }
    } while (dwarf_siblingof(&child, &child) == 0);
    drain();
  }

  void finish() {
    for (uint32_t t : pending_scope_)
      out_.types[t].file_scope = true;
    sizes_done_.assign(out_.types.size(), false);
    for (uint32_t t = 0; t < out_.types.size(); ++t)
      size_of(t, 0);
  }

private:
  uint32_t index_of(Dwarf_Die *die) {
    Dwarf_Off off = dwarf_dieoffset(die);
    auto [it, fresh] = index_.try_emplace(off, static_cast<uint32_t>(out_.types.size()));
    if (fresh) {
      out_.types.emplace_back();
      out_.types.back().file_scope = false;
      work_.push_back({off, it->second});
    }
    return it->second;
  }

  uint32_t type_ref(Dwarf_Die *die) {
    Dwarf_Attribute attr;
    Dwarf_Die target;
    if (!dwarf_attr_integrate(die, DW_AT_type, &attr) || !dwarf_formref_die(&attr, &target))
      return kNoType;
    if (!type_tag(dwarf_tag(&target)))
      return kNoType;
    return index_of(&target);
  }

  void decl(Dwarf_Die *die, std::string &file, int &line) {
    const char *f = dwarf_decl_file(die);
    file = f ? relative_to(f, comp_dir_) : "";
    line = 0;
    dwarf_decl_line(die, &line);
  }

  void variable(Dwarf_Die *die, bool file_scope, const std::string &function = "") {
    DwarfVariable v;
    v.name = name_of(die);
    if (v.name.empty())
      return;
    v.type = type_ref(die);
    decl(die, v.decl_file, v.decl_line);
    v.declaration = dwarf_hasattr(die, DW_AT_declaration);
    v.file_scope = file_scope;
    v.function = function;
    out_.variables.push_back(std::move(v));
  }

  void function(Dwarf_Die *die) {
    DwarfFunction f;
    f.name = name_of(die);
    if (uint32_t t = type_ref(die); t != kNoType)
      f.types.push_back(t);
    collect(die, f, 0);
    if (!f.name.empty())
      out_.functions.push_back(std::move(f));
  }

  // Types named inside a function, and its static locals.
  void collect(Dwarf_Die *die, DwarfFunction &f, int depth) {
    Dwarf_Die child;
    if (depth > 64 || dwarf_child(die, &child) != 0)
      return;
    do {
      int tag = dwarf_tag(&child);
      if (type_tag(tag)) {
        index_of(&child); // a function-local type: read, never compared
        continue;
      }
      if (tag == DW_TAG_variable && has_fixed_address(&child))
        variable(&child, false, f.name);
      if (uint32_t t = type_ref(&child); t != kNoType)
        f.types.push_back(t);
      collect(&child, f, depth + 1);
    } while (dwarf_siblingof(&child, &child) == 0);
  }

  struct Pending {
    Dwarf_Off off;
    uint32_t index;
  };

  void drain() {
    while (!work_.empty()) {
      Pending p = work_.back();
      work_.pop_back();
      Dwarf_Die die;
      if (!dwarf_offdie(dw_, p.off, &die))
        continue;
      read_type(&die, p.index);
    }
  }

  void read_type(Dwarf_Die *die, uint32_t index) {
    DwarfType t;
    const KindOfTag *k = type_tag(dwarf_tag(die));
    t.kind = k->kind;
    t.qualifier = k->qualifier;
    t.name = name_of(die);
    decl(die, t.decl_file, t.decl_line);
    t.declaration = dwarf_hasattr(die, DW_AT_declaration);
    if (auto size = udata(die, DW_AT_byte_size)) {
      t.size = *size;
      t.sized = true;
    }
    t.alignment = udata(die, DW_AT_alignment).value_or(0);
    t.encoding = static_cast<unsigned>(udata(die, DW_AT_encoding).value_or(0));
    if (t.kind != TypeKind::Struct && t.kind != TypeKind::Union && t.kind != TypeKind::Enum)
      t.target = type_ref(die);
    children(die, t);
    bool scope = out_.types[index].file_scope;
    out_.types[index] = std::move(t);
    out_.types[index].file_scope = scope;
  }

  void children(Dwarf_Die *die, DwarfType &t) {
    Dwarf_Die child;
    if (dwarf_child(die, &child) != 0)
      return;
    do {
      switch (dwarf_tag(&child)) {
      case DW_TAG_member:
        t.members.push_back(member(&child));
        break;
      case DW_TAG_enumerator:
        t.enumerators.push_back({name_of(&child), constant(&child)});
        break;
      case DW_TAG_subrange_type:
        t.counts.push_back(count(&child));
        break;
      default:
        break;
      }
    } while (dwarf_siblingof(&child, &child) == 0);
  }

  TypeMember member(Dwarf_Die *die) {
    TypeMember m;
    m.name = name_of(die);
    m.type = type_ref(die);
    m.offset = member_location(die);
    if (auto bits = udata(die, DW_AT_bit_size)) {
      m.bit_size = static_cast<uint32_t>(*bits);
      if (auto data_bit = udata(die, DW_AT_data_bit_offset)) {
        m.bit_offset = *data_bit; // DWARF 5
      } else {
        // DWARF 4, little-endian: DW_AT_bit_offset counts from the storage
        // unit's most significant bit.
        uint64_t unit = udata(die, DW_AT_byte_size).value_or(0);
        uint64_t from_msb = udata(die, DW_AT_bit_offset).value_or(0);
        m.bit_offset = m.offset * 8 + unit * 8 - from_msb - m.bit_size;
      }
      m.offset = m.bit_offset / 8;
    }
    return m;
  }

  static uint64_t count(Dwarf_Die *die) {
    if (auto c = udata(die, DW_AT_count))
      return *c;
    Dwarf_Attribute attr;
    Dwarf_Word upper = 0;
    if (dwarf_attr(die, DW_AT_upper_bound, &attr) && dwarf_formudata(&attr, &upper) == 0 &&
        dwarf_whatform(&attr) != DW_FORM_exprloc)
      return upper + 1;
    return 0;
  }

  // Implicit sizes: typedefs and qualified types take their target's, arrays
  // multiply. Depth-limited against malformed cycles.
  std::optional<uint64_t> size_of(uint32_t index, int depth) {
    if (index == kNoType || depth > 256)
      return std::nullopt;
    DwarfType &t = out_.types[index];
    if (sizes_done_[index] || t.sized)
      return t.sized ? std::optional<uint64_t>(t.size) : std::nullopt;
    sizes_done_[index] = true;
    std::optional<uint64_t> size;
    switch (t.kind) {
    case TypeKind::Typedef:
    case TypeKind::Qualified:
      size = size_of(t.target, depth + 1);
      break;
    case TypeKind::Array:
      size = size_of(t.target, depth + 1);
      for (uint64_t c : t.counts)
        size = size && c ? std::optional<uint64_t>(*size * c) : std::nullopt;
      break;
    default:
      break;
    }
    DwarfType &again = out_.types[index];
    if (size) {
      again.size = *size;
      again.sized = true;
    }
    return size;
  }

  Dwarf *dw_;
  DwarfTypes &out_;
  std::string comp_dir_;
  std::unordered_map<Dwarf_Off, uint32_t> index_;
  std::vector<Pending> work_;
  std::vector<uint32_t> pending_scope_;
  std::vector<bool> sizes_done_;
};

} // namespace

std::optional<DwarfTypes> read_dwarf_types(const std::string &elf_path) {
  OfflineDwarf file(elf_path);
  Dwarf *dw = file.dwarf();
  if (!dw)
    return std::nullopt;
  DwarfTypes out;
  out.path = elf_path;
  Reader reader(dw, out);
  Dwarf_Off off = 0, next = 0;
  size_t header_size = 0;
  bool any = false;
  while (dwarf_nextcu(dw, off, &next, &header_size, nullptr, nullptr, nullptr) == 0) {
    Dwarf_Die cu;
    if (dwarf_offdie(dw, off + header_size, &cu)) {
      reader.unit(&cu);
      any = true;
    }
    off = next;
  }
  if (!any)
    return std::nullopt;
  reader.finish();
  return out;
}

} // namespace lp::elf
