// Which way the patched build goes: the fast path or make.
//
// The fast path (fast_build.h) compiles exactly the objects whose recorded
// dependencies the patch touches, from the original build's records
// (build_records.h), and nothing else: no make, no link. It is taken only
// when it can be shown to give what an incremental make would; everything
// that forces make is one table in build_path.cc, each row a reason printed
// in one line:
//
//   the patch adds, removes or renames a file;
//   it touches a build file (Makefile, *.mk, Kconfig, .config), a linker
//   script, or anything that is not a C source, header or assembly file;
//   it touches a file that no record lists (nothing is known about it);
//   a variable of the environment that the compiler or a makefile of the
//   tree reads differs from the original build's (make would evaluate the
//   makefiles anew with it; PATH only when a program the recorded commands
//   start resolves to another file);
//   the original build has no records (a cache entry from before them), a
//   record could not be read;
//   an object to compile has a record older than itself, a compile that
//   wrote no dependency file, a compile into kbuild's temporary with no
//   recorded step turning it into the object, or is read by something other
//   than the link (head.S's cmdline.bin from cmdline.o), or goes into an
//   object that a command other than a compile makes and make would rebuild
//   (Xen's libelf.o, objcopy of the ld -r of libelf-tools.o and others);
//   a file of the patch went into a generated output (asm-offsets.s,
//   xen.lds) that, made again with its recorded command, differs from the
//   original build's (generated_output.h; an unchanged one keeps the fast
//   path, which is what most header patches need).
//
// `--no-fast-path` forces make; `--check-fast-path` runs both and compares
// (fast_path_check.h).
#pragma once

#include "payload/build_records.h"
#include "payload/generated_output.h"

#include <string>
#include <vector>

namespace lp::payload {

struct BuildPathChoice {
  bool fast = false;
  std::string reason;               // one line: why this path
  std::vector<std::string> objects; // the objects the fast path compiles, sorted
};

// Decides for the patch `patch_text` given the original build's records, its
// pristine copy (where the objects and their times are) and the build copy
// with the patch applied (which files the patch left). `regenerate` makes a
// generated output again and compares it (regenerate_and_compare in a real
// build); it runs only when every cheaper row has let the fast path through.
BuildPathChoice choose_build_path(const std::string &patch_text, const BuildRecords &records,
                                  const std::string &pristine_root,
                                  const std::string &patched_root, const Regenerate &regenerate);

} // namespace lp::payload
