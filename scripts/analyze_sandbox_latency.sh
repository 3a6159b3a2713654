#!/usr/bin/env bash
# Analyzes a sandbox latency report: prints n / P50 / P95 / P99 / target / verdict per series and for the stop
# series (the targets are LatencyTargets in benchmarks; README states them), the runsc/runc and podman/docker
# ratios, the peers with our warm P50 and P95 on the peer's engine as a ratio to each, and draws the chart next to
# the report (sandbox_latency_benchmark.png).
#
# usage: scripts/analyze_sandbox_latency.sh [report.json] [--chart FILE.png | --no-chart]
#        default report: .devs/reports/sandbox_latency_benchmark.json of this project
#
# Exit code: 0 every P95 within its target; 1 a P95 over its target (or a series whose every start failed);
#            2 the report is missing, empty or malformed, or the analyzer cannot run (one-line reason on stderr).
#
# Runs dev.devs.sandbox.benchmarks.analyzer.AnalyzeLatencyReport with plain java on the runtime classpath
# that the build of the benchmarks module writes to benchmarks/target/analyzer.classpath (any build of the
# project does, e.g. mvn -B install -DskipTests). When that is missing, it builds the benchmarks module and
# what it depends on with Maven first (mvn -pl benchmarks -am package); when only the analyzer's sources
# changed, it recompiles that module. Quietly, with the log in a temp file.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MAIN=dev.devs.sandbox.benchmarks.analyzer.AnalyzeLatencyReport
CLASSES=$ROOT/benchmarks/target/classes
CP_FILE=$ROOT/benchmarks/target/analyzer.classpath
DEFAULT_REPORT=$ROOT/.devs/reports/sandbox_latency_benchmark.json

die() { # one line, exit 2: the analyzer's code for "cannot judge"
  printf 'analyze_sandbox_latency: %s\n' "$*" >&2
  exit 2
}

# Prints what is needed before the analyzer can run: "full" (never built, or its classpath points at jars
# that are gone), "compile" (the analyzer's sources changed since its classes were built), or nothing.
what_to_build() {
  local main_class=$CLASSES/${MAIN//.//}.class entry
  if [ ! -s "$CP_FILE" ] || [ ! -f "$main_class" ]; then echo full; return; fi
  IFS=: read -r -a entries < "$CP_FILE"
  for entry in "${entries[@]}"; do
    [ -e "$entry" ] || { echo full; return; }
  done
  if [ -n "$(find "$ROOT/benchmarks/src/main" "$ROOT/benchmarks/pom.xml" -newer "$main_class" -print -quit 2>/dev/null)" ]; then
    echo compile
  fi
}

build() { # mode log
  case $1 in
    # Only this module, against the sibling modules already installed in the local repository.
    compile) mvn -B -q -f "$ROOT/pom.xml" -pl benchmarks compile ;;
    # package, not install: the classpath then points into this checkout and ~/.m2 is left alone.
    full) mvn -B -q -f "$ROOT/pom.xml" -pl benchmarks -am package -DskipTests ;;
  esac >"$2" 2>&1
}

command -v java >/dev/null 2>&1 || die "java is not on PATH (a JDK 17 or newer is needed)"

need=$(what_to_build)
if [ -n "$need" ]; then
  command -v mvn >/dev/null 2>&1 || die "the analyzer is not built and mvn is not on PATH to build it"
  log=$(mktemp "${TMPDIR:-/tmp}/analyze_sandbox_latency.build.XXXXXX")
  printf 'analyze_sandbox_latency: building the analyzer first (%s), log %s\n' "$need" "$log" >&2
  if ! build "$need" "$log"; then
    # A module-only compile fails when the siblings were never installed: then build them too.
    [ "$need" = compile ] && build full "$log" || die "building the analyzer failed, see $log"
  fi
  [ -z "$(what_to_build)" ] || die "the build did not produce $CP_FILE and the analyzer classes; see $log"
  rm -f "$log"
fi

exec java -Djava.awt.headless=true -Ddevs.analyzer.defaultReport="$DEFAULT_REPORT" \
  -cp "$CLASSES:$(cat "$CP_FILE")" "$MAIN" "$@"
