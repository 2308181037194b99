#!/usr/bin/env bash
# The native twin of the WebAssembly build, for benchmarks: the same pinned, verified OpenSSL tarball and
# the same patches, built for x86-64 twice (with assembly, and no-asm like the wasm build), and
# bench/native/twin.c statically linked against each.
#
#   bash bench/native/build.sh [--force] [--run [twin options...]]
#
# It also compiles the same twin.c + primitives.c with emcc against the wasm build's own libraries
# (the ones build.sh made, found through wasm/dist/.build-info) into bench/native/out/twin-wasm.cjs,
# with function names kept (--profiling-funcs) so a profile names them: C beside C, no facade.
#
#   --force   rebuild the twins (the cached OpenSSL libraries are kept; delete their directory to redo them)
#   --run     afterwards run bench/native/out/twin-asm and twin-noasm with the given options (--quick, --json)
#
# Libraries: ~/.cache/openssl-session-wasm/native-<asm|noasm>-<key>/openssl-<version>/lib{ssl,crypto}.a
# ($OPENSSL_WASM_CACHE overrides the cache directory), where <key> hashes everything that changes them:
# version, tarball digest, target, options, patches and the compiler. A finished build is marked with
# .done and reused; an interrupted one is redone from a fresh extraction.
# Twins: bench/native/out/twin-asm, bench/native/out/twin-noasm (git-ignored), rebuilt when twin.c,
# the compile flags or the libraries change.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
. openssl-src/openssl.env
cache=${OPENSSL_WASM_CACHE:-$HOME/.cache/openssl-session-wasm}
out="$here/out"
step() { printf '\n[native] == %s\n' "$*"; }
say() { printf '[native] %s\n' "$*"; }

force=0; run=0; run_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=1; shift ;;
    --run) run=1; shift; run_args=("$@"); break ;;
    *) say "unknown option $1 (usage: bash bench/native/build.sh [--force] [--run [--quick] [--json]])"; exit 2 ;;
  esac
done

# Configure reads these from the environment: unset them so OpenSSL's own release flags (-O3) apply.
unset CC CFLAGS CPPFLAGS CXXFLAGS LDFLAGS LDLIBS CROSS_COMPILE

target=linux-x86_64
base_options=(no-shared no-tests no-apps no-docs enable-ec_nistp_64_gcc_128)
patches=(openssl-src/patches/*.patch)
cc_version=$(gcc --version | head -1)
twin_cflags=(-O2 -std=c11 -Wall -Wextra -pedantic)
jobs=2

step "toolchain"
for tool in gcc perl make patch tar sha256sum; do
  command -v "$tool" >/dev/null || { say "$tool not found: sudo apt-get install -y build-essential perl patch"; exit 1; }
done
say "compiler: $cc_version"

tarball=""   # fetched on the first library build that needs it

# build_libs VARIANT OPTION...: build (or reuse) one configuration; sets $tree to its source tree.
build_libs() {
  local variant=$1; shift
  local options=("$@") key dir start secs total
  key=$( { echo "$OPENSSL_VERSION $OPENSSL_SHA256 $target"; printf '%s\n' "${options[@]}";
    cat "${patches[@]}"; echo "$cc_version"; } | sha256sum | cut -c1-16)
  dir="$cache/native-$variant-$key"
  tree="$dir/openssl-$OPENSSL_VERSION"
  if [ -f "$dir/.done" ]; then
    step "OpenSSL $OPENSSL_VERSION $variant: cached ($dir, built in $(cat "$dir/build-seconds" 2>/dev/null || echo '?')s)"
    return
  fi
  if [ -z "$tarball" ]; then
    step "fetch + verify OpenSSL $OPENSSL_VERSION"
    tarball=$(bash openssl-src/fetch.sh)
  fi
  step "OpenSSL $OPENSSL_VERSION $variant: extract + patch into $dir"
  rm -rf "$dir"; mkdir -p "$dir"
  tar -xzf "$tarball" -C "$dir"
  for p in "${patches[@]}"; do say "patch $(basename "$p")"; patch -s -p1 -d "$tree" <"$p"; done
  step "OpenSSL $OPENSSL_VERSION $variant: ./Configure $target ${options[*]}"
  start=$(date +%s)
  (cd "$tree" && ./Configure "$target" "${options[@]}" >configure.log 2>&1) || { tail -20 "$tree/configure.log"; exit 1; }
  total=$(cd "$tree" && make -n build_libs 2>/dev/null | grep -c -- ' -c -o ' || true)
  step "OpenSSL $OPENSSL_VERSION $variant: make -j$jobs build_libs ($total units)"
  (cd "$tree" && make -j"$jobs" build_libs 2>&1) | awk -v total="$total" -v logf="$tree/make.log" '
    { print > logf }
    / -c -o / { n++; if (n % 100 == 0 || n == total) printf "[native] compile %d/%d\n", n, total; fflush() }
    /error:/ { print; fflush() }'
  [ "${PIPESTATUS[0]}" = 0 ] || { tail -30 "$tree/make.log"; exit 1; }
  [ -f "$tree/libssl.a" ] && [ -f "$tree/libcrypto.a" ] || { say "libssl.a/libcrypto.a missing"; exit 1; }
  secs=$(( $(date +%s) - start ))
  echo "$secs" >"$dir/build-seconds"
  say "OpenSSL $variant built in ${secs}s"
  touch "$dir/.done"
}

# build_twin VARIANT: compile + link twin.c against $tree into $out/twin-VARIANT (statically, for OpenSSL).
build_twin() {
  local variant=$1 bin="$out/twin-$1" stamp
  stamp=$( { echo "$tree"; stat -c '%s %Y' "$tree/libssl.a" "$tree/libcrypto.a"; cat "$here/twin.c";
    printf '%s\n' "${twin_cflags[@]}" "$cc_version"; } | sha256sum | cut -c1-16)
  if [ $force = 0 ] && [ -x "$bin" ] && [ "$(cat "$bin.stamp" 2>/dev/null)" = "$stamp" ]; then
    step "twin-$variant is up to date ($bin)"
    return
  fi
  step "compile twin-$variant: gcc ${twin_cflags[*]} twin.c libssl.a libcrypto.a"
  mkdir -p "$out"
  gcc "${twin_cflags[@]}" -I"$tree/include" "$here/twin.c" "$here/primitives.c" "$tree/libssl.a" "$tree/libcrypto.a" \
    -pthread -ldl -o "$bin.tmp"
  # The point of the twin is this OpenSSL: refuse a binary that would load a system libssl/libcrypto.
  if ldd "$bin.tmp" 2>/dev/null | grep -Eq 'lib(ssl|crypto)\.so'; then
    say "twin-$variant links a shared libssl/libcrypto:"; ldd "$bin.tmp"; rm -f "$bin.tmp"; exit 1
  fi
  mv "$bin.tmp" "$bin"
  echo "$stamp" >"$bin.stamp"
  say "$bin ($(stat -c %s "$bin") bytes)"
}

# build_wasm_twin: the twin in WebAssembly, linked like wasm/dist/openssl.wasm (-O3, WASM_BIGINT).
build_wasm_twin() {
  # .cjs: the package is "type": "module", and Emscripten's Node glue is CommonJS.
  local info="$root/wasm/dist/.build-info" wtree toolchain bin="$out/twin-wasm.cjs" stamp
  [ -f "$info" ] || { say "wasm/dist/.build-info missing: run bash build.sh first"; exit 1; }
  wtree=$(sed -n 's/^tree=//p' "$info"); toolchain=$(sed -n 's/^toolchain=//p' "$info")
  stamp=$( { echo "$wtree $toolchain"; stat -c '%s %Y' "$wtree/libssl.a" "$wtree/libcrypto.a";
    cat "$here/twin.c" "$here/twin.h" "$here/primitives.c"; printf '%s\n' "${wasm_flags[@]}"; } | sha256sum | cut -c1-16)
  if [ $force = 0 ] && [ -f "$bin" ] && [ "$(cat "$bin.stamp" 2>/dev/null)" = "$stamp" ]; then
    step "twin-wasm is up to date ($bin)"
    return
  fi
  step "compile twin-wasm: emcc ${wasm_flags[*]}"
  mkdir -p "$out"
  EM_CONFIG="$toolchain/emscripten-config.py" "$toolchain/bin/emcc" "${wasm_flags[@]}" -I"$wtree/include" \
    "$here/twin.c" "$here/primitives.c" "$wtree/libssl.a" "$wtree/libcrypto.a" -o "$out/twin-wasm.js"
  mv "$out/twin-wasm.js" "$bin"
  echo "$stamp" >"$bin.stamp"
  say "$bin + twin-wasm.wasm ($(stat -c %s "$out/twin-wasm.wasm") bytes)"
}
wasm_flags=(-O3 -std=c11 -sWASM_BIGINT=1 -sENVIRONMENT=node -sALLOW_MEMORY_GROWTH=1 -sSTACK_SIZE=1MB --profiling-funcs)

build_libs asm "${base_options[@]}";          tree_asm=$tree
build_libs noasm "${base_options[@]}" no-asm; tree_noasm=$tree
tree=$tree_asm;   build_twin asm
tree=$tree_noasm; build_twin noasm
build_wasm_twin

if [ $run = 1 ]; then
  for variant in asm noasm; do
    step "run: bench/native/out/twin-$variant ${run_args[*]}"
    "$out/twin-$variant" "${run_args[@]}"
  done
  step "run: node bench/native/out/twin-wasm.cjs ${run_args[*]}"
  node "$out/twin-wasm.cjs" "${run_args[@]}"
fi
