// A whole file, read-only, mapped into memory instead of copied.
//
// Readers of ELF files look at a small part of what they open: a 3 KB object
// pulls a few pages of a 3 MB xen-syms (22-24 MB with DWARF, Xen 4.20+), a
// symbol table and a note. Mapping the file costs nothing for the pages
// nobody touches, where reading it copies every byte. The mapping is private
// and writable (copy-on-write) because libelf's elf_memory() takes a mutable
// buffer; nothing is ever written back to the file.
//
// What is not a regular file (a pipe, a character device) cannot be mapped;
// it is read into memory instead, with read_file()'s errors. A directory or a
// missing file is the same one-line FileError as read_file() gives.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace lp::elf {

class MappedFile {
public:
  // Throws lp::FileError(path, strerror) when the file cannot be opened or read.
  static MappedFile open(const std::string &path);

  MappedFile() = default;
  MappedFile(MappedFile &&other) noexcept { *this = std::move(other); }
  MappedFile &operator=(MappedFile &&other) noexcept;
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;
  ~MappedFile();

  std::span<uint8_t> bytes() const { return {data_, size_}; }

private:
  void release();
  uint8_t *data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false; // else data_ came from new[]
};

} // namespace lp::elf
