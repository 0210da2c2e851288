// Correlation: which patched unit is which original unit.
//
// Every unit has a key (references.cc): a global's name, or file#name for a
// static with gcc's numbering removed, static locals further qualified by the
// functions that use them. Twins are the units with equal keys, found by one
// hash lookup each; there is no pairwise name comparison. Special statics
// (__func__.N, ...) have no key and are never twinned: they are copied into
// the payload whenever something included references them.
#include "diff/engine.h"

namespace lp::diff {

void correlate(Analysis &orig, Analysis &patched) {
  for (const auto &u : patched.units) {
    if (u->key.empty())
      continue;
    auto it = orig.by_key.find(u->key);
    if (it == orig.by_key.end() || it->second->function != u->function)
      continue;
    u->twin = it->second;
    it->second->twin = u.get();
  }
}

} // namespace lp::diff
