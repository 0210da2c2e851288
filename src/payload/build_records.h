// What the original build recorded about itself, for the fast path.
//
// The original build runs with LIVEPATCH_RECORD_DIR=<cache>/<key>/records, so
// livepatch-gcc leaves there, for every compiler command, its compile record
// (compile_record.h) keyed by what it wrote: each object under its final name
// (with kbuild's objcopy of the temporary as the record's `post` step), and
// every other output (a preprocessed linker script, asm-offsets.s) under its
// own name. Each record lists the files the compile read, from the
// compiler's dependency output. It also appends to <records>/inputs one line
// per command that read objects ("<output> <input>..."): ld -r into
// built_in.o, objcopy into .init.o, the links of xen-syms, and whatever else
// consumed an object (arch/x86/boot's cmdline.o, linked into cmdline.lnk and
// turned into cmdline.bin for head.S). An object a wrapped command wrote
// without compiling it (objcopy of libelf-temp.o into libelf.o) is listed
// in <records>/untraced.
// Objects of host tools (HOSTCC, not through livepatch-gcc) have no record,
// and a patched build never captures them either.
//
// This file loads that folder into lookups: the records of objects and of
// generated outputs, which outputs read each file, and which commands read
// each object. Objects are those a patched build would capture (a `.o` not on
// livepatch-gcc's ignore list); the rest are generated outputs.
#pragma once

#include "payload/build_environment.h"
#include "payload/compile_record.h"

#include <filesystem>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace lp::payload {

struct BuildRecords {
  bool present = false; // the folder exists (the original build recorded itself)
  bool has_environment = false;
  Environment environment; // the original build's (build_environment.h)
  // object (root-relative) -> its record, $ROOT resolved to the build root
  std::map<std::string, CompileRecord> objects;
  // generated output (root-relative) -> its record
  std::map<std::string, CompileRecord> generated;
  // when each object's record was last written
  std::map<std::string, std::filesystem::file_time_type> written;
  // file (root-relative) -> the objects / generated outputs whose compile read it
  std::unordered_map<std::string, std::vector<std::string>> object_users, generated_users;
  // object -> the outputs of the commands that read it
  std::unordered_map<std::string, std::vector<std::string>> readers;
  // objects a wrapped command other than a compile wrote (objcopy of an
  // ld -r output, Xen's libelf.o): a patched build captures them too
  std::vector<std::string> untraced;
  // records that could not be read: "<file>: <problem>"
  std::vector<std::string> unreadable;
};

// Loads `records_dir`, resolving $ROOT to `build_root`. A missing folder
// gives `present == false`.
BuildRecords load_build_records(const std::string &records_dir, const std::string &build_root);

// True if `output` is a link step of the hypervisor: another object
// (built_in.o, prelink.o, name.init.o) or an image (xen-syms, xen.efi and
// their .xen-syms.N / .xen.efi.N stages). An object read by anything else
// feeds a file only make knows how to rebuild.
bool is_link_output(const std::string &output);

} // namespace lp::payload
