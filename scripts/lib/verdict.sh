# Sourced by scripts/run_sandbox_latency_benchmark.sh: how the main command turns what happened into its exit
# code, apart from the run itself, so that tests can drive it with a prepared report, a missing one, or a list
# of missing components (benchmarks/src/test/.../BenchmarkVerdictScriptTest.java).
#
#   0  every P95 within its target, the benchmark tests passed, the scrape text is complete
#   1  a P95 over its target (or a series whose every start failed), or a benchmark test failed
#   2  the report or the scrape text is missing or malformed
#   3  the environment is incomplete: nothing was measured

VERDICT_ROOT=${VERDICT_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

say() { printf '[benchmark] %s\n' "$*" >&2; }

# verdict_environment [MISSING...]: lists what is missing and returns 3, or returns 0 when nothing is.
verdict_environment() {
  [ $# -eq 0 ] && return 0
  say "cannot run the benchmark; missing:"
  local m
  for m in "$@"; do say "  - $m"; done
  return 3
}

# verdict_run MVN_RC REPORT_JSON METRICS_PROM [MVN_LOG]: judges a finished run; returns 0, 1 or 2 as above.
verdict_run() {
  local mvn_rc=$1 report=$2 prom=$3 log=${4:-the maven output} prom_ok=1 rc gauge
  if [ ! -s "$prom" ]; then
    say "the run did not write $prom"
    prom_ok=0
  else
    # The three seed gauges, and the per-phase histogram (issue 12) by one of its bucket lines.
    for gauge in sandbox_provisioning_duration_p50_ms sandbox_provisioning_duration_p95_ms sandbox_provisioning_duration_p99_ms \
        sandbox_provisioning_phase_duration_seconds_bucket; do
      grep -q "^$gauge" "$prom" || { say "$prom lacks $gauge"; prom_ok=0; }
    done
  fi

  local analyzer=$VERDICT_ROOT/scripts/analyze_sandbox_latency.sh
  if [ -x "$analyzer" ]; then
    "$analyzer" "$report"
    rc=$?
  else
    say "scripts/analyze_sandbox_latency.sh is missing or not executable: cannot judge the report"
    rc=2
  fi

  # The analyzer's verdict on the report comes first; a missing scrape text or a failed test only turns a pass
  # into a failure, never a worse code into a milder one.
  if [ $rc -eq 0 ] && [ $prom_ok -eq 0 ]; then rc=2; fi
  if [ $rc -eq 0 ] && [ "$mvn_rc" -ne 0 ]; then
    say "a benchmark test failed (see $log), although every P95 is within its target"
    rc=1
  fi
  return $rc
}
