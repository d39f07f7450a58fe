#!/usr/bin/env bash
# The browser trading terminal (servers/web-terminal): its tools, dependencies and build.
#
#   scripts/web-terminal.sh setup    Node.js, npm and Chromium (apt-get when missing), then
#                                    npm ci when node_modules is older than package-lock.json
#   scripts/web-terminal.sh build    setup + npm run build (dist/), skipped when the sources
#                                    did not change since the last build
#   scripts/web-terminal.sh lint     setup + npm run lint + npm run typecheck
#   scripts/web-terminal.sh test     setup + npm test (Vitest, once)
#
# Idempotent and quick when everything is there (a hash of package-lock.json and one of
# the sources, kept under node_modules/). Nothing to do while the app does not exist yet
# (no package.json). Environment: CHROMIUM_PATH (the browser of the Playwright specs,
# default /usr/bin/chromium: installed from Debian's package when absent).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
APP="$ROOT/servers/web-terminal"
CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}
NODE_MAJOR_MIN=20  # Vite's floor
DEPS_STAMP="$APP/node_modules/.bourse-deps.sha256"
BUILD_STAMP="$APP/node_modules/.bourse-build.sha256"

say() { echo "web-terminal: $*"; }
die() { echo "web-terminal: $*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo "$@"
    else
        die "$* needs root: run it as root (or install the package by hand)"
    fi
}

apt_install() {  # packages...
    say "installing $* (apt-get)"
    as_root "$ROOT/scripts/apt-install.sh" "$@"
}

tools() {
    local missing=()
    command -v node >/dev/null 2>&1 || missing+=(nodejs)
    command -v npm >/dev/null 2>&1 || missing+=(npm)
    [ -x "$CHROMIUM_PATH" ] || missing+=(chromium)
    if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi
    [ -x "$CHROMIUM_PATH" ] || die "no browser at CHROMIUM_PATH=$CHROMIUM_PATH"
    local major
    major=$(node -p 'process.versions.node.split(".")[0]')
    if [ "$major" -lt "$NODE_MAJOR_MIN" ]; then
        die "Node.js $(node --version) is too old: the terminal's build needs >= $NODE_MAJOR_MIN"
    fi
}

lock_hash() { { node --version; cat "$APP/package-lock.json"; } | sha256sum | cut -d' ' -f1; }

# Everything the build reads: the app's files but dependencies, outputs and test results.
sources_hash() {
    (cd "$APP" && find . \
        \( -name node_modules -o -name dist -o -name test-results -o -name playwright-report \
           -o -name coverage -o -name '.vite' \) -prune -o -type f -print0 \
        | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1
}

deps() {
    [ -f "$APP/package-lock.json" ] || die "servers/web-terminal/package-lock.json is missing"
    local want
    want=$(lock_hash)
    if [ "$(cat "$DEPS_STAMP" 2>/dev/null)" != "$want" ]; then
        say "npm ci (package-lock.json changed or node_modules is missing)"
        (cd "$APP" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
        echo "$want" >"$DEPS_STAMP"
    fi
}

build() {
    local want
    want=$(sources_hash)
    if [ -f "$APP/dist/index.html" ] && [ "$(cat "$BUILD_STAMP" 2>/dev/null)" = "$want" ]; then
        say "dist/ is current (sources unchanged)"
        return
    fi
    say "npm run build"
    rm -f "$BUILD_STAMP"
    (cd "$APP" && npm run build --silent)
    [ -f "$APP/dist/index.html" ] || die "npm run build wrote no dist/index.html"
    echo "$want" >"$BUILD_STAMP"
}

command=${1:-}
case "$command" in
    setup | build | lint | test) ;;
    *) die "usage: scripts/web-terminal.sh setup|build|lint|test" ;;
esac
if [ ! -f "$APP/package.json" ]; then
    say "no servers/web-terminal/package.json: nothing to $command"
    exit 0
fi
tools
mkdir -p "$ROOT/var"
# one set-up at a time per checkout (make test and the e2e stack's up.sh both call it)
exec 9>"$ROOT/var/web-terminal.lock"
flock 9
deps
case "$command" in
    setup) ;;
    build) build ;;
    lint) (cd "$APP" && npm run lint --silent && npm run typecheck --silent) ;;
    test) (cd "$APP" && npm test --silent) ;;
esac
