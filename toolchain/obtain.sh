#!/usr/bin/env bash
# Obtain the pinned WebAssembly toolchain (toolchain/toolchain.env), verify it, cache it outside the
# repository, and print its directory on stdout. build.sh puts "<dir>/bin" first on PATH and
# exports EM_CONFIG="<dir>/emscripten-config.py".
#
#   LLVM 19         Debian 12's clang-19, lld-19, llvm-19 (apt-get install, as root)
#   Emscripten      Debian 13's emscripten .deb (Architecture: all), fetched with apt-get download
#                   through a private temporary entry (toolchain/apt-private.sh), SHA-256 checked,
#                   unpacked with dpkg -x; its prebuilt sysroot becomes our writable CACHE
#   binaryen        npm's binaryen tarball (npm pack), SHA-256 checked, unpacked
#   acorn           Debian's node-acorn, linked as emscripten/node_modules/acorn (the optimizer
#                   is an ES module, so NODE_PATH does not reach it)
# Set EMSCRIPTEN_DEB=/path/to/emscripten_<version>_all.deb to use a .deb you already have (it is
# verified like a downloaded one). Nothing unverified is ever unpacked into the cache.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=toolchain.env
. "$here/toolchain.env"
say() { printf '[toolchain] %s\n' "$*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

cache=${OPENSSL_WASM_CACHE:-$HOME/.cache/openssl-session-wasm}
key=$(sha256sum "$here/toolchain.env" | cut -c1-12)
dir="$cache/toolchain-emscripten-$EMSCRIPTEN_VERSION-llvm-$LLVM_MAJOR-binaryen-${BINARYEN_VERSION%%.*}-$key"
llvm=/usr/lib/llvm-$LLVM_MAJOR/bin
acorn=/usr/share/nodejs/acorn

# ---- system packages: LLVM 19, python3, Debian's acorn -----------------------------------------
missing=()
for tool in clang wasm-ld llvm-ar llvm-nm; do [ -x "$llvm/$tool" ] || { missing+=($LLVM_PACKAGES); break; }; done
command -v python3 >/dev/null || missing+=(python3)
[ -f "$acorn/package.json" ] || missing+=(node-acorn)
command -v node >/dev/null || fail "node is not on PATH (Node >= 20 is required)"
command -v npm >/dev/null || fail "npm is not on PATH"
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing ${missing[*]} (Debian packages)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || fail "apt-get update failed"
    apt-get install -y -qq "${missing[@]}" >/dev/null || fail "apt-get install ${missing[*]} failed"
  else
    say "missing Debian packages: ${missing[*]}"
    say "This needs root once. Run:"
    say "    sudo apt-get update"
    say "    sudo apt-get install -y ${missing[*]}"
    say "then run the build again (everything else is fetched into $cache without root)."
    fail "missing ${missing[*]} and not root"
  fi
fi
found=$(dpkg-query -W -f='${Version}' "clang-$LLVM_MAJOR" 2>/dev/null || true)
[ "$found" = "$LLVM_DEBIAN_VERSION" ] || say "note: clang-$LLVM_MAJOR is ${found:-not from a Debian package}, pinned $LLVM_DEBIAN_VERSION"

# ---- the cached Emscripten + binaryen directory, built once per pin set --------------------------
mkdir -p "$cache"
exec 8>"$dir.lock"
flock 8
if [ -f "$dir/.done" ]; then printf '%s\n' "$dir"; exit 0; fi

work="$dir.partial"
rm -rf "$work" "$dir"
mkdir -p "$work/dl"
trap 'rm -rf "$work"' EXIT
sha_of() { sha256sum "$1" | cut -d' ' -f1; }
verify() { # verify FILE SHA256 WHAT
  local found
  found=$(sha_of "$1")
  [ "$found" = "$2" ] && return 0
  say "REFUSED: $1 is not $3"
  say "  expected SHA-256 $2"
  say "  found    SHA-256 $found"
  return 1
}

deb_name="emscripten_${EMSCRIPTEN_DEBIAN_VERSION//:/%3a}_all.deb"
if [ -n "${EMSCRIPTEN_DEB:-}" ]; then
  [ -f "$EMSCRIPTEN_DEB" ] || fail "EMSCRIPTEN_DEB=$EMSCRIPTEN_DEB does not exist"
  cp "$EMSCRIPTEN_DEB" "$work/dl/$deb_name"
else
  command -v apt-get >/dev/null || fail "apt-get is needed to fetch emscripten $EMSCRIPTEN_DEBIAN_VERSION (or set EMSCRIPTEN_DEB=/path/to/$deb_name)"
  # shellcheck source=apt-private.sh
  . "$here/apt-private.sh"
  say "downloading emscripten $EMSCRIPTEN_DEBIAN_VERSION ($EMSCRIPTEN_DEB_SIZE bytes) from Debian's $EMSCRIPTEN_DEBIAN_SUITE suite"
  apt_private "$work/apt" deb "$EMSCRIPTEN_DEBIAN_SUITE" || fail "cannot reach Debian's $EMSCRIPTEN_DEBIAN_SUITE suite"
  (cd "$work/dl" && apt-get "${APT_PRIVATE_OPTS[@]}" -qq download "emscripten=$EMSCRIPTEN_DEBIAN_VERSION" >&2) ||
    fail "apt-get download emscripten=$EMSCRIPTEN_DEBIAN_VERSION failed (set EMSCRIPTEN_DEB=/path/to/$deb_name to use a copy)"
fi
deb=$(ls "$work"/dl/emscripten_*_all.deb)
verify "$deb" "$EMSCRIPTEN_DEB_SHA256" "Debian's emscripten $EMSCRIPTEN_DEBIAN_VERSION" || fail "emscripten .deb digest mismatch"
say "verified $(basename "$deb") (sha256 $EMSCRIPTEN_DEB_SHA256)"
say "unpacking (about 1.6 GB: the prebuilt sysroot, with sanitizer runtimes)"
dpkg -x "$deb" "$work/x"
mv "$work/x/usr/share/emscripten" "$work/emscripten"
cp "$work/x/usr/share/doc/emscripten/copyright" "$work/emscripten/COPYRIGHT.debian" 2>/dev/null || true
rm -rf "$work/x" "$deb"

say "fetching binaryen@$BINARYEN_VERSION (npm pack)"
(cd "$work/dl" && npm pack --silent "binaryen@$BINARYEN_VERSION" >/dev/null) || fail "npm pack binaryen@$BINARYEN_VERSION failed"
tgz="$work/dl/binaryen-$BINARYEN_VERSION.tgz"
verify "$tgz" "$BINARYEN_TGZ_SHA256" "npm's binaryen $BINARYEN_VERSION" || fail "binaryen tarball digest mismatch"
mkdir -p "$work/binaryen"
tar -xzf "$tgz" -C "$work/binaryen" --strip-components=1
rm -f "$tgz"

mkdir -p "$work/emscripten/node_modules"
ln -s "$acorn" "$work/emscripten/node_modules/acorn"

# EM_CONFIG: our LLVM, our binaryen, this Node, and the unpacked sysroot as a writable cache
# (FROZEN_CACHE off so a variant the .deb lacks can be built into it once).
cat >"$work/emscripten-config.py" <<EOF
LLVM_ROOT = '$llvm'
BINARYEN_ROOT = '$dir/binaryen'
NODE_JS = '$(command -v node)'
CACHE = '$dir/emscripten/cache'
FROZEN_CACHE = False
EOF

# Wrapper scripts, not symlinks: each emscripten entry point finds its .py beside its own path.
mkdir -p "$work/bin"
for tool in emcc em++ emar emranlib emconfigure emmake emnm emstrip emsize em-config emsymbolizer; do
  cat >"$work/bin/$tool" <<EOF
#!/bin/sh
EM_CONFIG='$dir/emscripten-config.py'; export EM_CONFIG
exec '$dir/emscripten/$tool' "\$@"
EOF
  chmod +x "$work/bin/$tool"
done
mv "$work" "$dir"
trap - EXIT

# ---- smoke test: compile, link and run C with this toolchain -----------------------------------
say "checking: a C program compiled with -O2 -sWASM_BIGINT must run with a 64-bit time_t"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
printf '#include <stdio.h>\n#include <time.h>\nint main(void){printf("%%zu %%zu\\n",sizeof(time_t),sizeof(long));return 0;}\n' >"$t/t.c"
"$dir/bin/emcc" -O2 -sWASM_BIGINT "$t/t.c" -o "$t/t.js" >&2 || { rm -rf "$dir"; fail "emcc could not build a test program"; }
sizes=$(node "$t/t.js")
[ "$sizes" = "8 4" ] || { rm -rf "$dir"; fail "test program printed sizeof(time_t) sizeof(long) = '$sizes', expected '8 4'"; }
{
  echo "emscripten $EMSCRIPTEN_DEBIAN_VERSION sha256 $EMSCRIPTEN_DEB_SHA256"
  echo "binaryen $BINARYEN_VERSION sha256 $BINARYEN_TGZ_SHA256"
  "$llvm/clang" --version | sed -n 1p
} >"$dir/.done"
say "ready: $dir"
printf '%s\n' "$dir"
