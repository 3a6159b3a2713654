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
env_ensure_tiny_image
env_ensure_registry
env_ensure_chromium
env_log "environment ready in $((SECONDS - started)) s"

chromium_before=$(pgrep -x chromium | sort || true)
mvn -B verify "$@"
# Browsers the tests launched must be gone: compare PIDs, since one started by hand may be running.
chromium_left=$(comm -13 <(echo "$chromium_before") <(pgrep -x chromium | sort || true) | grep . || true)
if [ -n "$chromium_left" ]; then
  echo "FAIL: Chromium process(es) started during the tests are still running: $(echo $chromium_left)" >&2
  exit 1
fi

# The suite checks its own session; this checks the whole engine, as a user would after a run.
leaked_containers=$(docker ps -aq --filter label=dev.devs.sandbox.managed | wc -l)
leaked_volumes=$(docker volume ls -q --filter label=dev.devs.sandbox.managed | wc -l)
if [ "$leaked_containers" -gt 0 ] || [ "$leaked_volumes" -gt 0 ]; then
  echo "FAIL: $leaked_containers container(s) and $leaked_volumes volume(s) labelled dev.devs.sandbox.managed were left behind:" >&2
  docker ps -a --filter label=dev.devs.sandbox.managed >&2
  env_sweep_sandboxes
  exit 1
fi
env_log "no sandbox left behind; total $((SECONDS - started)) s"
