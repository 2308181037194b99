#!/usr/bin/env bash
# The sanitized variant for the playground's "Run it in plain C": the same OpenSSL tree (sources,
# patches, options, toolchain) as the release build, with libssl recompiled under AddressSanitizer
# and the glue linked against ASan's malloc, so misuse that the facade would refuse reaches real C
# and ASan reports it (heap-use-after-free, double free) with function names from the name section.
# Only libssl (52 units) is instrumented: every SSL_SESSION is freed, read and walked there, and
# ASan's allocator sees every block libcrypto allocates, so the report keeps its three stacks
# (the bad access, freed by, allocated by) for a fraction of a second full build's CPU.
# Never part of the npm package: it is written to wasm/dist/asan/ and only the playground serves it.
# Usage (from build.sh, with emcc on PATH):
#   bash wasm/asan.sh <openssl build tree> <release cache key> <export list: build.sh's, from the FFI table> [--force]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
tree=$1 key=$2 exports=$3 force=${4:-}
cache=$(dirname "$(dirname "$tree")")
out=wasm/dist/asan
say() { printf '[asan] %s\n' "$*"; }

# -O1: little inlining, so SSL_SESSION_free and SSL_CTX_flush_sessions stay frames of their own.
asan_cflags="-O1 -msimd128 -fsanitize=address"
akey=$(echo "$key $asan_cflags" | sha256sum | cut -c1-16)   # the release key covers sources, patches, options, toolchain
lib="$cache/asan-$akey"
exec 8>"$cache/asan-$akey.lock"
flock 8
if [ -f "$lib/.done" ]; then
  say "libssl with AddressSanitizer: cached ($lib)"
else
  start=$(date +%s)
  rm -rf "$lib"; mkdir -p "$lib"
  # A copy of the configured release tree keeps its generated headers and timestamps, so make
  # rebuilds exactly the libssl objects removed here and nothing else.
  cp -a "$tree" "$lib/tree"
  find "$lib/tree/ssl" -name '*.o' -delete; rm -f "$lib/tree/libssl.a"
  units=$(cd "$lib/tree" && make -n libssl.a 2>/dev/null | grep -c -- ' -c -o ' || true)
  say "compile libssl with $asan_cflags ($units units)"
  (cd "$lib/tree" && emmake make -j"$(nproc)" libssl.a CFLAGS="$asan_cflags" >"$lib/make.log" 2>&1) \
    || { tail -30 "$lib/make.log"; exit 1; }
  mv "$lib/tree/libssl.a" "$lib/libssl-asan.a"
  rm -rf "$lib/tree"
  echo $(( $(date +%s) - start )) >"$lib/seconds"
  touch "$lib/.done"
  say "libssl compiled in $(cat "$lib/seconds")s"
fi

glue=(wasm/glue/*.c)
stamp=$( { echo "$akey"; echo "$exports"; cat "${glue[@]}" wasm/glue/*.h wasm/host.js wasm/asan.sh; } | sha256sum | cut -c1-16)
if [ "$force" != --force ] && [ -f "$out/openssl-asan.wasm" ] && [ "$(cat "$out/.stamp" 2>/dev/null)" = "$stamp" ]; then
  say "wasm/dist/asan is up to date ($stamp)"
else
  start=$(date +%s)
  mkdir -p "$out"
  # Unlike the release link: the module makes its own fixed memory (ASan's shadow covers all of
  # it), it keeps function names (--profiling-funcs) and an ASan report aborts the instance,
  # which the playground then throws away.
  emcc -O1 -fsanitize=address --profiling-funcs -sWASM_BIGINT=1 \
    -sMODULARIZE=1 -sEXPORT_ES6=1 -sEXPORT_NAME=createOpenSSLAsanModule -sENVIRONMENT=web \
    -sFILESYSTEM=0 -sINITIAL_MEMORY=256MB -sALLOW_MEMORY_GROWTH=0 -sTOTAL_STACK=1MB \
    -sEXPORTED_FUNCTIONS="$exports" -sEXPORTED_RUNTIME_METHODS=[HEAPU8] -lexports.js \
    -sINCOMING_MODULE_JS_API=[instantiateWasm,wasmBinary,oswHost,print,printErr,onAbort] \
    --js-library wasm/host.js \
    -I"$tree/include" -I"$tree" -Iwasm/glue "${glue[@]}" "$lib/libssl-asan.a" "$tree/libcrypto.a" \
    -o "$out/openssl-asan.mjs"
  echo "$stamp" >"$out/.stamp"
  say "linked in $(( $(date +%s) - start ))s (libssl compile: $(cat "$lib/seconds")s, cached)"
fi
for f in "$out/openssl-asan.wasm" "$out/openssl-asan.mjs"; do
  raw=$(stat -c %s "$f"); gz=$(gzip -9 -c "$f" | wc -c)
  br=$(if command -v brotli >/dev/null; then brotli -q 11 -c "$f" | wc -c; else echo n/a; fi)
  printf '[asan] %-22s raw %8s  gzip %8s  brotli %8s bytes\n' "$(basename "$f")" "$raw" "$gz" "$br"
done
