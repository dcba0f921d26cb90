#!/usr/bin/env bash
# Install what libclef needs, idempotently: Debian packages (apt-get, only when one is missing)
# and a Python venv under build/venv for Python-side tools and tests.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mapfile -t pkgs < <(grep -vE '^\s*(#|$)' "$root/tools/debian-packages.txt")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# de_DE.UTF-8 (decimal comma) for the locale tests; they SKIP, saying so, without it
if ! locale -a 2> /dev/null | grep -qiE '^de_DE\.utf-?8$'; then
  echo "generating locale de_DE.UTF-8"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO localedef -i de_DE -f UTF-8 de_DE.UTF-8
fi

venv="$root/build/venv"
req="$root/tools/requirements-test.txt"
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
  echo "$want" > "$stamp"
fi
