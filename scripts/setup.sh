#!/usr/bin/env bash
# Set up everything piiaudit needs on a fresh Debian/Ubuntu machine, idempotently:
# a JDK (for the JVM stand-in), Node/npm (to build the Frida agent), headless Chromium with
# CJK fonts (report --pdf and the page's browser tests), a Python 3.11
# virtualenv with the pinned requirements, the Frida agent bundle and the stand-in classes.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
  echo "need root to run: $*" >&2; exit 1; fi; }

missing=()
command -v javac >/dev/null && command -v keytool >/dev/null || missing+=(openjdk-17-jdk-headless)
command -v npm >/dev/null || missing+=(nodejs npm)
# headless Chromium prints report.pdf and runs the page's layout tests; Noto CJK draws its Chinese
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null \
  || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing+=(fonts-noto-cjk)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} (Debian packages)"
  if ! command -v apt-get >/dev/null; then
    echo "please install: ${missing[*]} (no apt-get on this machine)" >&2; exit 1
  fi
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "piiaudit needs Python 3.11 (mitmproxy 11 and the pinned frida wheels); found $("$PYTHON" --version)" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing Python requirements"
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
  .venv/bin/pip install -q --disable-pip-version-check --no-deps -e .
  echo "$want" > "$stamp"
fi

# The detection process runs with -O (addon/detectproc.py), and pip writes no bytecode for
# that (.opt-1.pyc): where Python may not write its cache itself (PYTHONDONTWRITEBYTECODE,
# a read-only install) every start compiled numpy, mitmproxy and the detector again, 0.5 s
# of CPU instead of 0.2. Compiled here once per set of requirements; the project's own
# modules every time (a stale one is simply recompiled in memory).
optstamp=.venv/.opt-bytecode.sha256
if [ "$(cat "$optstamp" 2>/dev/null)" != "$want" ]; then
  say "compiling bytecode for the detection process (python -O)"
  .venv/bin/python -O -m compileall -q -j 0 .venv/lib/python3*/site-packages >/dev/null 2>&1 || true
  echo "$want" > "$optstamp"
fi
.venv/bin/python -O -m compileall -q piiaudit addon >/dev/null 2>&1 || true
.venv/bin/python -m compileall -q piiaudit addon >/dev/null 2>&1 || true

say "building the C extensions (the detector's scans, the flow record writer), the Frida agent and the JVM stand-in"
# optional: without a C compiler the detector runs its numpy path and flows are saved by
# mitmproxy's own writer (slower, same results)
.venv/bin/python setup.py -q build_ext --inplace 2>/dev/null \
  || echo "note: no C compiler; the detector will use its slower numpy path, flows.mitm mitmproxy's own writer" >&2
.venv/bin/python -c 'from hooks.agent_build import build_agent; build_agent()'
.venv/bin/python -c 'from hooks.standin.build import build; build()'
say "ready: .venv/bin/piiaudit --help"
