#!/usr/bin/env bash
# test_run_probes.sh: `vigil run` probing the provider simulator (a separate
# process on loopback, the `faults` scenario) with its canaries: a healthy
# model and an overloaded one on openai, every second. Checked: probe
# observations (source = probe) reach the database, the overloaded model
# opens a provider incident, /metrics has vigil_probe_success 1 for the
# healthy model and 0 for the other, the console's health row carries the
# probe spend, the key is never logged, and SIGTERM exits 0.
set -euo pipefail
VIGIL=${VIGIL_BIN:?}
source "$(dirname "$0")/../support/common.bash"
fail() {
	echo "FAIL: $*"
	echo "--- run.log"
	cat "$T/run.log"
	exit 1
}

"$VIGIL" sim providers --scenario faults --port-file "$T/port" >"$T/sim.out" 2>"$T/sim.err" &
PIDS+=($!)
for _ in $(seq 100); do [[ -s "$T/port" ]] && break; sleep 0.1; done
SIM=$(cat "$T/port")
[[ "$SIM" =~ ^[0-9]+$ ]] || fail "no simulator port"

cat >"$T/vigil.yaml" <<EOF
store:
  path: $T/vigil.db
  batch_interval: 50ms
metrics:
  listen: 127.0.0.1:0
providers:
  - name: openai
    kind: openai
    base_url: http://127.0.0.1:$SIM
    api_key_env: VIGIL_TEST_SIM_KEY
    key_alias: sim-openai
    models:
      - {name: sim-ok, price_in_per_1k: 0.00015, price_out_per_1k: 0.0006}
      - {name: sim-overloaded, price_in_per_1k: 0.00015, price_out_per_1k: 0.0006}
probes:
  interval: 1s
  jitter: 100ms
  timeout: 5s
EOF
export VIGIL_TEST_SIM_KEY="sk-SENTINEL-run-probes-91c3"

q() { sqlite3 -cmd ".timeout 5000" "$T/vigil.db" "$1" 2>/dev/null || echo ""; }
q_ge() { local v; v=$(q "$1"); [[ -n "$v" && "$v" -ge "$2" ]]; }

"$VIGIL" run --config "$T/vigil.yaml" 2>"$T/run.log" &
VPID=$!
PIDS+=($VPID)
wait_for "metrics port" grep -q '"msg":"metrics listening"' "$T/run.log"
PORT=$(sed -n 's/.*"msg":"metrics listening".*"port":\([0-9]*\).*/\1/p' "$T/run.log" | head -1)
grep -q '"msg":"canaries started","endpoints":2' "$T/run.log" || fail "canaries not started"

wait_for "3 probes of sim-ok" q_ge "SELECT count(*) FROM observations WHERE source='probe' AND model='sim-ok'" 3
wait_for "3 probes of sim-overloaded" q_ge "SELECT count(*) FROM observations WHERE source='probe' AND model='sim-overloaded'" 3
[[ "$(q "SELECT count(*) FROM observations WHERE source != 'probe'")" == 0 ]] || fail "non-probe rows"
[[ "$(q "SELECT count(*) FROM observations WHERE model='sim-ok' AND http_status=200")" -ge 3 ]] ||
	fail "sim-ok not healthy: $(q "SELECT model, http_status FROM observations LIMIT 6")"
wait_for "a provider incident for the overloaded model" q_ge "SELECT count(*) FROM incidents WHERE category='provider' AND provider='openai'" 1
wait_for "health row with probe spend" q_ge "SELECT count(*) FROM health WHERE provider='openai' AND model='' AND probe_spend_usd > 0" 1

M=$(python3 -c "import urllib.request,sys; print(urllib.request.urlopen('http://127.0.0.1:%s/metrics' % sys.argv[1], timeout=5).read().decode())" "$PORT")
grep -q '^vigil_probe_success{provider="openai",model="sim-ok"} 1$' <<<"$M" || fail "probe success of sim-ok"
grep -q '^vigil_probe_success{provider="openai",model="sim-overloaded"} 0$' <<<"$M" || fail "probe failure of sim-overloaded"
grep -q '^vigil_requests_total{source="probe",provider="openai",model="sim-ok",status_class="2xx"} [1-9]' <<<"$M" ||
	fail "probe requests not counted"

kill -TERM "$VPID"
set +e
wait "$VPID"
rc=$?
set -e
[[ $rc -eq 0 ]] || fail "exit $rc after SIGTERM"
grep -q '"msg":"stopped","err":0' "$T/run.log" || fail "no clean stop"
! grep -q SENTINEL "$T/run.log" || fail "the key was logged"
! grep -qa SENTINEL "$T/vigil.db" || fail "the key is in the database"
echo "ok: $(q "SELECT count(*) FROM observations") probe observations, $(q "SELECT count(*) FROM incidents") incident(s), clean stop"
