// The object model's element predicates and its lookup tables.
//
// The tables are rebuilt by reindex() in linear passes; every lookup after
// that is a hash probe (by name) or an array read (by input index). Names are
// views of the elements' own strings, and one name's symbols are a run of one
// shared array, so a reindex allocates a hash node per name and nothing per
// symbol. A stage that adds, removes or renames elements calls reindex() again
// before it looks anything up.
#include "elf/object.h"

#include "elf/error.h"

#include <algorithm>
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
  symbols_by_name_.clear();
  section_by_name_.reserve(sections.size());
  symbols_by_name_.reserve(symbols.size());
  uint32_t max_section = 0, max_symbol = 0;
  for (const auto &s : sections)
    max_section = std::max(max_section, s->input_index);
  for (const auto &sym : symbols)
    max_symbol = std::max(max_symbol, sym->input_index);
  section_by_index_.assign(size_t(max_section) + 1, nullptr);
  symbol_by_index_.assign(size_t(max_symbol) + 1, nullptr);
  for (const auto &s : sections) {
    section_by_name_.try_emplace(s->name, s.get());
    if (s->input_index && !section_by_index_[s->input_index])
      section_by_index_[s->input_index] = s.get();
  }
  // Symbols by name: count each name's symbols, lay the names out one after
  // another, then fill them in table order (no list of its own per name).
  std::vector<NameRange *> range_of(symbols.size(), nullptr);
  for (size_t i = 0; i < symbols.size(); ++i) {
    const Symbol &sym = *symbols[i];
    if (sym.input_index && !symbol_by_index_[sym.input_index])
      symbol_by_index_[sym.input_index] = symbols[i].get();
    if (!sym.is_section()) {
      range_of[i] = &symbols_by_name_[sym.name];
      range_of[i]->count++;
    }
  }
  uint32_t at = 0;
  for (auto &[name, range] : symbols_by_name_) {
    range.first = at;
    at += range.count;
    range.count = 0;
  }
  named_symbols_.assign(at, nullptr);
  for (size_t i = 0; i < symbols.size(); ++i)
    if (NameRange *r = range_of[i])
      named_symbols_[r->first + r->count++] = symbols[i].get();
}

Section *Object::section_named(std::string_view name) const {
  auto it = section_by_name_.find(name);
  return it == section_by_name_.end() ? nullptr : it->second;
}

Section *Object::section_at(uint32_t input_index) const {
  return input_index < section_by_index_.size() ? section_by_index_[input_index] : nullptr;
}

Symbol *Object::symbol_at(uint32_t input_index) const {
  return input_index < symbol_by_index_.size() ? symbol_by_index_[input_index] : nullptr;
}

std::span<Symbol *const> Object::symbols_named(std::string_view name) const {
  auto it = symbols_by_name_.find(name);
  if (it == symbols_by_name_.end())
    return {};
  return std::span<Symbol *const>(named_symbols_).subspan(it->second.first, it->second.count);
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
