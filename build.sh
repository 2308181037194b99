#!/usr/bin/env bash
# One command from a fresh clone to the built module:
#   fetch + verify OpenSSL -> patch -> configure for wasm32 -> build libssl/libcrypto (cached outside
#   the repo) -> compile our C glue -> link one .wasm + ES-module glue into wasm/dist/ -> print sizes.
# Usage: bash build.sh [--force]     (an up-to-date build returns in about a second)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$root"
. openssl-src/openssl.env
. openssl-src/options.sh
cache=${OPENSSL_WASM_CACHE:-$HOME/.cache/openssl-session-wasm}
out=wasm/dist
force=0; [ "${1:-}" = --force ] && force=1
step() { printf '\n[build] == %s\n' "$*"; }
say() { printf '[build] %s\n' "$*"; }

# ---- the pinned toolchain (toolchain/toolchain.env): obtained, verified and cached once ----------
step "toolchain"
toolchain=$(bash toolchain/obtain.sh)
export PATH="$toolchain/bin:$PATH" EM_CONFIG="$toolchain/emscripten-config.py"
emcc_version=$(emcc --version 2>/dev/null | sed -n 1p)   # sed reads it all: with head, emcc can die of SIGPIPE and pipefail stops the build
toolchain_id="$(basename "$toolchain") $(tr '\n' ' ' <"$toolchain/.done")"
say "emcc: $emcc_version ($toolchain)"

# ---- OpenSSL's static libraries, cached by everything that changes them --------------------------
patches=(openssl-src/patches/*.patch)
key=$( { echo "$OPENSSL_VERSION $OPENSSL_SHA256 $OPENSSL_TARGET $OPENSSL_CFLAGS"; printf '%s\n' "${OPENSSL_OPTIONS[@]}";
  cat "${patches[@]}" openssl-src/conf/*.conf; echo "$toolchain_id"; } | sha256sum | cut -c1-16)
tree="$cache/build-$key/openssl-$OPENSSL_VERSION"
# Several checkouts may share the cache: one builds a key while the others wait for it.
mkdir -p "$cache"
exec 9>"$cache/build-$key.lock"
flock 9
if [ -f "$cache/build-$key/.done" ]; then
  step "OpenSSL $OPENSSL_VERSION libraries: cached ($cache/build-$key)"
else
  step "fetch + verify OpenSSL $OPENSSL_VERSION"
  tarball=$(bash openssl-src/fetch.sh)
  step "extract + patch"
  rm -rf "$cache/build-$key"; mkdir -p "$cache/build-$key"
  tar -xzf "$tarball" -C "$cache/build-$key"
  for p in "${patches[@]}"; do say "patch $(basename "$p")"; patch -s -p1 -d "$tree" <"$p"; done
  step "configure ($OPENSSL_TARGET ${#OPENSSL_OPTIONS[@]} options)"
  (cd "$tree" && CFLAGS="$OPENSSL_CFLAGS" emconfigure ./Configure --config="$root/openssl-src/conf/wasm32.conf" "$OPENSSL_TARGET" "${OPENSSL_OPTIONS[@]}" >configure.log 2>&1) \
    || { tail -20 "$tree/configure.log"; exit 1; }
  # emconfigure sets CC=emcc and CROSS_COMPILE=em: together they make "ememcc". Empty the prefix.
  sed -i 's/^CROSS_COMPILE=.*/CROSS_COMPILE=/' "$tree/Makefile"
  total=$(cd "$tree" && make -n build_libs 2>/dev/null | grep -c -- ' -c -o ' || true)
  step "compile libcrypto + libssl ($total units, $(nproc) jobs)"
  start=$(date +%s)
  (cd "$tree" && emmake make -j"$(nproc)" build_libs 2>&1) | awk -v total="$total" -v logf="$tree/make.log" '
    { print > logf }
    / -c -o / { n++; if (n % 50 == 0 || n == total) printf "[build] compile %d/%d\n", n, total; fflush() }
    /error:/ { print; fflush() }'
  [ "${PIPESTATUS[0]}" = 0 ] || { tail -30 "$tree/make.log"; exit 1; }
  [ -f "$tree/libssl.a" ] && [ -f "$tree/libcrypto.a" ] || { say "libssl.a/libcrypto.a missing"; exit 1; }
  say "OpenSSL built in $(( $(date +%s) - start ))s"
  touch "$cache/build-$key/.done"
fi

# ---- our glue + link ---------------------------------------------------------------------------
glue=(wasm/glue/*.c)
# The linker's export list, derived from the one FFI table (src/binding/abi.ts).
exports=$(node wasm/export-list.mjs)
link_flags=(
  -O3
  -sWASM_BIGINT=1            # i64 crosses to JS as BigInt (binaryen from npm has no wasm-emscripten-finalize to legalize it)
  -sMODULARIZE=1 -sEXPORT_ES6=1 -sEXPORT_NAME=createOpenSSLModule
  -sENVIRONMENT=web          # one shared path for every runtime: the loader hands over the wasm bytes,
                             # so Node, Deno and Bun never reach Emscripten's Node branch (require/__dirname)
  -sFILESYSTEM=0             # no virtual filesystem: every input is a byte array
  -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=16MB -sTOTAL_STACK=1MB
  -sIMPORTED_MEMORY=1        # the loader makes the memory, so a caller can cap it (loadOpenSSL({ maxMemory }))
  -sABORTING_MALLOC=0        # out of memory returns NULL to OpenSSL instead of aborting the instance
  -sEXPORTED_FUNCTIONS="$exports"
  -sEXPORTED_RUNTIME_METHODS=[]
  -lexports.js               # keeps wasm export names unminified: the binding takes the raw exports by name
  -sINCOMING_MODULE_JS_API=[instantiateWasm,wasmBinary,wasmMemory,oswHost,print,printErr]
  --js-library wasm/host.js
)
# The stamp hashes the derived list, not the table: a changed comment or C type reuses the link.
stamp=$( { echo "$key"; echo "$exports"; cat "${glue[@]}" wasm/glue/*.h wasm/host.js wasm/post-link.mjs build.sh; } | sha256sum | cut -c1-16)
if [ $force = 0 ] && [ -f "$out/openssl.wasm" ] && [ "$(cat "$out/.stamp" 2>/dev/null)" = "$stamp" ]; then
  step "wasm/dist is up to date ($stamp)"
else
  step "compile glue (${#glue[@]} files) + link"
  mkdir -p "$out"
  # The glue reads a few OpenSSL internals (the session refcount, cache membership): it compiles
  # against the build tree's private headers, never against a second copy of them.
  emcc "${link_flags[@]}" -I"$tree/include" -I"$tree" -Iwasm/glue \
    "${glue[@]}" "$tree/libssl.a" "$tree/libcrypto.a" -o "$out/openssl.mjs"
  node wasm/post-link.mjs "$out/openssl.mjs"
  echo "$stamp" >"$out/.stamp"
fi
cp "$tree/LICENSE.txt" "$out/LICENSE.OpenSSL"
# For other builds against the same libraries (bench/native/build.sh's wasm twin): where they are.
printf 'tree=%s\ntoolchain=%s\n' "$tree" "$toolchain" >"$out/.build-info"

# The playground's sanitized twin (wasm/dist/asan/, never in the npm package), from the same tree.
step "AddressSanitizer variant for the playground"
bash wasm/asan.sh "$tree" "$key" "$exports" "$([ $force = 1 ] && echo --force)"

step "artifacts"
for f in "$out/openssl.wasm" "$out/openssl.mjs"; do
  raw=$(stat -c %s "$f"); gz=$(gzip -9 -c "$f" | wc -c)
  br=$(if command -v brotli >/dev/null; then brotli -q 11 -c "$f" | wc -c; else echo n/a; fi)
  printf '[build] %-22s raw %8s  gzip %8s  brotli %8s bytes\n' "$(basename "$f")" "$raw" "$gz" "$br"
done
