# Shared by scripts/test and scripts/devnet: installs what Baton needs on a fresh Debian
# machine that has Rust, Node/npm and apt. Sourced, not run.

baton_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

need_command() {
    command -v "$1" >/dev/null 2>&1 || die "$1 is required: $2"
}

# Pinned node tools (forge, anvil, cast, solcjs, the ethereumjs client) from package-lock.json.
#
# `npm install` against the committed lock, not `npm ci`: the package registry this project
# reaches lacks some of the foundry packages' optional per-platform binaries (macOS,
# Windows), so those never enter the lock, and `npm ci` refuses such a lock. `npm install`
# installs exactly the locked versions; we fail if it had to change the lock.
ensure_node_modules() {
    need_command node "install Node.js 20+ (apt-get install -y nodejs npm)"
    need_command npm "install npm (apt-get install -y npm)"
    local lock="$baton_root/package-lock.json"
    local stamp="$baton_root/node_modules/.package-lock.json"
    if [[ ! -f "$stamp" || "$lock" -nt "$stamp" ]]; then
        say "npm install (pinned by package-lock.json: forge, anvil, cast, solc, @ethereumjs/client)"
        local before
        before="$(sha256sum "$lock")"
        (cd "$baton_root" && npm install --no-audit --no-fund --loglevel=error)
        if [[ "$(sha256sum "$lock")" != "$before" ]]; then
            die "npm install changed package-lock.json: the lock no longer matches package.json; run 'npm install', review and commit the lock"
        fi
    fi
}

# Redis for the relay's shared state and its tests.
ensure_redis() {
    if command -v redis-server >/dev/null 2>&1; then
        return
    fi
    if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        say "apt-get install redis-server"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
        # Tests start their own redis-server on a free port; the packaged service is not needed.
        if command -v service >/dev/null 2>&1; then service redis-server stop >/dev/null 2>&1 || true; fi
    else
        die "redis-server is missing; run: sudo apt-get update && sudo apt-get install -y redis-server"
    fi
}

# Headless Chromium for the explorer page's browser test (Debian's `chromium`).
ensure_chromium() {
    if command -v chromium >/dev/null 2>&1; then
        return
    fi
    if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        say "apt-get install chromium"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
    else
        die "chromium is missing; run: sudo apt-get update && sudo apt-get install -y chromium"
    fi
}

ensure_rust() {
    need_command cargo "install Rust (https://rustup.rs), 1.94 or newer"
}
