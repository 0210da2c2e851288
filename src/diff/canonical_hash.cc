// Canonical hashes: one number per function or object that is equal in the
// original and patched objects exactly when the unit means the same thing.
//
// Raw bytes are not enough: every relocated field holds zeros or an addend
// whose meaning depends on symbol numbering and layout. So the hash covers
//
//   * the unit's bytes with every relocated field masked to zero, and
//   * for each relocation, its offset in the unit, its type and its meaning:
//       a unit of this object   -> correlation key + offset into the unit
//                                  (special statics: their contents instead)
//       an undefined symbol     -> its name + addend
//       a mergeable string      -> the string's contents
//       a mergeable constant    -> the constant's bytes
//       an anonymous section    -> its name without numbering, the offset,
//                                  and the section's own canonical hash
//       fixup / replacement code-> the referenced range's canonical hash
//   * for a function, the hashes of its .cold parts and of the special-section
//     entries it owns (alternatives, exception fixups, bug-frame strings; the
//     __LINE__ bits of bug frames are not part of any meaning).
//
// Hashes are computed once per object, in one pass over its units; comparing
// two functions is then a compare of two integers (objtool's klp diff does
// the same). Bytes and links are kept apart so that line-number analysis can
// ask "same relocations, different bytes?".
#include "diff/engine.h"

#include <algorithm>
#include <cstring>
#include <elf.h>

namespace lp::diff {

void Hasher::bytes(const void *p, size_t n) {
  const auto *b = static_cast<const uint8_t *>(p);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, b + i, 8);
    h = (h ^ w) * 0x100000001b3ULL;
    h ^= h >> 29;
  }
  for (; i < n; ++i)
    h = (h ^ b[i]) * 0x100000001b3ULL;
}

void Hasher::u64(uint64_t v) {
  h = (h ^ v) * 0x100000001b3ULL;
  h ^= h >> 29;
}

uint64_t Hasher::value() const {
  uint64_t x = h;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

namespace {

unsigned field_size(uint32_t type) {
  switch (type) {
  case R_X86_64_NONE: return 0;
  case R_X86_64_64:
  case R_X86_64_PC64: return 8;
  default: return 4;
  }
}

// Bytes of [start, end) of `s` with the fields of `refs` masked, in a
// buffer each thread reuses (one hash per unit, entry and range: a new
// buffer each time was 6% of a batch's allocations).
void hash_masked(Hasher &h, const Section &s, uint64_t start, uint64_t end,
                 const std::vector<Ref> &refs) {
  h.u64(end - start);
  if (s.is_nobits())
    return;
  thread_local std::vector<uint8_t> buf;
  buf.assign(s.data.begin() + start, s.data.begin() + end);
  for (const Ref &r : refs) {
    uint64_t off = r.rela->offset;
    if (off < start || off >= end)
      continue;
    uint64_t n = std::min<uint64_t>(field_size(r.rela->type), end - off);
    std::memset(buf.data() + (off - start), 0, n);
  }
  h.bytes(buf.data(), buf.size());
}

std::vector<Ref> refs_in(Analysis &a, const Section &s, uint64_t start, uint64_t end) {
  std::vector<Ref> out;
  if (!s.rela)
    return out;
  for (const Rela &r : s.rela->relas)
    if (r.offset >= start && r.offset < end)
      out.push_back(resolve(a, s, r, 0, false));
  stable_sort_unless_sorted(out.begin(), out.end(), [](const Ref &x, const Ref &y) {
    return x.rela->offset < y.rela->offset;
  });
  return out;
}

uint64_t range_hash(Analysis &a, const Section &s, uint64_t start, uint64_t end, bool shallow);

uint64_t meaning(Analysis &a, const Ref &r, bool shallow) {
  Hasher h;
  h.u64(r.rela->type);
  switch (r.kind) {
  case RefKind::External:
    h.str("X");
    h.str(r.sym->name);
    h.u64(static_cast<uint64_t>(r.rela->addend));
    break;
  case RefKind::Named: {
    const Unit &u = *r.unit;
    if (u.special_static) {
      h.str("S");
      h.str(*special_static_prefix(u.name()));
      hash_masked(h, *u.section, u.start, u.end, u.refs);
    } else {
      h.str("N");
      h.str(u.key);
    }
    h.u64(r.at - u.start);
    break;
  }
  case RefKind::String:
    h.str("T");
    h.str(read_string(*r.target, r.at));
    break;
  case RefKind::Constant: {
    h.str("C");
    uint64_t n = r.target->entsize ? r.target->entsize : 1;
    uint64_t at = std::min<uint64_t>(r.at, r.target->data.size());
    h.bytes(r.target->data.data() + at, std::min<uint64_t>(n, r.target->data.size() - at));
    break;
  }
  case RefKind::Anonymous:
    h.str("A");
    h.str(strip_numbering(r.target->name));
    h.u64(r.at);
    if (!shallow && !is_companion_section(r.target->name)) {
      auto it = a.anonymous_hash.find(r.target);
      if (it == a.anonymous_hash.end()) {
        a.anonymous_hash[r.target] = 0; // cut cycles
        uint64_t v = range_hash(a, *r.target, 0, r.target->size, true);
        it = a.anonymous_hash.insert_or_assign(r.target, v).first;
      }
      h.u64(it->second);
    }
    break;
  }
  return h.value();
}

uint64_t range_hash(Analysis &a, const Section &s, uint64_t start, uint64_t end, bool shallow) {
  Hasher h;
  std::vector<Ref> refs = refs_in(a, s, start, end);
  hash_masked(h, s, start, end, refs);
  for (const Ref &r : refs) {
    h.u64(r.rela->offset - start);
    h.u64(meaning(a, r, shallow));
  }
  return h.value();
}

uint64_t entry_hash(Analysis &a, const Entry &e) {
  Hasher h;
  hash_masked(h, *e.section, e.start, e.start + e.size, e.refs);
  for (const Ref &r : e.refs) {
    h.u64(r.rela->offset - e.start);
    if (r.rela->offset == e.start + e.desc->owner_field && e.owner) {
      // where in the owner, not which owner (that is the owner itself)
      h.u64(r.at - (r.unit ? r.unit->start : 0));
      continue;
    }
    h.u64(meaning(a, r, false));
  }
  if (auto range = companion_range(a, e))
    h.u64(range_hash(a, *range->section, range->start, range->end, false));
  return h.value();
}

void hash_unit(Analysis &a, Unit &u) {
  Hasher bytes;
  hash_masked(bytes, *u.section, u.start, u.end, u.refs);
  u.bytes_hash = bytes.value();
  Hasher links;
  links.u64(u.section->is_nobits());
  for (const Ref &r : u.refs) {
    links.u64(r.rela->offset - u.start);
    links.u64(meaning(a, r, false));
  }
  for (const Unit *c : u.children) {
    links.str(strip_numbering(c->name()));
    links.u64(c->hash);
  }
  for (const Entry *e : u.entries) {
    links.str(e->section->name);
    links.u64(e->hash);
  }
  u.links_hash = links.value();
  Hasher all;
  all.u64(u.bytes_hash);
  all.u64(u.links_hash);
  u.hash = all.value();
}

} // namespace

uint64_t ref_meaning(Analysis &a, const Ref &r) { return meaning(a, r, false); }

uint64_t section_hash(Analysis &a, const Section &s) { return range_hash(a, s, 0, s.size, false); }

void hash_units(Analysis &a) {
  for (const auto &e : a.entries)
    e->hash = entry_hash(a, *e);
  // .cold parts first: their hashes are part of their parents'.
  for (const auto &u : a.units)
    if (u->parent)
      hash_unit(a, *u);
  for (const auto &u : a.units)
    if (!u->parent)
      hash_unit(a, *u);
}

} // namespace lp::diff
