// Prelinking against xen-syms (see prelink.h).
#include "payload/prelink.h"

#include "elf/error.h"

#include <elf.h>
#include <fmt/format.h>

namespace lp::payload {
namespace {

const elf::ImageSymbol *resolve(const elf::Symbol &sym, const elf::LinkedImage &xen) {
  if (const elf::ImageSymbol *hit = xen.by_xen_name(sym.name))
    return hit;
  if (sym.is_local() && sym.file)
    return xen.local(sym.file->name, sym.name);
  return nullptr;
}

} // namespace

std::vector<PrelinkedSymbol> prelink(elf::Object &obj, const elf::LinkedImage &xen) {
  std::vector<PrelinkedSymbol> done;
  for (const auto &sym : obj.symbols) {
    if (!sym->is_undefined() || sym->name.empty())
      continue;
    const elf::ImageSymbol *hit = resolve(*sym, xen);
    if (!hit)
      throw FileError(obj.path, fmt::format("symbol '{}' not found in {}", sym->name, xen.path()));
    sym->shndx = SHN_ABS;
    sym->value = hit->address;
    done.push_back({sym->name, hit->address});
  }
  obj.reindex();
  return done;
}

} // namespace lp::payload
