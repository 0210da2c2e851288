// Structure sizes from DWARF, through libdw.
//
// The file is opened through libdwfl's offline reporting rather than plain
// dwarf_begin(): in a relocatable object the .debug_info references to
// .debug_str and .debug_abbrev are RELA relocations whose in-place value is
// zero, and libdwfl applies them before libdw reads the DIEs. The search
// walks each compilation unit's top-level DIEs (where C structure types
// live) and keeps the first defined structure with each wanted name.
#include "elf/dwarf.h"

#include "elf/error.h"

#include <cerrno>
#include <cstring>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <unistd.h>

namespace lp::elf {
namespace {

// No separate debug-info files: only the DWARF inside the file counts.
int no_separate_debuginfo(Dwfl_Module *, void **, const char *, Dwarf_Addr, const char *,
                          const char *, GElf_Word, char **) {
  return -1;
}

const Dwfl_Callbacks kOfflineCallbacks = {
    nullptr, no_separate_debuginfo, dwfl_offline_section_address, nullptr};

// Records the size of each still unknown structure among `names` that `die` defines.
void note_struct(Dwarf_Die *die, std::span<const std::string_view> names,
                 std::vector<std::optional<uint64_t>> &sizes, size_t &missing) {
  if (dwarf_tag(die) != DW_TAG_structure_type || dwarf_hasattr(die, DW_AT_declaration) ||
      !dwarf_hasattr(die, DW_AT_byte_size))
    return;
  const char *n = dwarf_diename(die);
  if (!n)
    return;
  for (size_t i = 0; i < names.size(); ++i) {
    if (sizes[i] || names[i].empty() || names[i] != n)
      continue;
    int size = dwarf_bytesize(die);
    if (size >= 0) {
      sizes[i] = static_cast<uint64_t>(size);
      --missing;
    }
  }
}

void search_unit(Dwarf_Die *cu, std::span<const std::string_view> names,
                 std::vector<std::optional<uint64_t>> &sizes, size_t &missing) {
  Dwarf_Die child;
  if (dwarf_child(cu, &child) != 0)
    return;
  do
    note_struct(&child, names, sizes, missing);
  while (missing && dwarf_siblingof(&child, &child) == 0);
}

} // namespace

OfflineDwarf::OfflineDwarf(const std::string &elf_path) {
  int fd = ::open(elf_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw FileError(elf_path, std::strerror(errno));
  dwfl_ = dwfl_begin(&kOfflineCallbacks);
  if (!dwfl_) {
    ::close(fd);
    throw FileError(elf_path, std::string("libdwfl: ") + dwfl_errmsg(-1));
  }
  // On success libdwfl owns (and later closes) the descriptor.
  Dwfl_Module *mod = dwfl_report_offline(dwfl_, "", elf_path.c_str(), fd);
  if (!mod) {
    ::close(fd);
    std::string msg = dwfl_errmsg(-1);
    dwfl_end(dwfl_);
    throw FileError(elf_path, "cannot read ELF: " + msg);
  }
  dwfl_report_end(dwfl_, nullptr, nullptr);
  Dwarf_Addr bias = 0;
  dwarf_ = dwfl_module_getdwarf(mod, &bias);
}

OfflineDwarf::~OfflineDwarf() { dwfl_end(dwfl_); }

std::vector<std::optional<uint64_t>> dwarf_struct_byte_sizes(
    const std::string &elf_path, std::span<const std::string_view> struct_names) {
  std::vector<std::optional<uint64_t>> sizes(struct_names.size());
  size_t missing = 0;
  for (std::string_view name : struct_names)
    missing += !name.empty();
  if (!missing)
    return sizes;
  OfflineDwarf file(elf_path);
  Dwarf *dw = file.dwarf();
  if (!dw)
    return sizes;
  Dwarf_Off off = 0, next = 0;
  size_t header_size = 0;
  while (missing && dwarf_nextcu(dw, off, &next, &header_size, nullptr, nullptr, nullptr) == 0) {
    Dwarf_Die cu;
    if (dwarf_offdie(dw, off + header_size, &cu))
      search_unit(&cu, struct_names, sizes, missing);
    off = next;
  }
  return sizes;
}

std::optional<uint64_t> dwarf_struct_byte_size(const std::string &elf_path,
                                               std::string_view struct_name) {
  return dwarf_struct_byte_sizes(elf_path, {&struct_name, 1}).front();
}

} // namespace lp::elf
