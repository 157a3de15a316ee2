#!/usr/bin/env bash
# test_probe_cli.sh: `vigil probe` from the built binary against the
# simulator as a separate process on loopback: help and usage errors (exit
# 2), --once exit status (0 all healthy, 1 any failed or disabled), the table
# and the JSON lines, a missing key (disabled, no request, clear message),
# the key never printed, a DNS failure (under `unshare -rn` when the kernel
# allows it, so the lookup cannot leave the machine; otherwise a `.invalid`
# name, which never resolves), and the headless loop stopped by SIGTERM.
set -uo pipefail
BIN=${VIGIL_BIN:?}
fails=0
TMP=$(mktemp -d)
SRV_PID=""
LOOP_PID=""
cleanup() {
	[[ -n "$LOOP_PID" ]] && kill "$LOOP_PID" 2>/dev/null && wait "$LOOP_PID" 2>/dev/null
	[[ -n "$SRV_PID" ]] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect() { # expect STATUS DESCRIPTION -- command...
	local want=$1 desc=$2
	shift 3
	"$@" >"$TMP/out" 2>"$TMP/err"
	local got=$?
	if [[ $got != "$want" ]]; then
		fail "$desc: exit $got, expected $want"; head -5 "$TMP/err" "$TMP/out"
	fi
}
KEY="sk-SENTINEL-cli-4d2e9a"
no_key() { # the key appears in no output
	if grep -q "SENTINEL" "$TMP/out" "$TMP/err"; then fail "$1: the key was printed"; fi
}

# ---- usage
expect 0 "probe --help" -- "$BIN" probe --help
grep -q "usage: vigil probe" "$TMP/out" || fail "help text"
expect 2 "bad flag" -- "$BIN" probe --bogus
grep -q "vigil probe: unknown option '--bogus'" "$TMP/err" || fail "bad flag text"
expect 2 "stray argument" -- "$BIN" probe --once extra
expect 2 "missing config" -- "$BIN" probe --once --config "$TMP/nope.yaml"
grep -q "nope.yaml: cannot open" "$TMP/err" || fail "missing config text"
printf 'probes:\n  interval: 1m\n' >"$TMP/empty.yaml"
expect 2 "no providers" -- "$BIN" probe --once --config "$TMP/empty.yaml"
grep -q "nothing to probe (no providers configured)" "$TMP/err" || fail "no providers text"
printf 'probes:\n  interval: 1m\n  jitter: 2m\n' >"$TMP/bad.yaml"
expect 2 "bad probes section" -- "$BIN" probe --once --config "$TMP/bad.yaml"
grep -q "probes.jitter" "$TMP/err" || fail "bad probes section names the key"

# ---- the simulator as a process
"$BIN" sim providers --scenario faults --port-file "$TMP/port" >"$TMP/srv.out" 2>"$TMP/srv.err" &
SRV_PID=$!
for _ in $(seq 100); do [[ -s "$TMP/port" ]] && break; sleep 0.1; done
PORT=$(cat "$TMP/port")
[[ "$PORT" =~ ^[0-9]+$ ]] || { echo "FAIL: no simulator port"; exit 1; }

config() { # config FILE MODELS [EXTRA]
	cat >"$1" <<YAML
providers:
  - {name: openai, kind: openai, base_url: "http://127.0.0.1:$PORT", api_key_env: VIGIL_CLI_KEY, models: $2}
  - {name: anthropic, kind: anthropic, base_url: "http://127.0.0.1:$PORT", api_key_env: VIGIL_CLI_KEY, models: $2}
  - {name: google, kind: google, base_url: "http://127.0.0.1:$PORT", api_key_env: VIGIL_CLI_KEY, models: $2}
probes: {timeout: 3s${3:-}}
YAML
}
config "$TMP/ok.yaml" "[{name: sim-ok, price_in_per_1k: 1, price_out_per_1k: 2}]" ", availability: true"
export VIGIL_CLI_KEY="$KEY"
expect 0 "all healthy" -- "$BIN" probe --once --config "$TMP/ok.yaml"
[[ $(grep -c " ok$" "$TMP/out") == 6 ]] || fail "six healthy rows expected"
grep -q "^PROVIDER .*DNS .*CONNECT .*TLS .*TTFB .*TOTAL .*HEADROOM .*VERDICT" "$TMP/out" || fail "table header"
grep -q "^spend today (UTC) openai .*of \$1.00" "$TMP/out" || fail "spend line"
no_key "all healthy"

# Long names: PROVIDER and MODEL are as wide as the longest name, so every
# row's STATUS (and what follows) stays under its title; names are whole.
cat >"$TMP/long.yaml" <<YAML
providers:
  - {name: openai-eu-west-dedicated-1, kind: openai, base_url: "http://127.0.0.1:$PORT", api_key_env: VIGIL_CLI_KEY, models: [{name: sim-ok-2024-07-18-ft-acme-support-bot-v3}]}
  - {name: anthropic, kind: anthropic, base_url: "http://127.0.0.1:$PORT", api_key_env: VIGIL_CLI_KEY, models: [{name: sim-ok}]}
probes: {timeout: 3s, availability: true}
YAML
"$BIN" probe --once --config "$TMP/long.yaml" >"$TMP/out" 2>"$TMP/err"
hdr=$(head -n1 "$TMP/out")
before=${hdr%%STATUS*}
end=$((${#before} + 6))
[[ $hdr == *STATUS* ]] || fail "long names: no header"
rows=0
while IFS= read -r line; do
	[[ $line == PROVIDER* || $line == spend* ]] && continue
	rows=$((rows + 1))
	[[ ${line:end-3:3} =~ ^[0-9]{3}$ && ${line:end:1} == " " ]] ||
		fail "long names: STATUS out of line: '$line' (header '$hdr')"
done <"$TMP/out"
[[ $rows == 4 ]] || fail "long names: $rows rows, expected 4"
grep -q "^openai-eu-west-dedicated-1 sim-ok-2024-07-18-ft-acme-support-bot-v3 " "$TMP/out" ||
	fail "long names: not whole"

config "$TMP/faults.yaml" "[{name: sim-ok}, {name: sim-500}, {name: sim-auth}, {name: sim-truncated}]"
expect 1 "faults" -- "$BIN" probe --once --json --config "$TMP/faults.yaml"
[[ $(wc -l <"$TMP/out") == 12 ]] || fail "12 JSON lines expected, got $(wc -l <"$TMP/out")"
jq -e . "$TMP/out" >/dev/null || fail "JSON lines do not parse"
[[ $(jq -s '[.[] | select(.healthy)] | length' "$TMP/out") == 3 ]] || fail "three healthy"
for p in openai anthropic google; do
	v=$(jq -r "select(.endpoint == \"$p/sim-500\") | .verdict[0].subtype" "$TMP/out")
	[[ "$v" == "server_error" ]] || fail "$p/sim-500 verdict '$v'"
	v=$(jq -r "select(.endpoint == \"$p/sim-auth\") | .verdict[0].subtype" "$TMP/out")
	[[ "$v" == "auth" ]] || fail "$p/sim-auth verdict '$v'"
	v=$(jq -r "select(.endpoint == \"$p/sim-truncated\") | [.status, .truncated, .verdict[0].subtype] | @tsv" "$TMP/out")
	[[ "$v" == $'200\ttrue\ttruncation' ]] || fail "$p/sim-truncated '$v'"
	v=$(jq -r "select(.endpoint == \"$p/sim-ok\") | [.ok_json, .input_tokens > 0, .transport] | @tsv" "$TMP/out")
	[[ "$v" == $'true\ttrue\tnone' ]] || fail "$p/sim-ok '$v'"
done
no_key "faults"

# ---- a missing key: disabled, nothing sent, said clearly
before=$(curl -s "http://127.0.0.1:$PORT/_sim/status" | jq .requests)
expect 1 "missing key" -- env -u VIGIL_CLI_KEY "$BIN" probe --once --config "$TMP/ok.yaml"
grep -q "openai: canaries disabled: VIGIL_CLI_KEY is not set" "$TMP/err" || fail "missing key message"
[[ $(grep -c "disabled: VIGIL_CLI_KEY is not set" "$TMP/out") == 6 ]] || fail "disabled rows"
expect 1 "empty key" -- env VIGIL_CLI_KEY= "$BIN" probe --once --config "$TMP/ok.yaml"
grep -q "VIGIL_CLI_KEY is empty" "$TMP/err" || fail "empty key message"
after=$(curl -s "http://127.0.0.1:$PORT/_sim/status" | jq .requests)
[[ "$before" == "$after" ]] || fail "requests were sent without a key ($before -> $after)"

# ---- DNS: a name that cannot resolve
cat >"$TMP/dns.yaml" <<YAML
providers:
  - {name: openai, kind: openai, base_url: "http://vigil-canary-test.invalid:$PORT", api_key_env: VIGIL_CLI_KEY, models: [{name: gpt}]}
probes: {timeout: 5s}
YAML
if unshare -rn true 2>/dev/null; then
	expect 1 "dns (unshare -rn)" -- unshare -rn "$BIN" probe --once --json --config "$TMP/dns.yaml"
else
	echo "note: unshare -rn is not permitted here; the .invalid name alone keeps the lookup unresolvable"
	expect 1 "dns (.invalid)" -- "$BIN" probe --once --json --config "$TMP/dns.yaml"
fi
v=$(jq -r '[.transport, (.status | tostring), .verdict[0].subtype] | @tsv' "$TMP/out")
[[ "$v" == $'dns\tnull\tdns' ]] || fail "dns failure: '$v'"
no_key "dns"

# ---- headless: probes on their schedule until SIGTERM
config "$TMP/loop.yaml" "[{name: sim-ok}]" ", interval: 300ms, jitter: 50ms"
"$BIN" probe --json --metrics 127.0.0.1:0 --config "$TMP/loop.yaml" >"$TMP/loop.out" 2>"$TMP/loop.err" &
LOOP_PID=$!
for _ in $(seq 200); do (($(wc -l <"$TMP/loop.out") >= 9)) && break; sleep 0.1; done
MPORT=$(sed -n 's|^vigil probe: metrics on http://127.0.0.1:\([0-9]*\)/metrics$|\1|p' "$TMP/loop.err")
[[ "$MPORT" =~ ^[0-9]+$ ]] || fail "no metrics port on stderr"
curl -s "http://127.0.0.1:$MPORT/metrics" >"$TMP/metrics.txt" || fail "metrics scrape"
grep -q '^vigil_probe_success{provider="openai",model="sim-ok"} 1' "$TMP/metrics.txt" || fail "probe_success metric"
grep -q '^vigil_probe_phase_duration_seconds{provider="google",model="sim-ok",phase="connect"} ' "$TMP/metrics.txt" || fail "phase metric"
grep -q '^vigil_requests_total{source="probe",provider="anthropic",model="sim-ok",status_class="2xx"} ' "$TMP/metrics.txt" || fail "requests metric"
grep -q '^vigil_probe_budget_exhausted{provider="openai"} 0' "$TMP/metrics.txt" || fail "budget metric"
grep -q "SENTINEL" "$TMP/metrics.txt" && fail "the key is in the metrics"
kill -TERM "$LOOP_PID"
wait "$LOOP_PID"
rc=$?
LOOP_PID=""
[[ $rc == 0 ]] || fail "headless exit $rc after SIGTERM"
n=$(wc -l <"$TMP/loop.out")
((n >= 9)) || fail "headless: only $n results"
for p in openai anthropic google; do
	c=$(jq -s "[.[] | select(.provider == \"$p\")] | length" "$TMP/loop.out")
	((c >= 2)) || fail "headless: $p probed $c times"
done

kill -TERM "$SRV_PID"; wait "$SRV_PID"; SRV_PID=""
if ((fails)); then echo "$fails failure(s)"; exit 1; fi
echo "ok"
