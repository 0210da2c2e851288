// Output: the diff object, built from the inclusion in a fresh object model.
//
// Everything copied is a *range* of an input section placed into an output
// section: whole function and data sections, whole string/anonymous
// sections, kept .fixup / .altinstr_replacement ranges (compacted), and kept
// special-section entries (compacted). A relocation is carried over by
// looking its target up in the placement map: if the target byte was copied,
// the relocation points at the output section's symbol with the addend moved
// by the same distance as the range; otherwise the target is an unchanged
// unit of Xen and the relocation points at an undefined symbol spelled the
// way Xen's symbol table spells it (name, or file#name for statics, always
// the *original* object's name: a renumbered count.7 is Xen's count.3).
//
// Names in the output: a changed function keeps Xen's name (it overrides
// it); new statics become file#name; special statics (__func__.N) get a
// suffix derived from the owning function's Xen name and canonical hash, so
// stacked payloads never collide ("duplicate new symbol") and the same
// inputs give the same bytes. Hook data symbols are not emitted: hook
// entries point at the hook function's section symbol.
#include "diff/engine.h"

#include "elf/error.h"
#include "elf/image.h"

#include <algorithm>
#include <cstring>
#include <elf.h>
#include <fmt/format.h>
#include <map>

namespace lp::diff {

namespace {

struct Placed {
  uint64_t start, end;
  Section *out;
  uint64_t out_start;
};

uint64_t align_up(uint64_t v, uint64_t a) { return a <= 1 ? v : (v + a - 1) / a * a; }

class Builder {
public:
  explicit Builder(const OutputRequest &req, std::vector<Refusal> &refusals)
      : req_(req), refusals_(refusals) {
    out_.path = req.options->output;
  }
  Object run();

private:
  Section *new_section(const Section &like, std::string name);
  Section *rela_of(Section *s);
  Symbol *secsym(Section *s);
  void place(const Section *in, uint64_t start, uint64_t end, Section *out, uint64_t out_start);
  const Placed *placed_at(const Section *in, uint64_t at) const;
  Symbol *undefined(const std::string &name, bool local, const std::string &file);
  void copy_relas(const Section &in, uint64_t start, uint64_t end, Section *out,
                  uint64_t out_start, uint64_t entry_start, bool line_bits);
  void emit_reloc(Section *out, uint64_t offset, const Ref &r);
  void place_units();
  void place_whole_sections();
  void place_companions();
  void emit_special_sections();
  void emit_hooks();
  void emit_funcs();
  std::string special_static_name(const Unit &u);
  std::string output_name(const Unit &u);
  void emit_unit_symbols();
  void assemble_symbols();

  const OutputRequest &req_;
  std::vector<Refusal> &refusals_;
  Object out_;
  std::vector<std::pair<uint64_t, Section *>> ordered_; // (sort key, section)
  std::unordered_map<const Section *, std::vector<Placed>> placed_;
  std::unordered_map<Section *, Symbol *> secsyms_;
  std::unordered_map<Section *, Section *> relas_;
  std::map<std::string, Symbol *> undefined_;
  std::vector<std::unique_ptr<Symbol>> section_symbols_;
  std::map<std::string, std::vector<std::unique_ptr<Symbol>>> locals_by_file_;
  std::vector<std::unique_ptr<Symbol>> globals_;
  std::unordered_map<const Unit *, Symbol *> unit_symbols_;
  std::unordered_map<const Unit *, std::string> special_names_;
  uint64_t next_key_ = uint64_t(1) << 62;
};

Section *Builder::new_section(const Section &like, std::string name) {
  auto s = std::make_unique<Section>();
  s->name = std::move(name);
  s->type = like.type;
  s->flags = like.flags & ~static_cast<uint64_t>(SHF_GROUP);
  s->align = like.align;
  s->entsize = like.entsize;
  Section *p = s.get();
  out_.add_section(std::move(s));
  return p;
}

Section *Builder::rela_of(Section *s) {
  auto &slot = relas_[s];
  if (!slot) {
    auto r = std::make_unique<Section>();
    r->name = ".rela" + s->name;
    r->type = SHT_RELA;
    r->flags = SHF_INFO_LINK;
    r->align = 8;
    r->entsize = sizeof(Elf64_Rela);
    r->info = s;
    slot = r.get();
    s->rela = slot;
    out_.add_section(std::move(r));
  }
  return slot;
}

Symbol *Builder::secsym(Section *s) {
  auto &slot = secsyms_[s];
  if (!slot) {
    auto sym = std::make_unique<Symbol>();
    sym->type = STT_SECTION;
    sym->bind = STB_LOCAL;
    sym->section = s;
    slot = sym.get();
    s->secsym = slot;
    section_symbols_.push_back(std::move(sym));
  }
  return slot;
}

void Builder::place(const Section *in, uint64_t start, uint64_t end, Section *out,
                    uint64_t out_start) {
  auto &v = placed_[in];
  v.push_back({start, end, out, out_start});
  std::sort(v.begin(), v.end(), [](const Placed &a, const Placed &b) { return a.start < b.start; });
}

const Placed *Builder::placed_at(const Section *in, uint64_t at) const {
  auto it = placed_.find(in);
  if (it == placed_.end())
    return nullptr;
  // An offset belongs to the range holding it; one-past-the-end matches only at
  // the end of the section, or for an empty range (an alternative whose
  // replacement is zero bytes long still has a position in its section).
  for (const Placed &p : it->second) // a handful of ranges per section
    if (at >= p.start && (at < p.end || (at == p.end && (p.end == in->size || p.start == p.end))))
      return &p;
  return nullptr;
}

Symbol *Builder::undefined(const std::string &name, bool local, const std::string &file) {
  auto &slot = undefined_[name];
  if (!slot) {
    auto sym = std::make_unique<Symbol>();
    sym->name = name;
    sym->bind = local ? STB_LOCAL : STB_GLOBAL;
    sym->type = STT_NOTYPE;
    sym->shndx = SHN_UNDEF;
    slot = sym.get();
    if (local)
      locals_by_file_[file].push_back(std::move(sym));
    else
      globals_.push_back(std::move(sym));
  }
  return slot;
}

void Builder::emit_reloc(Section *out, uint64_t offset, const Ref &r) {
  Rela nr;
  nr.offset = offset;
  nr.type = r.rela->type;
  if (r.kind == RefKind::External) {
    nr.sym = undefined(r.sym->name, false, {});
    nr.addend = r.rela->addend;
  } else if (const Placed *p =
                 placed_at(r.target, r.kind == RefKind::Named ? r.unit->start : r.at)) {
    nr.sym = secsym(p->out);
    nr.addend = r.raw - static_cast<int64_t>(p->start) + static_cast<int64_t>(p->out_start);
  } else if (r.kind == RefKind::Named) {
    const Unit &u = r.unit->twin ? *r.unit->twin : *r.unit;
    std::string name = u.xen_name();
    if (!req_.xen->by_xen_name(name))
      throw FileError(req_.xen->path(), fmt::format("{} ({}) not found; is this the xen-syms the "
                                                    "original objects were linked into?",
                                                    name, u.global() ? "global" : "static"));
    nr.sym = undefined(name, !u.global(), u.file);
    nr.addend = r.raw - static_cast<int64_t>(r.unit->start);
  } else {
    throw FileError(req_.patched->path,
                    fmt::format("internal: reference from {} to {}+{:#x} has no target",
                                r.from->name, r.target->name, r.at));
  }
  rela_of(out)->relas.push_back(nr);
}

void Builder::copy_relas(const Section &in, uint64_t start, uint64_t end, Section *out,
                         uint64_t out_start, uint64_t entry_start, bool line_bits) {
  if (!in.rela)
    return;
  std::vector<const Rela *> v;
  for (const Rela &r : in.rela->relas)
    if (r.offset >= start && r.offset < end)
      v.push_back(&r);
  std::stable_sort(v.begin(), v.end(),
                   [](const Rela *a, const Rela *b) { return a->offset < b->offset; });
  for (const Rela *r : v)
    emit_reloc(out, r->offset - start + out_start,
               resolve(*req_.patched, in, *r, entry_start, line_bits));
}

void Builder::place_units() {
  for (const Unit *u : req_.inclusion->units) {
    if (u->function && !u->bundled)
      throw FileError(req_.patched->path,
                      fmt::format("function {} shares section {} with other code and cannot be "
                                  "extracted",
                                  u->name(), u->section->name));
    const Section &in = *u->section;
    std::string name = u->bundled ? in.name : in.name + "." + std::string(u->name());
    Section *s = new_section(in, name);
    if (in.is_nobits())
      s->size = u->size();
    else
      s->set_data({in.data.begin() + u->start, in.data.begin() + u->end});
    place(&in, u->start, u->end, s, 0);
    ordered_.push_back({(uint64_t(in.input_index) << 32) | (u->start & 0xffffffff), s});
  }
}

void Builder::place_whole_sections() {
  for (const Section *in : req_.inclusion->whole_sections) {
    Section *s = new_section(*in, in->name);
    if (in->is_nobits())
      s->size = in->size;
    else
      s->set_data(in->data);
    place(in, 0, in->size, s, 0);
    ordered_.push_back({uint64_t(in->input_index) << 32, s});
  }
}

void Builder::place_companions() {
  std::unordered_map<const Section *, Section *> outs;
  for (const Range &r : req_.inclusion->companions) {
    auto &s = outs[r.section];
    if (!s) {
      s = new_section(*r.section, r.section->name);
      ordered_.push_back({next_key_++, s});
    }
    uint64_t at = s->data.size();
    s->data.insert(s->data.end(), r.section->data.begin() + r.start, r.section->data.begin() + r.end);
    s->size = s->data.size();
    place(r.section, r.start, r.end, s, at);
  }
}

void Builder::emit_special_sections() {
  std::unordered_map<const Section *, Section *> outs;
  std::vector<std::pair<const Entry *, uint64_t>> at;
  for (const Entry *e : req_.inclusion->entries) {
    auto &s = outs[e->section];
    if (!s) {
      s = new_section(*e->section, e->section->name);
      ordered_.push_back({next_key_++, s});
    }
    uint64_t off = s->data.size();
    s->data.insert(s->data.end(), e->section->data.begin() + e->start,
                   e->section->data.begin() + e->start + e->size);
    s->size = s->data.size();
    at.push_back({e, off});
  }
  // Relocations after every range is placed (entries point into companions).
  for (auto [e, off] : at)
    copy_relas(*e->section, e->start, e->start + e->size, outs[e->section], off, e->start,
               e->desc->line_bits);
}

void Builder::emit_hooks() {
  for (const Hook &h : req_.inclusion->hooks) {
    Section *s = new_section(*h.section, h.section->name);
    s->align = std::max<uint64_t>(s->align, 8);
    s->set_data(std::vector<uint8_t>(8 * h.refs.size(), 0));
    ordered_.push_back({next_key_++, s});
    for (size_t i = 0; i < h.refs.size(); ++i)
      emit_reloc(s, 8 * i, h.refs[i]);
  }
}

std::string Builder::special_static_name(const Unit &u) {
  auto it = special_names_.find(&u);
  if (it != special_names_.end())
    return it->second;
  // The owner: the first included function (in output order) that uses it.
  const Unit *owner = nullptr;
  size_t ordinal = 0;
  for (const Unit *f : req_.inclusion->units) {
    if (!f->function)
      continue;
    size_t n = 0;
    for (const Ref &r : f->refs) {
      if (r.unit && r.unit->special_static) {
        if (r.unit == &u) {
          owner = f;
          ordinal = n;
          break;
        }
        ++n;
      }
    }
    if (owner)
      break;
  }
  Hasher h;
  h.str(owner ? (owner->twin ? owner->twin->xen_name() : owner->xen_name()) : u.xen_name());
  h.u64(owner ? owner->hash : u.hash);
  h.u64(ordinal);
  h.u64(u.hash);
  std::string name = fmt::format("{}.{:08x}", *special_static_prefix(u.name()),
                                 static_cast<uint32_t>(h.value()));
  special_names_.emplace(&u, name);
  return name;
}

std::string Builder::output_name(const Unit &u) {
  if (u.twin)
    return u.twin->xen_name();
  std::string base = u.special_static ? special_static_name(u) : std::string(u.name());
  if (u.global())
    return base;
  std::string name = u.file.empty() ? base : u.file + "#" + base;
  if (req_.xen->by_xen_name(name)) {
    // A new static whose gcc-assigned name Xen already uses for another one.
    Hasher h;
    h.str(name);
    h.u64(u.hash);
    name += fmt::format(".{:08x}", static_cast<uint32_t>(h.value()));
  }
  return name;
}

void Builder::emit_unit_symbols() {
  for (const Unit *u : req_.inclusion->units) {
    if (u->parent)
      continue; // .cold parts are reached through their section symbol
    const Placed *p = placed_at(u->section, u->start);
    auto sym = std::make_unique<Symbol>();
    sym->name = output_name(*u);
    sym->bind = u->sym->bind;
    sym->type = u->sym->type;
    sym->other = u->sym->other;
    sym->section = p->out;
    sym->value = u->sym->value - p->start + p->out_start;
    sym->size = u->sym->size;
    unit_symbols_[u] = sym.get();
    if (sym->is_local())
      locals_by_file_[u->file].push_back(std::move(sym));
    else
      globals_.push_back(std::move(sym));
  }
}

void Builder::emit_funcs() {
  const auto &changed = req_.verdict->changed;
  if (changed.empty())
    return;
  Section like;
  like.type = SHT_PROGBITS;
  like.flags = SHF_ALLOC;
  like.align = 1;
  like.entsize = 1;
  Section *strings = new_section(like, ".livepatch.strings");
  like.align = 8;
  like.entsize = 104;
  if (req_.release->funcs_writable) // Xen 4.18 writes per-function state here
    like.flags |= SHF_WRITE;
  Section *funcs = new_section(like, ".livepatch.funcs");
  std::vector<uint8_t> data(104 * changed.size(), 0);
  std::unordered_map<std::string, uint64_t> string_at;
  for (size_t i = 0; i < changed.size(); ++i) {
    const Unit &f = *changed[i];
    const Unit &old = *f.twin;
    std::string name = old.xen_name();
    const elf::ImageSymbol *xs = req_.xen->by_xen_name(name);
    if (!xs)
      throw FileError(req_.xen->path(), old.global() ? fmt::format("lookup_global_symbol {}", name)
                                                     : fmt::format("lookup_local_symbol {} ({})",
                                                                   old.name(), old.file));
    req_.log->debug(fmt::format("lookup for {} @ {:#x} len {}", name, xs->address, xs->size));
    uint64_t old_size = align_up(xs->size, f.section->align);
    auto first = req_.xen->read(xs->address, 4);
    static const uint8_t kEndbr64[4] = {0xf3, 0x0f, 0x1e, 0xfa};
    bool endbr = first && std::memcmp(first->data(), kEndbr64, 4) == 0;
    uint64_t needed = endbr ? 9 : 5;
    if (old_size < needed)
      refusals_.push_back({fmt::format("{} too small to patch ({} bytes in xen-syms{}, need {})",
                                       name, old_size, endbr ? ", starts with ENDBR64" : "",
                                       needed),
                           name, {}});
    auto [it, fresh] = string_at.try_emplace(name, strings->data.size());
    if (fresh) {
      strings->data.insert(strings->data.end(), name.begin(), name.end());
      strings->data.push_back(0);
    }
    uint8_t *e = data.data() + 104 * i;
    uint64_t old_addr = req_.options->resolve ? xs->address : 0;
    uint32_t new_size = static_cast<uint32_t>(f.sym->size ? f.sym->size : f.size());
    uint32_t osz = static_cast<uint32_t>(old_size);
    std::memcpy(e + 16, &old_addr, 8);
    std::memcpy(e + 24, &new_size, 4);
    std::memcpy(e + 28, &osz, 4);
    e[32] = 2;
    if (auto x = req_.expectations->find(&f); x != req_.expectations->end()) {
      e[72] = static_cast<uint8_t>(1 | (x->second.len << 1));
      std::memcpy(e + 73, x->second.data, x->second.len);
    }
    rela_of(funcs)->relas.push_back({104 * i, R_X86_64_64, secsym(strings),
                                     static_cast<int64_t>(it->second)});
    rela_of(funcs)->relas.push_back({104 * i + 8, R_X86_64_64, unit_symbols_.at(&f), 0});
  }
  strings->size = strings->data.size();
  funcs->set_data(std::move(data));
  ordered_.push_back({next_key_++, strings});
  ordered_.push_back({next_key_++, funcs});
}

void Builder::assemble_symbols() {
  std::vector<std::unique_ptr<Symbol>> all;
  for (auto &s : section_symbols_)
    all.push_back(std::move(s));
  // FILE symbols in the patched object's order, each followed by its statics.
  std::vector<std::string> files = req_.patched->files;
  for (const auto &[file, v] : locals_by_file_)
    if (!file.empty() && std::find(files.begin(), files.end(), file) == files.end())
      files.push_back(file);
  if (auto it = locals_by_file_.find(""); it != locals_by_file_.end())
    for (auto &s : it->second)
      all.push_back(std::move(s));
  for (const auto &file : files) {
    auto f = std::make_unique<Symbol>();
    f->name = file;
    f->type = STT_FILE;
    f->bind = STB_LOCAL;
    f->shndx = SHN_ABS;
    all.push_back(std::move(f));
    auto it = locals_by_file_.find(file);
    if (it == locals_by_file_.end())
      continue;
    std::stable_partition(it->second.begin(), it->second.end(),
                          [](const auto &s) { return !s->is_undefined(); });
    for (auto &s : it->second)
      all.push_back(std::move(s));
  }
  std::stable_partition(globals_.begin(), globals_.end(),
                        [](const auto &s) { return !s->is_undefined(); });
  for (auto &s : globals_)
    all.push_back(std::move(s));
  out_.symbols = std::move(all);
}

Object Builder::run() {
  const Object &in = req_.patched->obj;
  out_.e_type = ET_REL;
  out_.e_machine = in.e_machine;
  out_.osabi = in.osabi;
  out_.e_flags = in.e_flags;
  place_units();
  place_whole_sections();
  place_companions();
  // Units' and whole sections' own relocations.
  for (const Unit *u : req_.inclusion->units)
    copy_relas(*u->section, u->start, u->end, placed_at(u->section, u->start)->out, 0, 0, false);
  for (const Section *s : req_.inclusion->whole_sections)
    copy_relas(*s, 0, s->size, placed_at(s, 0)->out, 0, 0, false);
  for (const Range &r : req_.inclusion->companions) {
    const Placed *p = placed_at(r.section, r.start);
    copy_relas(*r.section, r.start, r.end, p->out, p->out_start, 0, false);
  }
  emit_special_sections();
  emit_hooks();
  emit_unit_symbols();
  emit_funcs();
  // Section order: copied sections in input order, then generated ones.
  std::stable_sort(ordered_.begin(), ordered_.end(),
                   [](const auto &a, const auto &b) { return a.first < b.first; });
  std::unordered_map<Section *, std::unique_ptr<Section>> owned;
  for (auto &s : out_.sections)
    owned[s.get()] = std::move(s);
  out_.sections.clear();
  for (auto &[key, s] : ordered_) {
    out_.sections.push_back(std::move(owned[s]));
    secsym(s);
    if (s->rela)
      out_.sections.push_back(std::move(owned[s->rela]));
  }
  // Section symbols in section order.
  std::unordered_map<const Section *, size_t> slot;
  for (size_t i = 0; i < section_symbols_.size(); ++i)
    slot[section_symbols_[i]->section] = i;
  std::vector<std::unique_ptr<Symbol>> syms;
  for (const auto &s : out_.sections)
    if (auto it = slot.find(s.get()); it != slot.end())
      syms.push_back(std::move(section_symbols_[it->second]));
  section_symbols_ = std::move(syms);
  assemble_symbols();
  out_.reindex();
  return std::move(out_);
}

} // namespace

Object build_output(const OutputRequest &req, std::vector<Refusal> &refusals) {
  Builder b(req, refusals);
  return b.run();
}

} // namespace lp::diff
