#!/usr/bin/env bash
# test_run_semantic.sh: the semantic checks in the daemon (`vigil run`).
#   1. a config whose `semantic:` section names a schema folder relative to
#      the config file (the daemon is started from another directory) and a
#      small inline budget, so long answers go to the sidecar thread; the
#      daemon follows an events file with HTTP 200 answers that break their
#      JSON Schema and answers that name entities missing from the retrieved
#      context, short (checked inline) and long (checked by the sidecar);
#      the database gets quality/format_violation events with the JSON
#      pointer of the first failure, quality/hallucination events, and
#      quality incidents; clean answers get neither;
#   2. SIGHUP with an invalid schema in the folder: refused, the file and
#      JSON pointer logged, still running with the old checks; SIGHUP with a
#      new `semantic:` section (hallucination.max_unsupported raised): applied,
#      new hallucination-marked answers no longer fail;
#   3. SIGTERM: exit 0, every late verdict stored (after a sanitizer build's
#      leak check too, which fails the exit status);
#   4. an invalid schema at start: exit 2, the file and the JSON pointer in
#      the message, no database written.
set -euo pipefail
VIGIL=${VIGIL_BIN:?}
DATA=${VIGIL_TEST_DATA:?}
T=$(mktemp -d)
VPID=
cleanup() {
	[[ -n "$VPID" ]] && kill "$VPID" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	for f in "$T"/*.log; do [[ -f "$f" ]] && { echo "--- $f"; cat "$f"; }; done
	exit 1
}

mkdir -p "$T/conf" "$T/elsewhere"
cp -r "$DATA/semantic/schemas" "$T/conf/schemas"
config() { # max_unsupported
	cat <<EOF
store:
  path: $T/vigil.db
  batch_interval: 50ms
metrics:
  listen: 127.0.0.1:0
events:
  - path: $T/events.jsonl
semantic:
  schemas_dir: schemas
  budget:
    inline_max_bytes: 300
  hallucination:
    max_unsupported: $1
    rate:
      clean_rate: 1 # every hallucination is an event: this tests the wiring, not the rate
EOF
}
config 1 >"$T/conf/vigil.yaml"
: >"$T/events.jsonl"

# gen PREFIX KIND COUNT: answers stamped now. KIND: invalid | invalid_long |
# halluc | halluc_long | clean | clean_long.
cat >"$T/gen.py" <<'PY'
import json, sys, time
path, prefix, kind, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
context = "Our refund policy allows returns within 30 days of delivery for every order."
filler = ("The customer asked about the status of the order and we explained how the "
          "returns desk handles parcels that arrive after the usual delivery window. ")
prose = ("Returns are accepted within 30 days of delivery. Please pack the item in its "
         "original box, print the prepaid label from your account page and drop the parcel "
         "at any courier point near you. Once our warehouse receives it, a refund goes back "
         "to the card you paid with; banks usually show it after a few working days. If the "
         "item arrived damaged, attach a photo to the request so that we can skip the "
         "inspection step and speed things up.")
def answer(i):
    if kind == "invalid":
        return json.dumps({"answer": "42", "sources": [3, 0]}), "answer"
    if kind == "invalid_long":
        return json.dumps({"answer": filler * 3, "sources": [3, 1, -1]}), "answer"
    if kind == "clean":
        return json.dumps({"answer": "Returns are accepted within 30 days.", "sources": [1]}), "answer"
    if kind == "clean_long":
        return json.dumps({"answer": prose, "sources": [1, 2]}), "answer"
    if kind == "halluc":
        return "According to Jane Porter of Initech Labs [4], see https://x.example/y.", None
    if kind == "halluc_long":
        return filler + "According to Jane Porter of Initech Labs [4], see https://x.example/y. " + \
            "Section 12.4 of the Globex Returns Charter says so too.", None
    raise SystemExit("bad kind " + kind)
with open(path, "a") as f:
    for i in range(count):
        t = time.time()
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)
        text, schema = answer(i)
        resp = {"finish_reason": "stop", "text": text}
        if schema:
            resp["schema_id"] = schema
        f.write(json.dumps({"schema_version": 1, "ts": ts, "request_id": "%s-%d" % (prefix, i),
                            "provider": "openai", "model": "gpt-4o", "template": "support",
                            "http": {"status": 200}, "transport": {"total_ms": 420},
                            "response": resp, "context": {"text": context}}) + "\n")
PY
gen() { python3 "$T/gen.py" "$T/events.jsonl" "$@"; }

q() { sqlite3 -cmd ".timeout 5000" "$T/vigil.db" "$1" 2>/dev/null || echo ""; }
wait_for() { # description command...
	local what=$1
	shift
	for _ in $(seq 1 300); do
		if "$@"; then return 0; fi
		sleep 0.1
	done
	fail "timed out waiting for: $what"
}
q_is() { [[ "$(q "$1")" == "$2" ]]; }
log_has() { grep -q "$2" "$1"; }
events_of() { # prefix subtype
	q "SELECT count(DISTINCT request_id) FROM failure_events WHERE request_id LIKE '$1-%' AND category='quality' AND subtype='$2'"
}
events_is() { [[ "$(events_of "$1" "$2")" == "$3" ]]; }

# ---- 1. schema violations and hallucinations, inline and in the sidecar ----------------
LOG=$T/run.log
: >"$LOG"
(cd "$T/elsewhere" && exec "$VIGIL" run --config ../conf/vigil.yaml) 2>"$LOG" &
VPID=$!
wait_for "running" log_has "$LOG" '"msg":"running"'
log_has "$LOG" '"msg":"sidecar started".*"inline_max_bytes":300' || fail "no sidecar started"

gen inv invalid 5
gen invl invalid_long 5
gen hal halluc 5
gen hall halluc_long 5
gen ok clean 5
gen okl clean_long 5
wait_for "30 observations" q_is "SELECT count(*) FROM observations" 30
wait_for "inline schema violations" events_is inv format_violation 5
wait_for "sidecar schema violations" events_is invl format_violation 5
wait_for "inline hallucinations" events_is hal hallucination 5
wait_for "sidecar hallucinations" events_is hall hallucination 5
# the JSON pointer of the first failure, inline and late alike
[[ "$(q "SELECT DISTINCT json_extract(detail, '$.causal.detail') FROM failure_events WHERE request_id LIKE 'inv-%' AND subtype='format_violation'")" == "/sources/1" ]] ||
	fail "inline pointer: $(q "SELECT detail FROM failure_events WHERE request_id LIKE 'inv-%'")"
[[ "$(q "SELECT DISTINCT json_extract(detail, '$.causal.detail') FROM failure_events WHERE request_id LIKE 'invl-%' AND subtype='format_violation'")" == "/sources/2" ]] ||
	fail "sidecar pointer: $(q "SELECT detail FROM failure_events WHERE request_id LIKE 'invl-%'")"
# clean answers, short and long, fail no check
[[ "$(q "SELECT count(*) FROM failure_events WHERE request_id LIKE 'ok-%' OR request_id LIKE 'okl-%'")" == 0 ]] ||
	fail "clean answers failed: $(q "SELECT request_id, subtype FROM failure_events WHERE request_id LIKE 'ok%'")"
wait_for "quality incidents" q_is "SELECT count(*) FROM incidents WHERE category='quality' AND subtype IN ('format_violation','hallucination')" 2

# ---- 2. SIGHUP: a bad schema is refused, a new section applies ---------------------------
cp "$DATA/semantic/schemas_bad/b_broken.json" "$T/conf/schemas/"
kill -HUP "$VPID"
wait_for "bad schema refused" log_has "$LOG" '"msg":"reload refused.*b_broken.json: /properties/total/minimum'
kill -0 "$VPID" || fail "died on a bad schema at reload"
gen hal2 halluc 3
wait_for "old checks still on" events_is hal2 hallucination 3
rm "$T/conf/schemas/b_broken.json"
config 50 >"$T/conf/vigil.yaml"
kill -HUP "$VPID"
wait_for "reload applied" log_has "$LOG" '"msg":"config reloaded".*"applied":\[[^]]*"semantic"'
gen hal3 halluc 3
gen hal3l halluc_long 3
gen inv3l invalid_long 2
wait_for "41 observations" q_is "SELECT count(*) FROM observations" 41
wait_for "sidecar still on after reload" events_is inv3l format_violation 2
[[ "$(events_of hal3 hallucination)$(events_of hal3l hallucination)" == 00 ]] ||
	fail "max_unsupported 50 not applied: $(q "SELECT request_id FROM failure_events WHERE request_id LIKE 'hal3%'")"

# ---- 3. SIGTERM right after appending long answers: their late verdicts are stored -------
gen inv4l invalid_long 20
wait_for "61 observations" q_is "SELECT count(*) FROM observations" 61
kill -TERM "$VPID"
set +e
wait "$VPID"
st=$?
set -e
VPID=
[[ $st == 0 ]] || fail "exit status $st after SIGTERM"
log_has "$LOG" '"msg":"stopped","err":0' || fail "no clean stop logged"
[[ "$(events_of inv4l format_violation)" == 20 ]] ||
	fail "late verdicts lost at stop: $(events_of inv4l format_violation) of 20"
while read -r line; do
	python3 -c 'import json,sys; json.loads(sys.argv[1])' "$line" || fail "not JSON: $line"
done <"$LOG"

# ---- 4. an invalid schema at start -------------------------------------------------------
mkdir -p "$T/bad"
cp -r "$DATA/semantic/schemas_bad" "$T/bad/schemas"
cat >"$T/bad/vigil.yaml" <<EOF
store:
  path: $T/bad/vigil.db
metrics:
  listen: 127.0.0.1:0
semantic:
  schemas_dir: schemas
EOF
set +e
"$VIGIL" run --config "$T/bad/vigil.yaml" 2>"$T/bad.log"
st=$?
set -e
[[ $st == 2 ]] || fail "a bad schema exited $st, not 2"
grep -q '"msg":"cannot start".*schemas/b_broken.json: /properties/total/minimum' "$T/bad.log" ||
	fail "the file and pointer are not named"
[[ ! -e "$T/bad/vigil.db" ]] || fail "a database was written despite the bad schema"
echo ok
