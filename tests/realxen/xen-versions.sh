# shellcheck shell=bash disable=SC2034
# The Xen versions the real-Xen tier proves, and every fact about them that the
# tier's scripts need: the one place that knows each version. Sourced by run.sh,
# fetch.sh and boot.sh (bash).
#
# Each version has its own patches (the same kinds of fix, written against that
# version's source) and a scenario; the scenario's @XEN_BUILD_ID@, @XEN_EXTRA@
# and @XEN_WARN_AT@ are replaced with the booted build-id and the facts below.
# Columns:
#   version   what `--xen` takes
#   source    where the hypervisor source comes from: debian:<source package
#             version> (apt-get source, Debian's patches applied) or
#             archive:<file>:<sha256> (an upstream release tag's hypervisor part,
#             in $LP_XEN_ARCHIVES, default <repository>/../shared/xen)
#   work      the run's work folder under the cache
#   patches   folder of the patches, relative to tests/realxen
#   scenario  the dom0 scenario, relative to tests/realxen/scenarios
#   extra     XEN_EXTRAVERSION, what the probe reads as the extra version
#   warn_at   file:line of lp-07's WARN(), as Xen prints it
# The dom0 is the same for every version: Debian 12's kernel and xen-utils-4.17
# (fetch.sh). Xen 4.17 to 4.20 speak sysctl interface 0x15, which Debian's
# xen-livepatch drives; 4.21 and later speak 0x16 and refuse it (-EACCES), so
# their scenarios use the project's livepatch-ctl, which speaks both.
readonly REALXEN_DEFAULT_VERSION=4.17.5
readonly REALXEN_VERSIONS=(
  # version source                                                                                      work       patches         scenario             extra warn_at
  "4.17.5    debian:4.17.5+72-g01140da4e8-1                                                                run        patches         livepatch-build.txt  .5    common/kernel.c:493"
  "4.20.4    archive:xen-4.20.4.tar.xz:c36a9cde6ba3666070f86633d46e6bf7487c2e591b5d0f24efc42279b922810a  run-4.20.4 patches-4.20.4  livepatch-ctl.txt    .4    common/kernel.c:585"
  "4.22.0    archive:xen-4.22.0.tar.xz:4bacdf47dee18fef9c6da508992bde2c34ba994086decd2492d9ebfb1bd16d77  run-4.22.0 patches-4.22.0  livepatch-ctl.txt    .0    common/kernel.c:580"
)

# realxen_version_facts <version>: sets XEN_VERSION, XEN_SOURCE, XEN_WORK,
# XEN_PATCHES, XEN_SCENARIO, XEN_EXTRA and XEN_WARN_AT; returns 1 for a version
# the tier does not know.
realxen_version_facts() {
  local row version rest
  for row in "${REALXEN_VERSIONS[@]}"; do
    read -r version rest <<<"$row"
    [[ $version == "$1" ]] || continue
    XEN_VERSION=$version
    read -r XEN_SOURCE XEN_WORK XEN_PATCHES XEN_SCENARIO XEN_EXTRA XEN_WARN_AT <<<"$rest"
    return 0
  done
  return 1
}

# The versions, space-separated, for messages.
realxen_known_versions() {
  local row
  for row in "${REALXEN_VERSIONS[@]}"; do printf '%s ' "${row%% *}"; done
}
