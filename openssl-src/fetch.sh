#!/usr/bin/env bash
# Obtain the pinned OpenSSL release tarball and print its path on stdout.
#
# Sources, tried in order (each one verified against the pinned SHA-256):
#   1. $OPENSSL_TARBALL             a path you give
#   2. the cache                    $OPENSSL_WASM_CACHE (default ~/.cache/openssl-session-wasm)
#   3. the upstream release URL     (skipped with OPENSSL_FETCH_OFFLINE=1)
#   4. Debian's source archive      apt-get source, with the archive URI read from this machine's
#                                   own apt configuration and private apt state directories, so no
#                                   registry host is ever written into this repository.
# A mismatching tarball is refused; nothing unverified is ever cached or extracted.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=openssl.env
. "$here/openssl.env"

cache=${OPENSSL_WASM_CACHE:-$HOME/.cache/openssl-session-wasm}
name="openssl-$OPENSSL_VERSION.tar.gz"
cached="$cache/$name"
say() { printf '[fetch] %s\n' "$*" >&2; }

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# verify FILE ORIGIN: exits non-zero with an explanation when the digest is wrong.
verify() {
  local found
  found=$(sha_of "$1")
  if [ "$found" != "$OPENSSL_SHA256" ]; then
    cat >&2 <<EOF
[fetch] REFUSED: $1 (from $2) is not OpenSSL $OPENSSL_VERSION.
[fetch]   expected SHA-256 $OPENSSL_SHA256
[fetch]   found    SHA-256 $found
[fetch] Fix: delete or replace that file with the genuine openssl-$OPENSSL_VERSION.tar.gz
[fetch]      (or unset OPENSSL_TARBALL / clear $cache) and run the build again.
EOF
    return 1
  fi
}

store() { # store FILE ORIGIN: verify, then copy into the cache
  verify "$1" "$2" || return 1
  mkdir -p "$cache"
  if [ "$1" != "$cached" ]; then cp "$1" "$cached.tmp" && mv "$cached.tmp" "$cached"; fi
  say "verified $name from $2 (sha256 $OPENSSL_SHA256)"
  printf '%s\n' "$cached"
}

# 1. an explicit path: a mismatch here is an error, never silently skipped.
if [ -n "${OPENSSL_TARBALL:-}" ]; then
  [ -f "$OPENSSL_TARBALL" ] || { say "OPENSSL_TARBALL=$OPENSSL_TARBALL does not exist"; exit 1; }
  store "$OPENSSL_TARBALL" "OPENSSL_TARBALL" || exit 1
  exit 0
fi

# 2. the cache
if [ -f "$cached" ]; then
  if verify "$cached" "the cache"; then say "using the cached, verified $cached"; printf '%s\n' "$cached"; exit 0; fi
  say "removing the corrupt cached copy"; rm -f "$cached"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 3. upstream
if [ "${OPENSSL_FETCH_OFFLINE:-0}" != 1 ] && command -v curl >/dev/null; then
  url="https://github.com/openssl/openssl/releases/download/openssl-$OPENSSL_VERSION/$name"
  say "trying $url"
  if curl -fsSL --connect-timeout 10 --max-time 300 -o "$tmp/$name" "$url" 2>/dev/null; then
    store "$tmp/$name" "$url" && exit 0
  else
    say "upstream not reachable"
  fi
fi

# 4. Debian's source archive, through apt-get source with a private, temporary deb-src entry.
if command -v apt-get >/dev/null; then
  # shellcheck source=../toolchain/apt-private.sh
  . "$here/../toolchain/apt-private.sh"
  say "trying Debian's source archive (suite $OPENSSL_DEBIAN_SUITE, from this machine's apt configuration)"
  mkdir -p "$tmp/dl"
  if apt_private "$tmp" deb-src "$OPENSSL_DEBIAN_SUITE"; then
    if (cd "$tmp/dl" && apt-get "${APT_PRIVATE_OPTS[@]}" -qq source --download-only "openssl=$OPENSSL_DEBIAN_VERSION" >&2); then
      orig="$tmp/dl/openssl_$OPENSSL_VERSION.orig.tar.gz"
      [ -f "$orig" ] && store "$orig" "Debian source package openssl $OPENSSL_DEBIAN_VERSION" && exit 0
    else
      avail=$(apt-cache "${APT_PRIVATE_OPTS[@]}" showsrc openssl 2>/dev/null | awk '/^Version:/ {print $2}' | sort -u | tr '\n' ' ')
      say "Debian's $OPENSSL_DEBIAN_SUITE archive has no openssl $OPENSSL_DEBIAN_VERSION; available: ${avail:-none}"
      say "Fix: set OPENSSL_DEBIAN_VERSION in openssl-src/openssl.env to one whose orig tarball is $OPENSSL_VERSION,"
      say "     or give the tarball yourself: OPENSSL_TARBALL=/path/to/$name"
    fi
  fi
fi

say "could not obtain $name from any source."
say "Fix: download it yourself and run with OPENSSL_TARBALL=/path/to/$name"
exit 1
