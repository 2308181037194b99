#!/usr/bin/env bash
# The system tools `npm test` and `npm start` need besides Node and the npm packages, installed with
# Debian's apt when missing (build.sh installs emscripten itself). Usage: ensure-tools.sh test|start
#   test:  chromium (browser and playground suites, driven by playwright-core; never downloaded),
#          openssl (the native peer of the interop suites), brotli (artifact sizes), curl + patch (build)
#   start: curl + patch (the build)
# As root it runs `apt-get update` once, then one `apt-get install`, printing both; otherwise it
# prints the command to run and fails, so no suite ever starts without its tool.
set -euo pipefail
purpose=${1:-test}
case "$purpose" in
  test) wanted=(chromium:chromium openssl:openssl brotli:brotli curl:curl patch:patch) ;;
  start) wanted=(curl:curl patch:patch) ;;
  *) echo "usage: ensure-tools.sh test|start" >&2; exit 2 ;;
esac

missing=()
for entry in "${wanted[@]}"; do
  command=${entry%%:*} package=${entry#*:}
  if [ "$command" = chromium ] && [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then continue; fi
  command -v "$command" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

install="apt-get update && apt-get install -y ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "[tools] missing: ${missing[*]}. This machine has no apt-get: install them with its package manager (Chromium: set CHROMIUM_PATH to its binary)." >&2
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  echo "[tools] missing: ${missing[*]}. Install them, then run npm $purpose again:" >&2
  echo "[tools]   sudo sh -c '$install'" >&2
  exit 1
fi
echo "[tools] missing: ${missing[*]}"
echo "[tools] $install"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
for entry in "${wanted[@]}"; do
  command=${entry%%:*}
  [ "$command" = chromium ] && [ -n "${CHROMIUM_PATH:-}" ] && continue
  command -v "$command" >/dev/null 2>&1 || { echo "[tools] $command is still missing after installing ${entry#*:}" >&2; exit 1; }
done
echo "[tools] installed: ${missing[*]}"
