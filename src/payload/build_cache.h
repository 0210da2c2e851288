// The original-build cache.
//
// A per-advisory CI job rebuilds payloads against the same hypervisor source
// again and again; only the patch changes. The full original build is
// therefore done once per (source content, .config, compiler version, make
// variables, tool version) and kept in
// <cache>/<key>/pristine. Every run then works in <cache>/<key>/build, a copy
// of pristine at a fixed path (so absolute paths recorded by the build, such
// as dependency files and DW_AT_comp_dir, are the same in the original and
// patched objects), applies the patch there and rebuilds incrementally. The
// original objects come straight from pristine: no second "revert and
// rebuild" pass as upstream did.
//
// The compiler wrapper the builds run is the entry's own copy,
// <cache>/<key>/bin/livepatch-gcc: Xen records every compile command and
// rebuilds an object whose command changed, so the wrapper's path must stay
// the same for the life of the entry, whichever checkout or installation of
// livepatch-build runs next. Each run refreshes the copy's content.
//
// The original build also leaves <cache>/<key>/records (build_records.h): how
// each object was compiled and what it read, for the fast path. It is written
// before the entry is marked complete and never changed afterwards.
//
// A run holds an exclusive lock on the entry (flock on <key>.lock) from start
// to end of its build phase, and writes its pid into the lock file. The lock
// is also held by the guards of the run's make processes (process.h), so it
// is only free once nothing of an earlier run can still write into the entry,
// even when that run was killed with SIGKILL. The build copy is marked dirty
// (with the writer's pid) before it is patched; the next run restores it from
// pristine and says which run left it so. An entry is only used once its
// `complete` marker exists, so an interrupted full build is redone.
// Temporaries a killed run left in the entry are removed when it is locked.
//
// make cannot build in a folder whose path holds a space or one of its or the
// shell's special characters (Xen's makefiles use $(CURDIR) unquoted), so such
// a cache folder is refused up front (check_cache_root) with the way out.
// Non-ASCII characters are fine.
#pragma once

#include <map>
#include <string>

namespace lp::payload {

struct CacheKeyInputs {
  std::string tree_hash;
  std::string config_text;
  std::string compiler_version;
  std::string make_vars;
  std::string tool_version;
};

std::string cache_key(const CacheKeyInputs &in);

// $XDG_CACHE_HOME/livepatch-build, else $HOME/.cache/livepatch-build.
std::string default_cache_root();

// Throws lp::FileError(root, "...") when the path holds a character make or
// the shell would split or interpret: anything but letters, digits and
// / . _ - + , @ (so a space, a tab, $, :, #, %, a quote...). Bytes of 0x80
// and above (UTF-8 names) pass.
void check_cache_root(const std::string &root);

class CacheEntry {
public:
  // Creates <root>/<key> and takes its lock (blocking). Throws lp::FileError.
  CacheEntry(const std::string &root, const std::string &key);
  ~CacheEntry();
  CacheEntry(const CacheEntry &) = delete;
  CacheEntry &operator=(const CacheEntry &) = delete;

  const std::string &dir() const { return dir_; }
  std::string pristine() const { return dir_ + "/pristine"; }
  std::string build() const { return dir_ + "/build"; }
  // What the original build recorded about its commands (build_records.h).
  std::string records() const { return dir_ + "/records"; }

  // Installs `wrapper` as the entry's bin/livepatch-gcc (rewritten only when
  // its bytes differ) and returns that path. Throws lp::FileError.
  std::string install_wrapper(const std::string &wrapper) const;

  bool complete() const;
  void mark_complete();
  bool build_dirty() const;
  void set_build_dirty(bool dirty);
  // Why the build copy needs restoring, for the progress line ("the build
  // copy was left patched by run 1234"), or "" when it is clean.
  std::string dirty_reason() const;

  // key=value facts recorded with the entry (build date and time, so that
  // later runs regenerate compile.h with the same values).
  std::map<std::string, std::string> facts() const;
  void set_facts(const std::map<std::string, std::string> &facts);

private:
  std::string dir_;
  int lock_fd_ = -1;
};

} // namespace lp::payload
