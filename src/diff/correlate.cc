// Correlation: which patched unit is which original unit.
//
// Every unit has a key (references.cc): a global's name, or file#name for a
// static with gcc's numbering removed. Twins are the units with equal keys,
// found by one hash lookup each; there is no pairwise name comparison.
// Special statics (__func__.N, ...) have no key and are never twinned: they
// are copied into the payload whenever something included references them.
//
// Static locals that share a name in one object (lock.1 used by f, lock.2 by
// g; either object's sharing counts for both) cannot be told apart by name,
// and gcc's numbers change whenever the patch adds or moves one. They are
// correlated the way kpatch does it, by the units that use them: if the
// original f uses one static local named lock and its twin, the patched f,
// uses one too, those two are twins. Every correlated pair of units (a
// function counted with its .cold parts, or a data object) is such evidence,
// and the evidence must agree: two functions sharing one variable in one
// build and two in the other, or a function using several of that name,
// cannot be resolved and becomes a *doubt*. Pairs found in one round are
// removed from the candidates of the next, so a function that uses two
// statics named lock is resolved when another function pins one of them.
//
// A doubt is refused only when a patched function it concerns is changed or
// new (refuse_static_doubts, after comparison). An unchanged function with
// two same-named statics of its own is paired in order of first use; its
// equal hash then shows that the order was right.
#include "diff/engine.h"

#include <algorithm>
#include <fmt/format.h>
#include <map>

namespace lp::diff {

namespace {

// file#name. (gcc's numbering removed), built with append: gcc 12 at -O3
// misreads operator+ on temporaries as an overlapping memcpy (-Wrestrict).
std::string base_key(const Unit &u) {
  std::string key = u.file;
  key.append(1, '#').append(strip_numbering(u.name()));
  return key;
}

// The variable's name as the author wrote it: lock.3 -> lock.
std::string plain_name(const Unit &u) {
  std::string s = strip_numbering(u.name());
  return s.ends_with('.') ? s.substr(0, s.size() - 1) : s;
}

// "a", "a and b", "a, b and c"
std::string join(const std::vector<std::string> &v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i)
    out.append(i == 0 ? "" : i + 1 == v.size() ? " and " : ", ").append(v[i]);
  return out;
}

std::string name_list(const std::vector<Unit *> &v) {
  std::vector<std::string> names;
  for (const Unit *u : v)
    names.emplace_back(u->name());
  return join(names);
}

// A name shared by static locals in either object is shared in both: a lone
// lock.1 in the patched object may be either of the original's two.
void share_across(Analysis &a, const std::unordered_set<std::string> &shared) {
  for (const auto &u : a.units) {
    if (u->shared_name || !is_shared_static_candidate(*u) || !shared.count(u->key))
      continue;
    a.by_key.erase(u->key);
    u->shared_name = true;
    u->key.append(1, '@').append(u->name());
    a.by_key.emplace(u->key, u.get());
  }
}

void twin_by_key(Analysis &orig, Analysis &patched) {
  for (const auto &u : patched.units) {
    if (u->key.empty() || u->shared_name)
      continue;
    auto it = orig.by_key.find(u->key);
    if (it == orig.by_key.end() || it->second->function != u->function)
      continue;
    u->twin = it->second;
    it->second->twin = u.get();
  }
}

// The shared-name static locals a unit and its .cold parts use, by base key,
// each once, in order of first use.
using Uses = std::map<std::string, std::vector<Unit *>>;

Uses shared_uses(const Unit &u) {
  Uses uses;
  auto scan = [&](const Unit &x) {
    for (const Ref &r : x.refs) {
      if (!r.unit || !r.unit->shared_name || r.unit == &u)
        continue;
      auto &v = uses[base_key(*r.unit)];
      if (std::find(v.begin(), v.end(), r.unit) == v.end())
        v.push_back(r.unit);
    }
  };
  scan(u);
  for (const Unit *c : u.children)
    scan(*c);
  return uses;
}

std::vector<Unit *> unpaired(const std::vector<Unit *> &v) {
  std::vector<Unit *> out;
  for (Unit *s : v)
    if (!s->twin)
      out.push_back(s);
  return out;
}

struct Owner {
  Unit *orig;
  Unit *patched;
  Uses orig_uses;
  Uses patched_uses;
};

class StaticPairing {
public:
  StaticPairing(Analysis &orig, Analysis &patched) : orig_(orig), patched_(patched) {}

  std::vector<StaticDoubt> run() {
    while (pair_round()) {
    }
    find_owners();
    settle_open_groups();
    rekey();
    return std::move(doubts_);
  }

private:
  // Correlated units that use shared-name statics (data objects among them
  // may have been paired in the previous round).
  void find_owners() {
    owners_.clear();
    for (const auto &u : orig_.units) {
      if (u->parent || !u->twin || u->special_static)
        continue;
      Uses o = shared_uses(*u), p = shared_uses(*u->twin);
      if (!o.empty() || !p.empty())
        owners_.push_back({u.get(), u->twin, std::move(o), std::move(p)});
    }
  }

  // One round: every owner whose unpaired uses of a name are one on each
  // side proposes that pair; agreeing proposals become twins.
  bool pair_round() {
    find_owners();
    std::unordered_map<Unit *, std::vector<std::pair<Unit *, const Owner *>>> by_orig, by_patched;
    for (const Owner &ow : owners_) {
      for (const auto &[key, uses] : ow.orig_uses) {
        auto it = ow.patched_uses.find(key);
        if (it == ow.patched_uses.end())
          continue;
        auto a = usable(uses), b = usable(it->second);
        if (a.size() != 1 || b.size() != 1)
          continue;
        by_orig[a[0]].push_back({b[0], &ow});
        by_patched[b[0]].push_back({a[0], &ow});
      }
    }
    bool paired = false;
    for (const auto &s : orig_.units) {
      auto it = by_orig.find(s.get());
      if (it == by_orig.end())
        continue;
      Unit *t = it->second.front().first;
      if (!agrees(it->second)) {
        conflict(s.get(), it->second, true);
        continue;
      }
      if (!agrees(by_patched[t])) {
        conflict(t, by_patched[t], false);
        continue;
      }
      s->twin = t;
      t->twin = s.get();
      paired = true;
    }
    return paired;
  }

  std::vector<Unit *> usable(const std::vector<Unit *> &v) const {
    std::vector<Unit *> out;
    for (Unit *s : unpaired(v))
      if (!doubted_.count(s))
        out.push_back(s);
    return out;
  }

  static bool agrees(const std::vector<std::pair<Unit *, const Owner *>> &v) {
    for (const auto &p : v)
      if (p.first != v.front().first)
        return false;
    return true;
  }

  // `one` (of one object) was proposed with several variables of the other,
  // each by one of its users: name them all, with what each user uses.
  void conflict(Unit *one, const std::vector<std::pair<Unit *, const Owner *>> &v,
                bool one_is_original) {
    if (!doubted_.insert(one).second)
      return;
    one->doubted = true;
    StaticDoubt d;
    std::vector<std::string> users, uses;
    for (const auto &[other, ow] : v) {
      doubted_.insert(other);
      other->doubted = true;
      std::string fn(ow->orig->name());
      if (std::find(users.begin(), users.end(), fn) != users.end())
        continue;
      users.push_back(fn);
      uses.push_back(fmt::format("{} {} {}", fn, one_is_original ? "uses" : "used", other->name()));
      d.users.push_back(ow->patched);
    }
    d.reason = fmt::format(
        "cannot correlate static local variable {}: the {} {} share {}, where the {} {} ({}, or "
        "leave these functions unchanged)",
        plain_name(*one), one_is_original ? "original" : "patched", join(users), one->name(),
        one_is_original ? "patched" : "original", join(uses),
        one_is_original ? "keep them sharing one variable" : "keep each on the variable it used");
    doubts_.push_back(std::move(d));
  }

  // Owners still using several unpaired variables of one name: paired in
  // order of first use when the counts match, and doubted either way.
  void settle_open_groups() {
    for (const Owner &ow : owners_)
      for (const auto &[key, uses] : ow.orig_uses) {
        auto it = ow.patched_uses.find(key);
        if (it == ow.patched_uses.end())
          continue;
        auto a = usable(uses), b = usable(it->second);
        if (a.empty() || b.empty())
          continue;
        for (Unit *x : a)
          x->doubted = true;
        for (Unit *x : b)
          x->doubted = true;
        std::string fn(ow.orig->name());
        doubts_.push_back(
            {fmt::format("cannot correlate static local variables {} in {}: the original {} uses "
                         "{}, the patched one {}, and which is which cannot be told (leave {} "
                         "unchanged: patch the functions it calls, or its callers, instead)",
                         plain_name(*a[0]), fn, fn, name_list(a), name_list(b), fn),
             {ow.patched}});
        if (a.size() != b.size())
          continue;
        for (size_t i = 0; i < a.size(); ++i) {
          a[i]->twin = b[i];
          b[i]->twin = a[i];
        }
      }
  }

  // Twins share the original's key, so that their users hash alike; an
  // unpaired patched variable gets a key no original one has.
  void rekey() {
    for (const auto &u : patched_.units) {
      if (!u->shared_name)
        continue;
      patched_.by_key.erase(u->key);
      u->key = u->twin ? u->twin->key : base_key(*u).append("@new:").append(u->name());
      patched_.by_key[u->key] = u.get();
    }
  }

  Analysis &orig_;
  Analysis &patched_;
  std::vector<Owner> owners_;
  std::unordered_set<const Unit *> doubted_;
  std::vector<StaticDoubt> doubts_;
};

} // namespace

std::vector<StaticDoubt> correlate(Analysis &orig, Analysis &patched) {
  std::unordered_set<std::string> shared = orig.shared_statics;
  shared.insert(patched.shared_statics.begin(), patched.shared_statics.end());
  share_across(orig, shared);
  share_across(patched, shared);
  twin_by_key(orig, patched);
  if (shared.empty())
    return {};
  return StaticPairing(orig, patched).run();
}

void refuse_static_doubts(const std::vector<StaticDoubt> &doubts, Verdict &v) {
  for (const StaticDoubt &d : doubts) {
    const Unit *changed = nullptr;
    for (const Unit *u : d.users)
      if (!changed && !u->ignored && u->status != UnitStatus::Same)
        changed = u;
    if (changed)
      v.refusals.push_back({d.reason, changed->xen_name(), {}});
  }
}

} // namespace lp::diff
