#!/usr/bin/env bash
# The project's main command: measures how long it takes to provision sandboxes, beside the peers.
#
#   scripts/run_sandbox_latency_benchmark.sh
#
# 1. Makes sure the real components are there: Maven and a JDK, a Docker engine, the loopback registry,
#    the tiny and the realistic image, Chromium and Node (on Debian as root it installs and starts what is
#    missing; elsewhere it says exactly what is missing and stops). Podman too, as test.sh gets it (its own
#    service on .devs/run/podman.sock, the images copied from dockerd): without it the run goes on and the
#    report says why the Podman series were not measured.
# 2. Pushes a copy of the realistic image to the loopback registry, for the cold-start samples.
# 3. Runs `mvn -B verify -Pbenchmark` (only the tests tagged "benchmark"), output teed to
#    .devs/reports/sandbox_latency_benchmark.txt; the run writes .devs/reports/sandbox_latency_benchmark.json
#    and .devs/reports/metrics.prom.
# 4. Runs scripts/analyze_sandbox_latency.sh on the report.
# 5. Stops, by PID, whatever it started (a running engine or registry is left running), and removes the
#    sandboxes of this run if a test left any.
#
# Exit code: the analyzer's (0 every P95 within target, 1 a P95 over target, 2 report missing or malformed),
# except 1 when a benchmark test failed although the analyzer found the report fine, 2 when the run did not
# write .devs/reports/metrics.prom, and 3 when the environment is incomplete (nothing was measured); the
# decision is scripts/lib/verdict.sh.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 3
# shellcheck source=lib/env.sh
. "$ROOT/scripts/lib/env.sh"
# shellcheck source=lib/verdict.sh
. "$ROOT/scripts/lib/verdict.sh"

REPORTS_DIR=$ROOT/.devs/reports
REPORT_JSON=$REPORTS_DIR/sandbox_latency_benchmark.json
REPORT_TXT=$REPORTS_DIR/sandbox_latency_benchmark.txt
METRICS_PROM=$REPORTS_DIR/metrics.prom
# The registry copy of the realistic image that cold samples pull (keep in step with BenchmarkEnvironment.java).
DEVS_COLD_IMAGE=${DEVS_COLD_IMAGE:-localhost:${DEVS_REGISTRY_ADDR##*:}/devs-sandbox-python-cold:bookworm}
# Labels everything this run's JVM creates, so that the sweep at the end touches this run's sandboxes only
# (other test runs may share the engine).
DEVS_BENCHMARK_SESSION=${DEVS_BENCHMARK_SESSION:-benchmark-$(date -u +%Y%m%dT%H%M%SZ)-$$}
export DEVS_COLD_IMAGE DEVS_BENCHMARK_SESSION

sweep_session() { # the docker CLI's environment chooses the engine: dockerd, or Podman with DOCKER_HOST set
  local ids
  ids=$(docker ps -aq --filter "label=dev.devs.sandbox.session=$DEVS_BENCHMARK_SESSION" 2>/dev/null)
  if [ -n "$ids" ]; then
    say "removing $(echo "$ids" | wc -w) container(s) this run left behind${DOCKER_HOST:+ on $DOCKER_HOST}"
    docker rm -fv $ids >/dev/null 2>&1
  fi
  ids=$(docker volume ls -q --filter "label=dev.devs.sandbox.session=$DEVS_BENCHMARK_SESSION" 2>/dev/null)
  [ -n "$ids" ] && docker volume rm -f $ids >/dev/null 2>&1
  return 0
}

cleanup() {
  if timeout 10 docker info >/dev/null 2>&1; then sweep_session; fi
  if [ -z "${DEVS_PODMAN_UNAVAILABLE:-}" ] && DOCKER_HOST=$DEVS_PODMAN_HOST timeout 10 docker info >/dev/null 2>&1; then
    DOCKER_HOST=$DEVS_PODMAN_HOST sweep_session
  fi
  env_stop_started
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

# --- 1. environment --------------------------------------------------------------------------------
started=$SECONDS
missing=()
env_ensure_maven || missing+=("Maven 3.8+ and JDK 17+ (Debian: apt-get install maven openjdk-17-jdk-headless)")
if env_ensure_docker; then
  env_check_runtimes
  env_ensure_registry || missing+=("a registry on $DEVS_REGISTRY_ADDR (Debian: apt-get install docker-registry; see scripts/lib/env.sh)")
  env_ensure_tiny_image || missing+=("image $DEVS_TINY_IMAGE (needs busybox-static)")
  env_ensure_realistic_image || missing+=("image $DEVS_REALISTIC_IMAGE (needs debootstrap and access to the Debian package archive)")
else
  missing+=("a Docker engine answering 'docker info' (Debian: apt-get install docker.io, then start dockerd)")
fi
env_ensure_chromium || missing+=("Chromium (Debian: apt-get install chromium, or set CHROME_PATH)")
env_ensure_node || missing+=("Node.js and npm (Debian: apt-get install nodejs npm)")
if ! verdict_environment "${missing[@]}"; then
  if ! env_can_install; then say "(this script installs those itself only on Debian, as root)"; fi
  exit 3
fi
# Podman is the warm benchmark's second engine, not a precondition: without it the Podman series are reported as
# skipped, with the reason the benchmark JVM reads from DEVS_PODMAN_UNAVAILABLE, and the rest still runs.
podman_ok=
env_ensure_podman 2>"$DEVS_RUN_DIR/podman-env.log" && env_podman_load "$DEVS_REALISTIC_IMAGE" 2>>"$DEVS_RUN_DIR/podman-env.log" \
  && podman_ok=1
cat "$DEVS_RUN_DIR/podman-env.log" >&2
DEVS_PODMAN_UNAVAILABLE=
if [ -z "$podman_ok" ]; then
  DEVS_PODMAN_UNAVAILABLE="scripts/lib/env.sh could not provide Podman at $DEVS_PODMAN_HOST: $(grep -v '^\[env\] \(started\|apt-get update\|installing\)' "$DEVS_RUN_DIR/podman-env.log" | tail -1 | sed 's/^\[env\] //')"
  say "the Podman series will be skipped: $DEVS_PODMAN_UNAVAILABLE"
fi
export DEVS_PODMAN_UNAVAILABLE

# --- 2. the registry copy for cold starts -----------------------------------------------------------
# The copy carries one extra file, so its layer differs from the local image's: were it the very same layer,
# Docker would find it locally and a "cold" pull would download nothing.
registry_has() { # image reference on the loopback registry
  local path=${1#*/} name tag
  name=${path%:*}; tag=${path##*:}
  curl -fs -o /dev/null \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$DEVS_REGISTRY_ADDR/v2/$name/manifests/$tag"
}

ensure_cold_image() {
  if registry_has "$DEVS_COLD_IMAGE"; then return 0; fi
  say "pushing $DEVS_COLD_IMAGE (the realistic image plus a marker file) to the loopback registry"
  local work cid
  work=$(mktemp -d "$DEVS_CACHE_DIR/cold-image.XXXXXX") || return 1
  # The labels are ResourceLabels.MANAGED and ResourceLabels.SESSION in sandbox-core.
  cid=$(docker create --label dev.devs.sandbox.managed=true \
        --label "dev.devs.sandbox.session=$DEVS_BENCHMARK_SESSION" "$DEVS_REALISTIC_IMAGE" true) || { rm -rf "$work"; return 1; }
  docker export "$cid" >"$work/rootfs.tar"
  local rc=$?
  docker rm -f "$cid" >/dev/null
  if [ $rc -ne 0 ]; then rm -rf "$work"; return 1; fi
  mkdir -p "$work/marker/etc"
  echo "registry copy of $DEVS_REALISTIC_IMAGE for cold-start benchmarks" >"$work/marker/etc/devs-sandbox-registry-copy"
  tar -rf "$work/rootfs.tar" -C "$work/marker" ./etc/devs-sandbox-registry-copy \
    && docker import "$work/rootfs.tar" "$DEVS_COLD_IMAGE" >/dev/null \
    && docker push "$DEVS_COLD_IMAGE" >"$DEVS_RUN_DIR/push-cold.log" 2>&1
  rc=$?
  rm -rf "$work"
  # Leave it absent locally: the first cold sample must pull it.
  docker rmi "$DEVS_COLD_IMAGE" >/dev/null 2>&1
  if [ $rc -ne 0 ]; then say "pushing $DEVS_COLD_IMAGE failed (see $DEVS_RUN_DIR/push-cold.log)"; return 1; fi
}
ensure_cold_image || exit 3
podman_note=" and Podman at $DEVS_PODMAN_HOST"
[ -n "$DEVS_PODMAN_UNAVAILABLE" ] && podman_note=" (no Podman)"
say "environment ready in $((SECONDS - started)) s: engine $(docker version --format '{{.Server.Version}}')$podman_note, registry $DEVS_REGISTRY_ADDR, images $DEVS_REALISTIC_IMAGE / $DEVS_COLD_IMAGE / $DEVS_TINY_IMAGE, chromium ${CHROME_PATH:-}"

# --- 3. the benchmark run -----------------------------------------------------------------------------
mkdir -p "$REPORTS_DIR"
# A stale report must never pass for this run's.
rm -f "$REPORT_JSON" "$METRICS_PROM" "$REPORTS_DIR/sandbox_latency_benchmark.png"
say "mvn -B verify -Pbenchmark (session $DEVS_BENCHMARK_SESSION); output also in $REPORT_TXT"
mvn -B -ntp -Dstyle.color=never verify -Pbenchmark -Ddevs.podman.host="$DEVS_PODMAN_HOST" 2>&1 | tee "$REPORT_TXT"
mvn_rc=${PIPESTATUS[0]}
say "maven finished with code $mvn_rc after $((SECONDS - started)) s"

# --- 4. the verdict: the scrape text, the analyzer on the report, the tests' outcome ----------------------
verdict_run "$mvn_rc" "$REPORT_JSON" "$METRICS_PROM" "$REPORT_TXT"
rc=$?
say "done in $((SECONDS - started)) s, exit code $rc"
exit $rc
