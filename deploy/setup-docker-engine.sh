#!/usr/bin/env bash
# Gets a Docker engine running on a Debian/Ubuntu machine as docs/testbed.md describes:
# Debian's docker.io and busybox-static (the simulated DTR images are built from busybox, nothing
# is pulled), dockerd with --bridge=none so no container touches a private address range.
# Also the other tools the tests drive: gnupg (stock gpg -d), prometheus (promtool tests the alert
# rules), chromium + chromium-driver (the live board's browser test), zsh (shell completion test),
# docker-compose (validates deploy/compose.yaml offline).
# Idempotent: installs only what is missing, starts dockerd only when it does not answer.
#   DOCKER_SOCKET   socket to serve (default /var/run/docker.sock)
#   DOCKER_DATA     data root (default /var/lib/docker)
#   DOCKER_LOG      dockerd log file (default /var/log/dtr-backup-dockerd.log)
set -euo pipefail

socket=${DOCKER_SOCKET:-/var/run/docker.sock}
data_root=${DOCKER_DATA:-/var/lib/docker}
log=${DOCKER_LOG:-/var/log/dtr-backup-dockerd.log}

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
[ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || missing+=(busybox-static)
if dpkg -s busybox 2>/dev/null | grep -q '^Status: install ok installed' && ! busybox --list >/dev/null 2>&1; then
  missing+=(busybox-static)
fi
command -v gpg >/dev/null 2>&1 || missing+=(gnupg)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v zsh >/dev/null 2>&1 || missing+=(zsh)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-docker-engine: installing ${missing[*]}"
  sudo_if_needed apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq "${missing[@]}" >/dev/null
fi

ping_engine() { curl -s --max-time 2 --unix-socket "$socket" http://localhost/_ping 2>/dev/null | grep -q OK; }

if ping_engine; then
  echo "setup-docker-engine: dockerd already answers on $socket"
  exit 0
fi

echo "setup-docker-engine: starting dockerd on $socket (data root $data_root, log $log)"
sudo_if_needed mkdir -p "$data_root" "$(dirname "$log")"
# containerd ships with docker.io; dockerd starts its own when none is running.
sudo_if_needed nohup dockerd --host "unix://$socket" --data-root "$data_root" \
  --exec-root "/var/run/docker-exec-$(basename "$socket" .sock)" \
  --pidfile "/var/run/$(basename "$socket" .sock).pid" \
  --bridge=none --iptables=false --ip-masq=false >>"$log" 2>&1 &

for _ in $(seq 1 60); do
  if ping_engine; then
    echo "setup-docker-engine: dockerd is up ($(docker -H "unix://$socket" version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
    exit 0
  fi
  sleep 0.5
done
echo "setup-docker-engine: dockerd did not answer on $socket within 30 s; last log lines:" >&2
tail -n 30 "$log" >&2 || true
exit 1
