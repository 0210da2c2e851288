// Metadata symbol stripping (see metadata_strip.h).
//
// Two passes: decide which defined symbols go (a predicate per symbol), then
// rewrite every relocation that names one of them, creating a section symbol
// where the section had none. Symbols are removed last, so no pointer into
// the model dangles in between.
#include "payload/metadata_strip.h"

#include <algorithm>
#include <array>
#include <elf.h>
#include <unordered_set>

namespace lp::payload {
namespace {

constexpr std::array<std::string_view, 8> kHookKinds = {
    "load", "unload", "preapply", "apply", "postapply", "prerevert", "revert", "postrevert"};

bool is_funcs_symbol(const elf::Symbol &sym) {
  return sym.section && sym.section->name == ".livepatch.funcs" && !sym.is_section() &&
         !sym.name.empty();
}

bool should_strip(const elf::Symbol &sym) {
  if (!sym.section || sym.is_section() || sym.is_file())
    return false;
  return is_hook_data_symbol(sym.name) || is_funcs_symbol(sym);
}

elf::Symbol &section_symbol(elf::Object &obj, elf::Section &sec) {
  if (sec.secsym)
    return *sec.secsym;
  auto sym = std::make_unique<elf::Symbol>();
  sym->type = STT_SECTION;
  sym->bind = STB_LOCAL;
  sym->section = &sec;
  elf::Symbol &added = obj.add_symbol(std::move(sym));
  sec.secsym = &added;
  return added;
}

// Group signatures must survive: the writer needs them for SHT_GROUP headers.
std::unordered_set<const elf::Symbol *> group_signatures(const elf::Object &obj) {
  std::unordered_set<const elf::Symbol *> out;
  for (const auto &sec : obj.sections)
    if (sec->group_signature)
      out.insert(sec->group_signature);
  return out;
}

} // namespace

bool is_hook_data_symbol(std::string_view name) {
  for (std::string_view kind : kHookKinds) {
    std::string stem = "livepatch_" + std::string(kind) + "_data";
    if (name == stem || (name.starts_with(stem) && name.substr(stem.size()).starts_with("_")))
      return true;
  }
  return false;
}

std::vector<std::string> strip_metadata_symbols(elf::Object &obj) {
  auto keep = group_signatures(obj);
  std::unordered_set<const elf::Symbol *> doomed;
  std::vector<std::string> names;
  for (const auto &sym : obj.symbols) {
    if (should_strip(*sym) && !keep.count(sym.get())) {
      doomed.insert(sym.get());
      names.push_back(sym->name);
    }
  }
  if (doomed.empty())
    return names;
  for (const auto &sec : obj.sections) {
    for (elf::Rela &rela : sec->relas) {
      if (!doomed.count(rela.sym))
        continue;
      rela.addend += static_cast<int64_t>(rela.sym->value);
      rela.sym = &section_symbol(obj, *rela.sym->section);
    }
  }
  std::erase_if(obj.symbols, [&](const auto &sym) { return doomed.count(sym.get()) > 0; });
  obj.reindex();
  return names;
}

} // namespace lp::payload
