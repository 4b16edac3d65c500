#!/usr/bin/env bash
# Reproduces docs/tensorboard_demo.png: trains the digits demo into a fresh runs/ folder,
# serves it with the real TensorBoard server and photographs the Scalars tab (its charts are
# SVG, so no GPU is needed) in headless Chromium (`apt-get install chromium`).
# Usage: tools/screenshot_tensorboard.sh [PYTHON] [OUT]   (or `make screenshot`)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
python=${1:-$repo/.venv/bin/python}
python=$(cd "$(dirname "$(command -v "$python")")" && pwd)/$(basename "$python")
out=$(realpath -m "${2:-$repo/docs/tensorboard_demo.png}")
chromium=${CHROMIUM:-chromium}
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server"; rm -rf "$work"' EXIT
cd "$work"

PYTHONPATH=$repo "$python" -c "from examples import digits; digits.main('runs/digits')"

port=$("$python" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
"$python" -m tensorboard.main --logdir runs --host 127.0.0.1 --port "$port" \
    >tensorboard.log 2>&1 &
server=$!
for _ in $(seq 60); do  # until the server answers
    curl -sf "http://127.0.0.1:$port/data/runs" >/dev/null && break
    sleep 1
done

# Background traffic off: without internet Chromium stalls on it. The tag filter shows all
# three charts in one open group.
"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/chromium" --window-size=1400,770 --hide-scrollbars \
    --virtual-time-budget=20000 --screenshot="$out" \
    "http://127.0.0.1:$port/#scalars&tagFilter=loss%7Caccuracy%7Clearning_rate" \
    2>/dev/null
echo "wrote $out"
