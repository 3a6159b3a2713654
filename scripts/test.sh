#!/usr/bin/env bash
# The test command: makes sure a Docker engine, a Podman service of the project's own, the test image, a loopback
# registry, Chromium and Node are there (installing and starting them on Debian as root), then runs the default build,
# `mvn -B verify`, which excludes the benchmark suite. Extra arguments go to Maven.
#
# Ends what it started (by PID) and fails if any sandbox container or volume is left behind.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/env.sh

cleanup() {
  local rc=$?
  env_stop_started
  exit $rc
}
trap cleanup EXIT

started=$SECONDS
env_ensure_maven
env_ensure_node
env_ensure_docker
env_check_runtimes
env_ensure_tiny_image
env_ensure_registry
env_ensure_chromium
env_ensure_podman
env_log "environment ready in $((SECONDS - started)) s"

# Both engines the tests use: dockerd (DOCKER_HOST or the default socket) and the project's Podman service.
managed_containers() {
  # dev.devs.sandbox.managed: ResourceLabels.MANAGED in sandbox-core, the label every driver sets.
  docker ps -aq --no-trunc --filter label=dev.devs.sandbox.managed | sort
  DOCKER_HOST=$DEVS_PODMAN_HOST docker ps -aq --no-trunc --filter label=dev.devs.sandbox.managed | sed 's/^/podman:/' | sort
}
managed_volumes() {
  docker volume ls -q --filter label=dev.devs.sandbox.managed | sort
  DOCKER_HOST=$DEVS_PODMAN_HOST docker volume ls -q --filter label=dev.devs.sandbox.managed | sed 's/^/podman:/' | sort
}
containers_before=$(managed_containers)
volumes_before=$(managed_volumes)
[ -n "$containers_before" ] && env_log "note: $(echo "$containers_before" | wc -l) managed container(s) existed before this run; left alone"
chromium_before=$(pgrep -x chromium | sort || true)
mvn -B verify -Ddevs.podman.host="$DEVS_PODMAN_HOST" "$@"
# Browsers the tests launched must be gone: compare PIDs, since one started by hand may be running.
chromium_left=$(comm -13 <(echo "$chromium_before") <(pgrep -x chromium | sort || true) | grep . || true)
if [ -n "$chromium_left" ]; then
  echo "FAIL: Chromium process(es) started during the tests are still running: $(echo $chromium_left)" >&2
  exit 1
fi

# The suite checks its own session; this checks the whole engine, as a user would after a run. Only what
# appeared during the run counts: sandboxes that were there before (another user's, an earlier crash) are
# neither blamed on this run nor touched.
leaked_containers=$(comm -13 <(echo "$containers_before") <(managed_containers))
leaked_volumes=$(comm -13 <(echo "$volumes_before") <(managed_volumes))
if [ -n "$leaked_containers" ] || [ -n "$leaked_volumes" ]; then
  echo "FAIL: the run left sandbox containers or volumes labelled dev.devs.sandbox.managed behind:" >&2
  echo "  containers: $(echo $leaked_containers)" >&2
  echo "  volumes: $(echo $leaked_volumes)" >&2
  for c in $leaked_containers; do
    case $c in podman:*) DOCKER_HOST=$DEVS_PODMAN_HOST docker rm -fv "${c#podman:}" ;; *) docker rm -fv "$c" ;; esac
  done >/dev/null 2>&1
  for v in $leaked_volumes; do
    case $v in podman:*) DOCKER_HOST=$DEVS_PODMAN_HOST docker volume rm -f "${v#podman:}" ;; *) docker volume rm -f "$v" ;; esac
  done >/dev/null 2>&1
  exit 1
fi
env_log "no sandbox left behind; total $((SECONDS - started)) s"
