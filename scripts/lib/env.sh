# Sourced by the project's commands (scripts/test.sh, scripts/run_sandbox_latency_benchmark.sh).
# Makes sure the real components the tests and benchmarks need are there: a Docker engine, the
# locally built images, a registry on loopback, Chromium. On Debian as root it installs and starts
# what is missing; elsewhere it says exactly what is missing and fails.
#
# Every process started here is recorded by PID in $DEVS_RUN_DIR and stopped by that PID in
# env_stop_started (never by name), so a run leaves behind only what was already running before it.

DEVS_ROOT=${DEVS_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
DEVS_RUN_DIR=${DEVS_RUN_DIR:-$DEVS_ROOT/.devs/run}
DEVS_CACHE_DIR=${DEVS_CACHE_DIR:-$DEVS_ROOT/.devs/cache}
DEVS_REGISTRY_ADDR=${DEVS_REGISTRY_ADDR:-127.0.0.1:5000}
# Image names the tests and benchmarks use; keep in step with the Java constants that read them.
DEVS_TINY_IMAGE=${DEVS_TINY_IMAGE:-devs-sandbox-busybox:1}
DEVS_REALISTIC_IMAGE=${DEVS_REALISTIC_IMAGE:-devs-sandbox-python:bookworm}
export DEVS_TINY_IMAGE DEVS_REALISTIC_IMAGE DEVS_REGISTRY_ADDR
# Podman's Docker-compatible API, served by a `podman system service` of the project's own (env_ensure_podman).
DEVS_PODMAN_SOCK=${DEVS_PODMAN_SOCK:-$DEVS_RUN_DIR/podman.sock}
DEVS_PODMAN_HOST=unix://$DEVS_PODMAN_SOCK
export DEVS_PODMAN_HOST

mkdir -p "$DEVS_RUN_DIR" "$DEVS_CACHE_DIR"
_env_started=()

env_log() { printf '[env] %s\n' "$*" >&2; }

env_can_install() {
  [ "$(id -u)" = 0 ] && [ -r /etc/debian_version ] && command -v apt-get >/dev/null 2>&1
}

_apt_updated=
env_apt_install() {
  if ! env_can_install; then
    env_log "missing: $* (install these packages yourself: this script installs only on Debian as root)"
    return 1
  fi
  if [ -z "$_apt_updated" ]; then
    env_log "apt-get update"
    apt-get update -q >"$DEVS_RUN_DIR/apt.log" 2>&1 || { env_log "apt-get update failed, see $DEVS_RUN_DIR/apt.log"; return 1; }
    _apt_updated=1
  fi
  env_log "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >>"$DEVS_RUN_DIR/apt.log" 2>&1 \
    || { env_log "apt-get install $* failed, see $DEVS_RUN_DIR/apt.log"; return 1; }
}

# Starts "$@" in the background with its output in $DEVS_RUN_DIR/NAME.log and remembers its PID.
_env_spawn() {
  local name=$1; shift
  "$@" >"$DEVS_RUN_DIR/$name.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$DEVS_RUN_DIR/$name.pid"
  _env_started+=("$name")
  env_log "started $name (pid $pid, log $DEVS_RUN_DIR/$name.log)"
}

_env_wait() { # timeout-seconds description command...
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then env_log "$what did not come up within ${limit}s"; return 1; fi
    sleep 0.2
  done
}

env_ensure_docker() {
  if timeout 10 docker info >/dev/null 2>&1; then return 0; fi
  if [ -n "${DOCKER_HOST:-}" ]; then
    env_log "no Docker engine answers at DOCKER_HOST=$DOCKER_HOST; start it or unset DOCKER_HOST to use the local one"
    return 1
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    env_apt_install docker.io || { env_log "no Docker engine: install docker.io (Debian) or Docker Engine and start it"; return 1; }
  fi
  if ! command -v docker >/dev/null 2>&1; then
    env_log "no docker CLI on PATH: the cleanup tests ask it, as users do"; return 1
  fi
  if [ "$(id -u)" != 0 ]; then
    env_log "a Docker engine is installed but none answers, and only root can start dockerd here: start it (e.g. 'sudo systemctl start docker')"
    return 1
  fi
  env_ensure_runsc_binary || env_log "continuing without runsc: its isolation tests and benchmark series will be skipped"
  _env_write_daemon_config
  _env_spawn dockerd dockerd --config-file "$DEVS_RUN_DIR/daemon.json" \
    --data-root "${DEVS_DOCKER_DATA_ROOT:-/var/lib/docker}" --pidfile "$DEVS_RUN_DIR/dockerd.daemon.pid"
  _env_wait 60 "dockerd" docker info || { tail -20 "$DEVS_RUN_DIR/dockerd.log" >&2; return 1; }
  env_log "docker engine $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')"
}

# gVisor's runsc from Debian: the second OCI runtime the isolation suite and the benchmark compare with runc.
env_ensure_runsc_binary() {
  command -v runsc >/dev/null 2>&1 && return 0
  env_apt_install runsc
}

# The engine configuration for a dockerd this script starts: runsc registered with --network=none, without which
# a network-none container fails to start ("cannot run with network enabled in root network namespace") and
# leaves runsc processes behind under the engine; and experimental features on, which checkpoint and restore
# (docker checkpoint, docker start --checkpoint: the snapshots and forks of runsc sandboxes) need.
_env_write_daemon_config() {
  local runsc; runsc=$(command -v runsc || true)
  if [ -n "$runsc" ]; then
    printf '{"experimental": true, "runtimes": {"runsc": {"path": "%s", "runtimeArgs": ["--network=none"]}}}\n' "$runsc" >"$DEVS_RUN_DIR/daemon.json"
  else
    printf '{"experimental": true}\n' >"$DEVS_RUN_DIR/daemon.json"
  fi
}

# Says which of the runtimes the tests and benchmarks compare the engine lacks (never fails: the tests skip them,
# naming the reason). An engine this script did not start is left as it is.
DEVS_RUNTIMES=${DEVS_RUNTIMES:-runc runsc}
env_check_runtimes() {
  local have missing=() rt
  have=$(docker info --format '{{range $name, $_ := .Runtimes}}{{$name}} {{end}}' 2>/dev/null)
  for rt in $DEVS_RUNTIMES; do
    case " $have " in *" $rt "*) ;; *) missing+=("$rt") ;; esac
  done
  if [ ${#missing[@]} -gt 0 ]; then
    env_log "the Docker engine lacks runtime(s): ${missing[*]} (it has: $have); their isolation tests and benchmark series are skipped."
    env_log "  to get runsc: apt-get install runsc, then register it in the engine's daemon.json:"
    env_log "  {\"runtimes\": {\"runsc\": {\"path\": \"/usr/bin/runsc\", \"runtimeArgs\": [\"--network=none\"]}}} and reload the engine"
  else
    env_log "engine runtimes: $have"
  fi
  env_check_experimental
}

# Says whether the engine has experimental features on, which checkpoints (snapshots, forks) need (never fails: the
# snapshot tests and benchmark skip, naming the reason). An engine this script did not start is left as it is.
env_check_experimental() {
  if [ "$(docker version --format '{{.Server.Experimental}}' 2>/dev/null)" = "true" ]; then
    env_log "engine experimental features: on (checkpoint and fork of runsc sandboxes available)"
  else
    env_log "the Docker engine has experimental features off: checkpoint and fork tests and benchmark are skipped."
    env_log "  to turn them on: add \"experimental\": true to the engine's daemon.json and restart it"
  fi
}

# The tiny image: busybox on scratch, 2 MB. Fast to start, used by the default tests.
env_ensure_tiny_image() {
  if docker image inspect "$DEVS_TINY_IMAGE" >/dev/null 2>&1; then return 0; fi
  if [ ! -x /bin/busybox ] || ! /bin/busybox --list 2>/dev/null | grep -qx sh || ! file_is_static /bin/busybox; then
    env_apt_install busybox-static || return 1
  fi
  local ctx; ctx=$(mktemp -d)
  cp /bin/busybox "$ctx/busybox"
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN ["/bin/busybox", "sh", "-c", "mkdir -p /tmp /workspace /etc && chmod 1777 /tmp /workspace && echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd && echo 'nobody:x:65534:65534:nobody:/nonexistent:/bin/sh' >> /etc/passwd && echo 'root:x:0:' > /etc/group && echo 'nogroup:x:65534:' >> /etc/group"]
CMD ["/bin/sh"]
DOCKERFILE
  env_log "building $DEVS_TINY_IMAGE"
  DOCKER_BUILDKIT=0 docker build -q -t "$DEVS_TINY_IMAGE" "$ctx" >"$DEVS_RUN_DIR/build-tiny.log" 2>&1 \
    || { cat "$DEVS_RUN_DIR/build-tiny.log" >&2; rm -rf "$ctx"; return 1; }
  rm -rf "$ctx"
}

file_is_static() { # busybox-static's binary works in a FROM scratch image; the dynamic one does not
  ! (ldd "$1" 2>&1 | grep -q '=>')
}

# The realistic image: Debian minbase with python3 (its size: README), for the benchmarks.
env_ensure_realistic_image() {
  if docker image inspect "$DEVS_REALISTIC_IMAGE" >/dev/null 2>&1; then return 0; fi
  local tarball=$DEVS_CACHE_DIR/bookworm-python-rootfs.tar
  if [ ! -s "$tarball" ]; then
    command -v debootstrap >/dev/null 2>&1 || env_apt_install debootstrap || return 1
    local dir; dir=$(mktemp -d "$DEVS_CACHE_DIR/rootfs.XXXXXX")
    env_log "debootstrap bookworm minbase + python3-minimal (about a minute)"
    # No mirror argument: debootstrap uses Debian's default archive, the one apt is set up for here.
    debootstrap --variant=minbase --include=python3-minimal bookworm "$dir" \
      >"$DEVS_RUN_DIR/debootstrap.log" 2>&1 || { tail -20 "$DEVS_RUN_DIR/debootstrap.log" >&2; rm -rf "$dir"; return 1; }
    tar -C "$dir" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$dir"
  fi
  env_log "importing $DEVS_REALISTIC_IMAGE"
  docker import "$tarball" "$DEVS_REALISTIC_IMAGE" >/dev/null
}

env_ensure_registry() {
  if curl -fsS "http://$DEVS_REGISTRY_ADDR/v2/" >/dev/null 2>&1; then return 0; fi
  command -v docker-registry >/dev/null 2>&1 || env_apt_install docker-registry || return 1
  mkdir -p "$DEVS_RUN_DIR/registry-data"
  cat >"$DEVS_RUN_DIR/registry.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $DEVS_RUN_DIR/registry-data
  delete:
    enabled: true
http:
  addr: $DEVS_REGISTRY_ADDR
YAML
  _env_spawn registry docker-registry serve "$DEVS_RUN_DIR/registry.yml"
  _env_wait 30 "registry at $DEVS_REGISTRY_ADDR" curl -fsS "http://$DEVS_REGISTRY_ADDR/v2/"
}

env_ensure_chromium() {
  local bin=${CHROME_PATH:-/usr/bin/chromium}
  if [ -x "$bin" ]; then export CHROME_PATH=$bin; return 0; fi
  if [ -n "${CHROME_PATH:-}" ]; then env_log "CHROME_PATH=$CHROME_PATH is not an executable"; return 1; fi
  env_apt_install chromium || { env_log "no Chromium: install Debian's chromium or set CHROME_PATH"; return 1; }
  export CHROME_PATH=/usr/bin/chromium
}

env_ensure_maven() {
  command -v mvn >/dev/null 2>&1 && command -v javac >/dev/null 2>&1 && return 0
  env_apt_install maven openjdk-17-jdk-headless || { env_log "need Maven 3.8+ and a JDK 17+"; return 1; }
}

env_ensure_node() {
  command -v npm >/dev/null 2>&1 && return 0
  env_apt_install nodejs npm || { env_log "need Node.js and npm: the WebContainer harness is bundled from npm at build time"; return 1; }
}

# Podman as a second engine (docs/operations/podman.md): Debian's podman with its init binary (catatonit; without
# it every create with Init=true fails with "container-init binary not found"), configured by a containers.conf of
# the project's own (runc: crun refuses this machine's hybrid cgroups; cgroupfs; ulimits within the hard limits),
# with storage under $DEVS_RUN_DIR so that it touches nothing in /etc or /var/lib/containers. Serves the
# Docker-compatible API on $DEVS_PODMAN_SOCK; the tests and the benchmark reach it as DOCKER_HOST=$DEVS_PODMAN_HOST.
_podman() {
  CONTAINERS_CONF=$DEVS_RUN_DIR/containers.conf CONTAINERS_REGISTRIES_CONF=$DEVS_RUN_DIR/registries.conf podman --root "$DEVS_RUN_DIR/podman/root" \
    --runroot "$DEVS_RUN_DIR/podman/runroot" "$@"
}

_podman_answers() {
  curl -fsS --max-time 5 --unix-socket "$DEVS_PODMAN_SOCK" http://podman/v1.41/version >/dev/null 2>&1
}

env_ensure_podman() {
  if ! _podman_answers; then
    if ! command -v podman >/dev/null 2>&1 || ! command -v catatonit >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
      env_apt_install podman catatonit runc || { env_log "no Podman: install podman, catatonit and runc (Debian)"; return 1; }
    fi
    mkdir -p "$DEVS_RUN_DIR/podman"
    cat >"$DEVS_RUN_DIR/containers.conf" <<CONF
# Written by scripts/lib/env.sh; read through CONTAINERS_CONF by the Podman service of this project only.
[containers]
init_path = "$(command -v catatonit)"
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
# Each exec's conmon waits this long before it cleans the exec session up (300 s by default, Docker's inspect
# window): hundreds of execs in a test run left hundreds of conmon processes waiting. The driver reads an exec's
# status as soon as its output ends.
exit_command_delay = 10
CONF
    # Docker trusts a registry on localhost over plain HTTP; Podman must be told (cold starts pull from it).
    cat >"$DEVS_RUN_DIR/registries.conf" <<CONF
[[registry]]
location = "localhost:${DEVS_REGISTRY_ADDR##*:}"
insecure = true
[[registry]]
location = "$DEVS_REGISTRY_ADDR"
insecure = true
CONF
    rm -f "$DEVS_PODMAN_SOCK"
    _env_spawn podman env CONTAINERS_CONF="$DEVS_RUN_DIR/containers.conf" \
      CONTAINERS_REGISTRIES_CONF="$DEVS_RUN_DIR/registries.conf" podman --root "$DEVS_RUN_DIR/podman/root" \
      --runroot "$DEVS_RUN_DIR/podman/runroot" system service --time=0 "$DEVS_PODMAN_HOST"
    _env_wait 60 "podman service at $DEVS_PODMAN_SOCK" _podman_answers || { tail -20 "$DEVS_RUN_DIR/podman.log" >&2; return 1; }
    env_log "podman $(podman --version | awk '{print $3}') serving $DEVS_PODMAN_HOST"
  fi
  env_podman_load "$DEVS_TINY_IMAGE"
}

# env_podman_load IMAGE: copies IMAGE from the Docker engine into Podman's storage unless it is there.
env_podman_load() {
  local image=$1
  if _podman image exists "$image" >/dev/null 2>&1; then return 0; fi
  env_log "loading $image into podman"
  docker save "$image" | _podman load -q >/dev/null \
    || { env_log "could not load $image into podman"; return 1; }
}

# Stops, by the PIDs recorded above, what this run started; leaves what was running before.
# Unmounts every mount point at or below DIR (deepest first): only the project's own run directory is passed.
_env_unmount_below() {
  local dir=$1 m
  awk -v d="$dir" '$2 == d || index($2, d "/") == 1 {print $2}' /proc/self/mounts | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || env_log "could not unmount $m"
  done
}

# Podman's service leaves one conmon per container and per exec session, detached from it (their parent is PID 1),
# until their exit delay has passed: ends, by PID, the conmon processes whose arguments name storage under DIR,
# which only the service this run started uses. Called after the service has stopped, before the unmount.
_env_stop_conmons() {
  local dir=$1 pid pids=()
  # conmon, and the `podman container cleanup` a conmon runs when its delay has passed (same storage arguments).
  for pid in $(pgrep -x conmon 2>/dev/null) $(pgrep -x podman 2>/dev/null); do
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir" && pids+=("$pid")
  done
  [ ${#pids[@]} -eq 0 ] && return 0
  # SIGKILL, not SIGTERM: on SIGTERM conmon runs its exit command, a `podman container cleanup` that mounts the
  # storage again after the service has gone. Their containers are gone already; they only wait.
  kill -KILL "${pids[@]}" 2>/dev/null
  env_log "ended ${#pids[@]} conmon or cleanup process(es) the Podman service left"
}

env_stop_started() {
  local name pid i
  for ((i=${#_env_started[@]}-1; i>=0; i--)); do
    name=${_env_started[$i]}
    pid=$(cat "$DEVS_RUN_DIR/$name.pid" 2>/dev/null) || continue
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
      env_log "stopped $name (pid $pid)"
    fi
    rm -f "$DEVS_RUN_DIR/$name.pid"
    if [ "$name" = podman ]; then
      _env_stop_conmons "$DEVS_RUN_DIR/podman/"
      # Podman's overlay storage stays mounted on itself after its service ends; a checkout could not be deleted.
      _env_unmount_below "$DEVS_RUN_DIR/podman"
    fi
  done
  _env_started=()
}
