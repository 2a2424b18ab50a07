#!/usr/bin/env bash
# The demo: sets everything up, starts a few VMs on tart-sim in a throwaway git repository,
# and opens the dashboard on them. Everything lives under .demo/ (delete it to start over).
# Sim VMs are Linux namespace sandboxes for testing, not a security boundary.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/setup.sh
node_bin=$(cat .tools/node-path)
export PATH="$(dirname "$node_bin"):$PATH"

demo="$root/.demo"
export TK_HOME="$demo/tk-home" TART_HOME="$demo/tart-home" TART_SIM_LEASES="$demo/leases.json"
export TK_TART="$root/bin/tart-sim"
mkdir -p "$TK_HOME" "$TART_HOME"
tk="$root/bin/tk"

# `scripts/demo.sh stop`: the demo's VMs keep running after you quit the dashboard (like real Tart
# VMs); this stops and deletes them, stops the demo's proxy and removes .demo/.
if [ "${1:-}" = stop ]; then
  for vm in $("$TK_TART" list -q --source local 2>/dev/null); do
    [ "$vm" = ubuntu ] && continue
    "$TK_TART" stop "$vm" >/dev/null 2>&1 || true
  done
  "$tk" proxy stop >/dev/null 2>&1 || true
  rm -rf "$demo"
  echo "demo: stopped and removed" >&2
  exit 0
fi

if [ ! -d "$demo/repo/.git" ]; then
  echo "demo: creating a demo repository in $demo/repo" >&2
  mkdir -p "$demo/repo"
  git -C "$demo/repo" init -q -b main
  printf '# demo\n\nA throwaway repository for the tk demo.\n' > "$demo/repo/README.md"
  printf 'export function add(a, b) {\n  return a + b;\n}\n' > "$demo/repo/math.js"
  git -C "$demo/repo" add -A
  git -C "$demo/repo" -c user.name=demo -c user.email=demo@localhost commit -qm "Initial commit"
fi
# Demo config: loopback proxy on its own port (sim guests share the host's loopback), no agent
# download (the demo must work offline).
cat > "$TK_HOME/config.toml" <<TOML
base_image = "ubuntu"
credential_proxy_bind = "127.0.0.1"
credential_proxy_port = 19380
agent_install_command = ""
vm_display = "none"
TOML

if ! "$TK_TART" list -q | grep -qx ubuntu; then
  echo "demo: cloning the base image (tart clone ghcr.io/cirruslabs/ubuntu:latest ubuntu)" >&2
  "$TK_TART" clone ghcr.io/cirruslabs/ubuntu:latest ubuntu
fi

cd "$demo/repo"
pids=()
for b in feature/login fix/typo spike/perf; do
  echo "demo: spawning a VM for $b" >&2
  "$tk" spawn --no-interactive "$b" >/dev/null 2>"$demo/spawn-${b//\//-}.err" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || echo "demo: a spawn failed (see $demo/spawn-*.err)" >&2; done
exec "$tk"
