#!/usr/bin/env bash
# test_sim_cli.sh: `vigil sim` from the built binary: help and bad flags (one
# line, exit 2), the shipped scenarios, a bad scenario file (exit 1 naming
# file:line:col and the field), the provider server as a process (port file,
# real requests with curl over loopback, truth file, clean exit on SIGTERM),
# and the gateway generator (file, stdout, --start, live mode, rotation).
set -uo pipefail
BIN=${VIGIL_BIN:?}
DATA=${VIGIL_TEST_DATA:?}
fails=0
TMP=$(mktemp -d)
SRV_PID=""
cleanup() {
	if [[ -n "$SRV_PID" ]]; then kill "$SRV_PID" 2>/dev/null; wait "$SRV_PID" 2>/dev/null; fi
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
		fail "$desc: exit $got, expected $want"; head -5 "$TMP/err"
	fi
}
one_line_err() { [[ $(wc -l <"$TMP/err") == 1 ]] || fail "$1: error is not one line"; }

# ---- help and usage errors
expect 0 "sim --help" -- "$BIN" sim --help
grep -q "usage: vigil sim" "$TMP/out" || fail "sim --help text"
expect 2 "sim without a command" -- "$BIN" sim
expect 2 "sim unknown command" -- "$BIN" sim frobnicate
one_line_err "sim unknown command"
for sub in providers gateway list show; do
	expect 0 "sim $sub --help" -- "$BIN" sim "$sub" --help
	grep -q "usage: vigil sim $sub" "$TMP/out" || fail "sim $sub --help text"
done
expect 2 "providers bad flag" -- "$BIN" sim providers --bogus
one_line_err "providers bad flag"
grep -q "vigil sim providers: unknown option '--bogus'" "$TMP/err" || fail "providers bad flag text"
expect 2 "providers bad port" -- "$BIN" sim providers --port 70000
expect 2 "providers bad speed" -- "$BIN" sim providers --speed 0
expect 2 "providers flag without value" -- "$BIN" sim providers --scenario
expect 2 "gateway without scenario" -- "$BIN" sim gateway --out "$TMP/x"
one_line_err "gateway without scenario"
expect 2 "gateway without out" -- "$BIN" sim gateway --scenario calm
expect 2 "gateway bad rate" -- "$BIN" sim gateway --scenario calm --out "$TMP/x" --rate fast
expect 2 "gateway bad speed" -- "$BIN" sim gateway --scenario calm --out "$TMP/x" --speed -1
expect 2 "gateway bad rotate mode" -- "$BIN" sim gateway --scenario calm --out "$TMP/x" --rotate-every 5 --rotate-mode sideways
expect 2 "gateway bad start" -- "$BIN" sim gateway --scenario calm --out "$TMP/x" --start yesterday
expect 2 "gateway stray argument" -- "$BIN" sim gateway --scenario calm --out "$TMP/x" extra

# ---- scenarios
expect 0 "sim list" -- "$BIN" sim list
for s in calm oncall-day latency-ramp silent-update injection openai-dec-2024 google-jun-2025 anthropic-529-waves faults; do
	grep -q "^$s " "$TMP/out" || fail "sim list misses $s"
done
expect 0 "sim show" -- "$BIN" sim show oncall-day
cp "$TMP/out" "$TMP/copy.yaml"
expect 0 "a shown scenario loads back from a file" -- "$BIN" sim gateway --scenario "$TMP/copy.yaml" --out "$TMP/copy.jsonl" --duration 1m
expect 1 "sim show unknown" -- "$BIN" sim show nope
expect 1 "unknown scenario name" -- "$BIN" sim gateway --scenario nope --out "$TMP/x"
grep -q "no scenario named 'nope'" "$TMP/err" || fail "unknown scenario text"
expect 1 "bad scenario file" -- "$BIN" sim providers --scenario "$DATA/sim/bad_share.yaml"
grep -q "bad_share.yaml:15:12: phases\[0\].share: 1.5 is out of range" "$TMP/err" || { fail "bad scenario text"; cat "$TMP/err"; }

# ---- the provider server as a process
"$BIN" sim providers --scenario faults --port-file "$TMP/port" --truth "$TMP/truth.json" \
	--config-out "$TMP/vigil.yaml" >"$TMP/srv.out" 2>"$TMP/srv.err" &
SRV_PID=$!
for _ in $(seq 100); do [[ -s "$TMP/port" ]] && break; sleep 0.05; done
PORT=$(cat "$TMP/port" 2>/dev/null)
if [[ -z "$PORT" ]]; then
	fail "providers wrote no port file"; cat "$TMP/srv.err"
else
	grep -q "listening on http://127.0.0.1:$PORT" "$TMP/srv.out" || fail "providers does not print its port"
	code=$(curl -s -o "$TMP/models" -w '%{http_code}' -H 'Authorization: Bearer sk-x' "http://127.0.0.1:$PORT/v1/models")
	[[ $code == 200 ]] || fail "GET /v1/models: $code"
	grep -q '"object":"list"' "$TMP/models" || fail "models body"
	code=$(curl -s -o "$TMP/chat" -w '%{http_code}' -H 'Authorization: Bearer sk-x' \
		-d '{"model":"sim-503","messages":[{"role":"user","content":"hi"}]}' "http://127.0.0.1:$PORT/v1/chat/completions")
	[[ $code == 503 ]] || fail "POST sim-503: $code"
	code=$(curl -s -o /dev/null -w '%{http_code}' -H 'x-api-key: k' -H 'anthropic-version: 2023-06-01' \
		-d '{"model":"sim-overloaded","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}' "http://127.0.0.1:$PORT/v1/messages")
	[[ $code == 529 ]] || fail "POST sim-overloaded: $code"
	curl -s "http://127.0.0.1:$PORT/_sim/status" | grep -q '"scenario":"faults"' || fail "status page"
	# the generated config is one vigil accepts, and its base URLs reach the server
	expect 0 "vigil check on the generated config" -- "$BIN" check --config "$TMP/vigil.yaml"
	grep -q "providers: 3" "$TMP/out" || fail "generated config providers"
	code=$(curl -s -o /dev/null -w '%{http_code}' -H 'x-goog-api-key: k' \
		-d '{"contents":[{"parts":[{"text":"hi"}]}]}' "http://127.0.0.1:$PORT/google/v1beta/models/sim-ok:generateContent")
	[[ $code == 200 ]] || fail "generated base_url prefix: $code"
	python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); assert t["scenario"]=="faults"; assert len(t["faults"])==22; assert all("onset" in f and "end_ms" in f for f in t["faults"])' "$TMP/truth.json" || fail "providers truth file"
	kill -TERM "$SRV_PID"
	wait "$SRV_PID"
	rc=$?
	SRV_PID=""
	[[ $rc == 0 ]] || fail "providers exit on SIGTERM: $rc"
fi

# ---- providers and gateway events in one process, on one clock (what vigil demo runs)
expect 2 "providers --rate without --events" -- "$BIN" sim providers --rate 5
"$BIN" sim providers --scenario oncall-day --from 9m --speed 2 --events "$TMP/pe.jsonl" \
	--port-file "$TMP/pe.port" >"$TMP/pe.out" 2>"$TMP/pe.err" &
SRV_PID=$!
for _ in $(seq 100); do [[ -s "$TMP/pe.port" ]] && break; sleep 0.05; done
PORT=$(cat "$TMP/pe.port" 2>/dev/null)
if [[ -z "$PORT" ]]; then
	fail "providers --events wrote no port file"; cat "$TMP/pe.err"
else
	# in oncall-day's OpenAI outage (8m30s..12m) a probe gets the 503 the gateway logs
	code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer sk-x' \
		-d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' "http://127.0.0.1:$PORT/openai/v1/chat/completions")
	[[ $code == 503 ]] || fail "providers --events: probe during the outage got $code"
	for _ in $(seq 150); do grep -q '"after_failure_of":"openai"' "$TMP/pe.jsonl" 2>/dev/null && break; sleep 0.1; done
	kill -TERM "$SRV_PID"
	wait "$SRV_PID"
	rc=$?
	SRV_PID=""
	[[ $rc == 0 ]] || fail "providers --events exit on SIGTERM: $rc"
	grep -q "gateway events to $TMP/pe.jsonl" "$TMP/pe.out" || fail "providers --events does not say where"
	python3 -c 'import json,sys
n=fo=0
for line in open(sys.argv[1]):
    e=json.loads(line); n+=1
    if e["provider"]=="openai": assert e["http"]["status"]==503, e["http"]["status"]
    elif e["selection"].get("after_failure_of")=="openai": fo+=1
assert n>0 and fo>0, (n, fo)' "$TMP/pe.jsonl" || fail "providers --events: gateway lines do not show the outage"
fi

# ---- the gateway generator
expect 0 "gateway to a file" -- "$BIN" sim gateway --scenario latency-ramp --rate 2/s --duration 30m --out "$TMP/g.jsonl" --truth "$TMP/g.truth.json" --seed 3
n=$(wc -l <"$TMP/g.jsonl")
(( n > 2000 && n < 5000 )) || fail "gateway line count $n for 30 minutes at 2/s"
grep -q "line(s) for" "$TMP/err" || fail "gateway summary"
python3 -c 'import json,sys
t=json.load(open(sys.argv[1])); f=t["faults"][0]
assert f["subtype"]=="latency" and f["onset_ms"]==600000 and f["detectable_ms"]==1320000, f
for line in open(sys.argv[2]):
    e=json.loads(line); assert e["schema_version"]==1 and e["ts"].startswith("2026-11-27T1")' "$TMP/g.truth.json" "$TMP/g.jsonl" || fail "gateway file content"
expect 0 "gateway same seed twice" -- "$BIN" sim gateway --scenario latency-ramp --rate 2/s --duration 30m --out "$TMP/g2.jsonl" --seed 3
cmp -s "$TMP/g.jsonl" "$TMP/g2.jsonl" || fail "the same seed gives different bytes"
expect 0 "gateway to stdout with --start" -- "$BIN" sim gateway --scenario calm --duration 1m --out - --start 2024-12-11T23:00:00Z
head -1 "$TMP/out" | grep -q '"ts":"2024-12-11T23:00:' || fail "--start not applied"
expect 0 "gateway rotation" -- "$BIN" sim gateway --scenario calm --duration 5m --out "$TMP/r.jsonl" --rotate-every 400 --rotate-mode copytruncate
[[ -s "$TMP/r.jsonl.1" && -s "$TMP/r.jsonl.2" ]] || fail "rotation made no .1/.2 files"
total=$(cat "$TMP"/r.jsonl* | wc -l)
single=$("$BIN" sim gateway --scenario calm --duration 5m --out - 2>/dev/null | wc -l)
[[ $total == "$single" ]] || fail "rotation lost lines: $total vs $single"
# live: 2 scenario minutes at 600x end by themselves in about 0.2 s
expect 0 "gateway live" -- timeout 20 "$BIN" sim gateway --scenario calm --duration 2m --speed 600 --out "$TMP/live.jsonl"
[[ -s "$TMP/live.jsonl" ]] || fail "live mode wrote nothing"
expect 2 "gateway --start with live speed" -- "$BIN" sim gateway --scenario calm --out "$TMP/x" --speed 10 --start 2024-12-11T23:00:00Z

if ((fails)); then echo "$fails failure(s)"; exit 1; fi
echo "sim cli: ok"
