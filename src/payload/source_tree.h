// The user's source tree: hashing it, copying it, and what a patch touches.
//
// livepatch-build never writes into the user's tree (upstream patched it in
// place and left it patched after a failure, problem 41). The tree is read
// twice: hashed for the cache key and, on a cache miss, copied into the cache
// with `cp -a --reflink=auto` (modes and mtimes kept, data shared where the
// file system can, never hard links, which a compiler writing in place would
// corrupt). The patch is dry-run against the user's tree, which patch only
// reads.
#pragma once

#include <string>
#include <vector>

namespace lp::payload {

// SHA-256 (hex) over every file below `root` except .git: relative path, type,
// executable bit and contents (symlinks by target), in sorted path order.
std::string tree_content_hash(const std::string &root);

// Copies `src` to `dst` (which must not exist). Throws lp::FileError(dst) on failure.
void copy_tree(const std::string &src, const std::string &dst);

// Makes `dst` equal to `src` like `rsync -a --delete`: files whose type,
// size, mode or mtime differ are copied (mtime kept), extra ones removed.
// After a patched build only the patched sources and rebuilt outputs differ,
// so restoring the cache's build copy costs a walk, not a copy of the tree.
void sync_tree(const std::string &src, const std::string &dst);

// True if any *.o file exists below `root` (the tree was built in place).
bool tree_has_objects(const std::string &root);

// Removes `path` recursively if it exists.
void remove_tree(const std::string &path);

// Paths (relative to the tree root, -p1 stripped) a unified diff creates,
// modifies or deletes, sorted and unique.
std::vector<std::string> patched_files(const std::string &patch_text);

} // namespace lp::payload
