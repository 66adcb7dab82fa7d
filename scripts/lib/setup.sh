# shellcheck shell=bash
# Shared set-up steps for sdksign's developer scripts (scripts/serve, scripts/test). Source it; it defines
# functions only and changes no shell options, so it is safe under `set -euo pipefail`:
#
#   source "$root/scripts/lib/setup.sh"
#
# sdksign_install_packages PACKAGE...
#     Installs the Debian packages from the list that are not installed yet, with apt-get (Debian 12 is the
#     reference system). Does nothing, not even `apt-get update`, when all are there; otherwise runs one
#     `apt-get update` and one `apt-get install -y --no-install-recommends`, non-interactively, as root or
#     through sudo. While it runs, a /usr/sbin/policy-rc.d that answers 101 keeps package scripts from
#     starting services (lighttpd's postinst would otherwise start a system lighttpd on port 80); the file
#     is removed afterwards, but only if this function created it. Sets SDKSIGN_PACKAGES_INSTALLED=1 when it
#     installed something. Returns non-zero on failure. The lists: scripts/lib/packages.sh.
#
# sdksign_build BUILD_DIR [MESON_SETUP_OPTION...]
#     Configures BUILD_DIR with `meson setup` if it is not a meson build folder yet, applies the given
#     options to an existing one with `meson setup --reconfigure`, then runs `meson compile -C BUILD_DIR`.
#     A relative BUILD_DIR is taken relative to the source root (the folder above scripts/), whatever the
#     current directory. Example: sdksign_build build-asan -Db_sanitize=address,undefined
#     An existing folder is reconfigured too when sdksign_install_packages installed something in this shell,
#     so that the programs meson looked for at configure time (valgrind, wrk, ...) are looked up again: on a
#     fresh machine scripts/serve configures `build` before scripts/test installs the test tools.
#     Returns non-zero on failure.
#
# SDKSIGN_SOURCE_ROOT is set to the absolute path of the source root.

SDKSIGN_SOURCE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Prints a message to stderr, prefixed so that the user knows which step is talking.
sdksign_say() {
    printf 'sdksign: %s\n' "$*" >&2
}

# Runs a command as root: directly when we are root, through sudo otherwise.
sdksign_as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        sdksign_say "need root to run: $* (run as root, or install sudo)"
        return 1
    fi
}

sdksign_install_packages() {
    local package missing=()
    if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
        sdksign_say "apt-get/dpkg-query not found: install these packages yourself: $*"
        return 1
    fi
    # One dpkg-query for all: "name<TAB>status" for each package dpkg knows; the others are missing anyway.
    local -A installed=()
    local name state
    while IFS=$'\t' read -r name state; do
        if [[ $state == *" ok installed" ]]; then
            installed[${name%%:*}]=1
        fi
    done < <(dpkg-query -W -f='${Package}\t${Status}\n' "$@" 2>/dev/null || true)
    for package in "$@"; do
        if [[ -z ${installed[${package%%:*}]:-} ]]; then
            missing+=("$package")
        fi
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        return 0
    fi
    sdksign_say "installing ${missing[*]}"

    local policy=/usr/sbin/policy-rc.d created_policy=0 status=0
    if [[ ! -e $policy ]]; then
        # invoke-rc.d honours exit code 101: "action forbidden", so no service is started by postinst.
        if ! printf '#!/bin/sh\nexit 101\n' | sdksign_as_root tee "$policy" >/dev/null ||
            ! sdksign_as_root chmod 755 "$policy"; then
            sdksign_say "cannot create $policy"
            return 1
        fi
        created_policy=1
    fi
    # In a subshell, so that its traps remove our policy-rc.d even on Ctrl-C without touching the caller's.
    (
        if [[ $created_policy -eq 1 ]]; then
            trap 'sdksign_as_root rm -f "$policy" || sdksign_say "could not remove $policy; remove it yourself"' EXIT
        fi
        trap 'exit 130' INT TERM
        sdksign_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
            sdksign_as_root env DEBIAN_FRONTEND=noninteractive \
                apt-get install -y -q --no-install-recommends "${missing[@]}"
    ) || status=$?
    if [[ $status -ne 0 ]]; then
        sdksign_say "installing packages failed (exit $status)"
    else
        SDKSIGN_PACKAGES_INSTALLED=1
    fi
    return "$status"
}

sdksign_build() {
    local build_dir=${1:?sdksign_build needs a build folder}
    shift
    if [[ $build_dir != /* ]]; then
        build_dir=$SDKSIGN_SOURCE_ROOT/$build_dir
    fi
    if [[ ! -f $build_dir/meson-private/coredata.dat ]]; then
        meson setup "$build_dir" "$SDKSIGN_SOURCE_ROOT" "$@" || return
    elif [[ $# -gt 0 || ${SDKSIGN_PACKAGES_INSTALLED:-0} == 1 ]]; then
        meson setup --reconfigure "$build_dir" "$SDKSIGN_SOURCE_ROOT" "$@" || return
    fi
    meson compile -C "$build_dir"
}
