// The object model's element predicates and its hash-based lookup tables.
//
// The tables are rebuilt in one linear pass by reindex(); every lookup after
// that is a hash probe. A stage that adds, removes or renames elements calls
// reindex() again before it looks anything up.
#include "elf/object.h"

#include "elf/error.h"

#include <elf.h>
#include <fmt/format.h>

namespace lp::elf {

bool Section::is_rela() const { return type == SHT_RELA; }
bool Section::is_alloc() const { return flags & SHF_ALLOC; }
bool Section::is_exec() const { return flags & SHF_EXECINSTR; }
bool Section::is_write() const { return flags & SHF_WRITE; }
bool Section::is_nobits() const { return type == SHT_NOBITS; }
bool Section::is_strings() const {
  return (flags & (SHF_MERGE | SHF_STRINGS)) == (SHF_MERGE | SHF_STRINGS);
}

void Section::set_data(std::vector<uint8_t> bytes) {
  data = std::move(bytes);
  size = data.size();
}

std::string_view Symbol::display_name() const {
  if (is_section() && section)
    return section->name;
  return name;
}

Section &Object::add_section(std::unique_ptr<Section> s) {
  sections.push_back(std::move(s));
  return *sections.back();
}

Symbol &Object::add_symbol(std::unique_ptr<Symbol> s) {
  symbols.push_back(std::move(s));
  return *symbols.back();
}

void Object::reindex() {
  section_by_name_.clear();
  section_by_index_.clear();
  symbol_by_index_.clear();
  symbols_by_name_.clear();
  section_by_name_.reserve(sections.size());
  section_by_index_.reserve(sections.size());
  symbol_by_index_.reserve(symbols.size());
  symbols_by_name_.reserve(symbols.size());
  for (const auto &s : sections) {
    section_by_name_.try_emplace(s->name, s.get());
    if (s->input_index)
      section_by_index_.try_emplace(s->input_index, s.get());
  }
  for (const auto &sym : symbols) {
    if (sym->input_index)
      symbol_by_index_.try_emplace(sym->input_index, sym.get());
    if (!sym->is_section())
      symbols_by_name_[sym->name].push_back(sym.get());
  }
}

Section *Object::section_named(std::string_view name) const {
  auto it = section_by_name_.find(name);
  return it == section_by_name_.end() ? nullptr : it->second;
}

Section *Object::section_at(uint32_t input_index) const {
  auto it = section_by_index_.find(input_index);
  return it == section_by_index_.end() ? nullptr : it->second;
}

Symbol *Object::symbol_at(uint32_t input_index) const {
  auto it = symbol_by_index_.find(input_index);
  return it == symbol_by_index_.end() ? nullptr : it->second;
}

std::span<Symbol *const> Object::symbols_named(std::string_view name) const {
  auto it = symbols_by_name_.find(name);
  if (it == symbols_by_name_.end())
    return {};
  return it->second;
}

Symbol *Object::global_symbol(std::string_view name) const {
  for (Symbol *sym : symbols_named(name))
    if (!sym->is_local())
      return sym;
  return nullptr;
}

Symbol *Object::local_symbol(std::string_view file, std::string_view name) const {
  Symbol *found = nullptr;
  for (Symbol *sym : symbols_named(name)) {
    if (!sym->is_local() || sym->is_file())
      continue;
    std::string_view scope = sym->file ? std::string_view(sym->file->name) : std::string_view();
    if (scope != file)
      continue;
    if (found)
      throw FileError(path, fmt::format("local symbol {}#{} is ambiguous: it is defined more "
                                        "than once in that file",
                                        file, name));
    found = sym;
  }
  return found;
}

} // namespace lp::elf
