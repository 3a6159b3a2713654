#!/usr/bin/env bash
# The test command: makes sure a Docker engine, the test image, a loopback registry, Chromium and
# Node are there (installing and starting them on Debian as root), then runs the default build,
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
env_log "environment ready in $((SECONDS - started)) s"

managed_containers() { docker ps -aq --no-trunc --filter label=dev.devs.sandbox.managed | sort; }
managed_volumes() { docker volume ls -q --filter label=dev.devs.sandbox.managed | sort; }
containers_before=$(managed_containers)
volumes_before=$(managed_volumes)
[ -n "$containers_before" ] && env_log "note: $(echo "$containers_before" | wc -l) managed container(s) existed before this run; left alone"
chromium_before=$(pgrep -x chromium | sort || true)
mvn -B verify "$@"
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
  [ -n "$leaked_containers" ] && docker rm -fv $leaked_containers >/dev/null 2>&1
  [ -n "$leaked_volumes" ] && docker volume rm -f $leaked_volumes >/dev/null 2>&1
  exit 1
fi
env_log "no sandbox left behind; total $((SECONDS - started)) s"
