#!/usr/bin/env bash
# Link-time levers, measured on the C twin in wasm (bench/native/twin.c + primitives.c against the
# release build's own libraries): each variant relinks the same objects with other flags, then runs
# the same figures in one sitting; prints medians and the ratio to the release flags (-O3, dlmalloc).
#   bash bench/levers.sh [--quick] [FIGURE-PREFIXES]
# Needs a finished bash build.sh (wasm/dist/.build-info). Writes only under bench/native/out/levers/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
info="$root/wasm/dist/.build-info"
[ -f "$info" ] || { echo "[levers] run bash build.sh first" >&2; exit 1; }
tree=$(sed -n 's/^tree=//p' "$info"); toolchain=$(sed -n 's/^toolchain=//p' "$info")
quick=(); [ "${1:-}" = --quick ] && { quick=(--quick); shift; }
only=${1:-handshake.tls13.full,handshake.tls13.resumed,handshake.tls12.full,session.new_free,prim.x25519.derive,prim.p256.ecdh,prim.aes128gcm}
out="$root/bench/native/out/levers"
mkdir -p "$out"
common=(-std=c11 -sWASM_BIGINT=1 -sENVIRONMENT=node -sALLOW_MEMORY_GROWTH=1 -sSTACK_SIZE=1MB)
declare -A variants=(
  [release]="-O3"
  [wasm-opt-O2]="-O2"
  [wasm-opt-O4]="-O4"
  [wasm-opt-Os]="-Os"
  [malloc-emmalloc]="-O3 -sMALLOC=emmalloc"
  [malloc-mimalloc]="-O3 -sMALLOC=mimalloc"
)
order=(${LEVERS:-release wasm-opt-O2 wasm-opt-O4 wasm-opt-Os malloc-emmalloc malloc-mimalloc})
for v in "${order[@]}"; do
  if [ ! -f "$out/$v.cjs" ]; then
    echo "[levers] link $v: emcc ${variants[$v]}" >&2
    # shellcheck disable=SC2086
    EM_CONFIG="$toolchain/emscripten-config.py" "$toolchain/bin/emcc" ${variants[$v]} "${common[@]}" -I"$tree/include" \
      "$root/bench/native/twin.c" "$root/bench/native/primitives.c" "$tree/libssl.a" "$tree/libcrypto.a" -o "$out/$v.js" 2>/dev/null \
      || { echo "[levers] $v does not link; skipped" >&2; continue; }
    mv "$out/$v.js" "$out/$v.cjs"   # the package is "type": "module"; the glue is CommonJS
  fi
done
# Interleaved rounds, so load on a shared machine spreads over every variant alike.
rounds=3
for r in $(seq $rounds); do
  for v in "${order[@]}"; do
    [ -f "$out/$v.cjs" ] || continue
    node "$out/$v.cjs" --json "${quick[@]}" --only "$only" >"$out/$v.$r.json"
  done
done
node - "$out" "$rounds" "${order[@]}" <<'JS'
const [dir, rounds, ...order] = process.argv.slice(2);
const fs = require('node:fs');
const zlib = require('node:zlib');
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const runs = {};
for (const v of order) {
  if (!fs.existsSync(`${dir}/${v}.cjs`)) continue;
  runs[v] = {};
  for (let r = 1; r <= Number(rounds); r++) {
    const figs = JSON.parse(fs.readFileSync(`${dir}/${v}.${r}.json`, 'utf8')).figures;
    for (const [id, f] of Object.entries(figs)) (runs[v][id] ??= { unit: f.unit, values: [] }).values.push(f.value);
  }
}
const ids = Object.keys(runs.release ?? {});
const size = (v) => zlib.brotliCompressSync(fs.readFileSync(`${dir}/${v}.wasm`)).length;
console.log(`variant            wasm brotli  ${ids.map((id) => id.padStart(26)).join(' ')}`);
for (const v of Object.keys(runs)) {
  const cells = ids.map((id) => {
    const m = median(runs[v][id]?.values ?? [NaN]);
    const base = median(runs.release[id].values);
    const ratio = runs.release[id].unit.endsWith('/s') ? m / base : base / m;
    return `${m.toFixed(m >= 100 ? 0 : 1)} (${ratio.toFixed(2)}x)`.padStart(26);
  });
  console.log(`${v.padEnd(18)} ${String(size(v)).padStart(11)}  ${cells.join(' ')}`);
}
console.log('(medians of the rounds; in parentheses the speed relative to release, > 1 = faster)');
JS
