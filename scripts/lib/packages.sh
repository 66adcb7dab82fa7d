# shellcheck shell=bash
# The Debian 12 packages sdksign's developer scripts install: the one list of each, shared by scripts/serve
# and scripts/test (and listed in the README's prerequisites). Source it; it only defines arrays:
#
#   source "$root/scripts/lib/packages.sh"
#   sdksign_install_packages "${SDKSIGN_SERVE_PACKAGES[@]}"
#
# The fresh suite (tests/fresh) proves on a minimal Debian 12 root that these lists are enough.

# What `meson setup` and `meson compile` need for the program, the three providers (the vault provider
# links libcurl) and the unit and plugin tests (Boost.Test).
# shellcheck disable=SC2034 # used by the scripts that source this file
SDKSIGN_BUILD_PACKAGES=(
    meson ninja-build pkg-config g++ python3
    libfcgi-dev libfcgi-bin rapidjson-dev libbotan-2-dev libboost-program-options-dev libboost-test-dev
    libcurl4-openssl-dev
)

# scripts/serve: the build, lighttpd in front of sdksign, and curl for the README's request.
# shellcheck disable=SC2034
SDKSIGN_SERVE_PACKAGES=(
    "${SDKSIGN_BUILD_PACKAGES[@]}"
    lighttpd curl
)

# scripts/test: everything scripts/serve needs (its own test runs it), and the test tools: openssl (the
# vault provider's TLS tests), clang with its sanitizer and libFuzzer runtime, valgrind, wrk, the web
# servers of the deploy tests, Debian's chromium driven through chromedriver by python3-selenium (the
# browser test), debootstrap and git for the fresh suite, what the package suite builds and checks the
# Debian packages with (debhelper, dpkg-dev, lintian), groff-base to render the man pages (the docs
# suite), and clang-format for the format test (and clang-tidy for a developer's lint, docs/testing.md).
# shellcheck disable=SC2034
SDKSIGN_TEST_PACKAGES=(
    "${SDKSIGN_SERVE_PACKAGES[@]}"
    openssl
    groff-base
    clang libclang-rt-14-dev clang-format clang-tidy
    valgrind wrk
    apache2 libapache2-mod-fcgid nginx spawn-fcgi
    chromium chromium-driver python3-selenium
    debootstrap git
    debhelper dpkg-dev lintian
)
