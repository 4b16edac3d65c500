#!/usr/bin/env bash
# Reproduces docs/api_nn_linear.png and docs/quickstart.png: serves the built site (site/,
# from `make docs`) and photographs the API entry of ember.nn.Linear and the quickstart in
# headless Chromium (`apt-get install chromium`), as tools/screenshot_tensorboard.sh does.
# Usage: tools/screenshot_docs.sh [PYTHON]   (or `make docs-screenshots`)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
python=${1:-$repo/.venv/bin/python}
chromium=${CHROMIUM:-chromium}
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server"; rm -rf "$work"' EXIT
[ -f "$repo/site/index.html" ] || { echo "no site/: run make docs first" >&2; exit 1; }

# Headless Chromium photographs a page scrolled to an anchor as blank: the page is shown in a
# full-window frame instead, which scrolls to the anchor inside itself.
ln -s "$repo/site" "$work/site"
cat >"$work/shot.html" <<'HTML'
<!doctype html><html><body style="margin:0"><iframe id="page"
style="border:0;width:100vw;height:100vh"></iframe><script>
document.getElementById("page").src = "site/" + decodeURIComponent(location.hash.slice(1));
</script></body></html>
HTML

port=$("$python" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
"$python" -m http.server "$port" --bind 127.0.0.1 --directory "$work" \
    >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 30); do  # until the server answers
    curl -sf "http://127.0.0.1:$port/" >/dev/null && break
    sleep 1
done

shoot() {  # shoot URL_PATH OUT: background traffic off, or Chromium stalls without internet
    "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$work/chromium" --window-size=1400,900 --hide-scrollbars \
        --virtual-time-budget=10000 --screenshot="$2" \
        "http://127.0.0.1:$port/shot.html#$1" 2>/dev/null
    echo "wrote $2"
}
shoot "api/nn/%23ember.nn.Linear" "$repo/docs/api_nn_linear.png"
shoot "tutorials/quickstart/" "$repo/docs/quickstart.png"
