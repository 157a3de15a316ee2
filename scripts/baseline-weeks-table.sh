#!/usr/bin/env bash
# baseline-weeks-table.sh: time to detect for each planted anomaly of the
# baseline-weeks scenario (sim/scenarios/baseline-weeks.yaml), in requests
# and in seconds, and the failure events outside the planted anomalies
# (all metrics; should be none). Generates the scenario, replays it from a
# cold start with tests/data/replay/baseline-weeks.vigil.yaml, prints:
#
#   scenario-start  fault  kind  detectable  first event  seconds  requests  event
#   ...
#   outside the planted anomalies: N events
#
#   scripts/baseline-weeks-table.sh [--vigil BIN] [--shift HOURS] [--keep DIR]
#       --shift 7 moves the whole scenario (and the holiday's dates) 7 hours;
#       --keep DIR keeps the report, the events and the truth there
#   scripts/baseline-weeks-table.sh --outside|--list-outside REPORT EVENTS TRUTH
#       count (or list) the events of a replay outside its truth's faults:
#       an event is inside when its provider and kind (category/subtype)
#       are the fault's (or a kind its truth lists as related) and its time
#       is from the fault's onset to five minutes after its end (replay's
#       detection window)
#
# "requests" counts the requests in the fault's scope (provider and model)
# that ended from the fault's detectable time up to the first event, that
# one included (replay feeds a request at its end). Needs python3 and jq.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)

analyse() { # MODE REPORT EVENTS TRUTH [SUBSET]
	python3 - "$@" <<'PY'
import json, sys
from datetime import datetime, timezone
mode, report, events, truth = sys.argv[1:5]
subset = sys.argv[5] if len(sys.argv) > 5 else None
def ms(s):
    return int(datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() * 1000)
tr = json.load(open(truth))
rp = json.load(open(report))
start = tr["start_ms"]
faults = tr["faults"]
evs = [json.loads(l) for l in open(events) if l.strip()]
def kinds(f):
    return [(f["category"], f["subtype"])] + [(r["category"], r["subtype"]) for r in f["related"]]
def inside(e):
    t = e["time_ms"]
    p = (e.get("provider") or {}).get("provider")
    return any(p == f["provider"] and start + f["onset_ms"] <= t <= start + f["end_ms"] + 300000
               and (e["category"], e["subtype"]) in kinds(f) for f in faults)
out = [e for e in evs if not inside(e)]
if mode == "--outside":
    print(len(out)); sys.exit(0)
if mode == "--list-outside":
    for e in out:
        c = e.get("causal") or {}
        c = e.get("causal") or {}
        print(e["time"], e["category"] + "/" + e["subtype"], e["severity"],
              (e.get("provider") or {}).get("provider"), (e.get("provider") or {}).get("model"),
              e.get("template") or "-", c.get("detail") or e.get("hint", ""))
    sys.exit(0)
byid = {e["id"]: e for e in evs}
reqs = []
if subset:
    for l in open(subset):
        o = json.loads(l)
        end = ms(o["ts"]) + int((o.get("transport") or {}).get("total_ms") or 0)
        reqs.append((o.get("provider"), o.get("model") or "", end))
print("| start | fault | kind | detectable | first event | seconds | requests | first event's kind |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for f in rp["truth"]["faults"]:
    tf = next(x for x in faults if x["name"] == f["name"])
    e = byid.get(f.get("first_event"))
    det = start + tf["detectable_ms"]
    n = "-"
    if e and subset:
        n = sum(1 for p, m, end in reqs
                if p == tf["provider"] and (not tf["model"] or m.startswith(tf["model"]))
                and det <= end <= e["time_ms"])
    secs = "%.1f" % (f["detect_ms"] / 1000) if f.get("detect_ms") is not None else "never"
    print("| %s | %s | %s/%s | %s | %s | %s | %s | %s |" % (
        tr["start"], f["name"], f["category"], f["subtype"], tf["detectable"],
        e["time"] if e else "-", secs, n,
        "%s/%s %s" % (e["category"], e["subtype"], e["severity"]) if e else "-"))
bl = rp.get("baselines", {})
print()
print("outside the planted anomalies: %d events (all metrics), %d events in all; "
      "%s refreshes, %s review items" % (len(out), len(evs), bl.get("refreshes", 0),
                                         bl.get("reviews", 0)))
for e in out:
    c = e.get("causal") or {}
    print("  outside: %s %s/%s %s %s %s" % (e["time"], e["category"], e["subtype"], e["severity"],
          (e.get("provider") or {}).get("model"), c.get("detail") or e.get("hint", "")))
PY
}

case "${1:-}" in
--outside | --list-outside)
	analyse "$@"
	exit 0
	;;
esac

VIGIL=$SRC/build/gcc/vigil
SHIFT=0
KEEP=
while [[ $# -gt 0 ]]; do
	case "$1" in
	--vigil) VIGIL=$2; shift 2 ;;
	--shift) SHIFT=$2; shift 2 ;;
	--keep) KEEP=$2; shift 2 ;;
	*) echo "usage: $0 [--vigil BIN] [--shift HOURS] [--keep DIR]" >&2; exit 2 ;;
	esac
done
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
start=$(date -u -d "2026-11-09T00:00:00Z + $SHIFT hours" +%Y-%m-%dT%H:%M:%SZ)
# The holiday (2026-11-26 on the scenario's clock, until 16:00) in UTC dates.
holidays=$(for h in 0 15; do
	date -u -d "2026-11-26T00:00:00Z + $((SHIFT + h)) hours" +%F
done | sort -u | paste -sd, | sed 's/,/, /; s/.*/[&]/')
sed -e "s|schemas_dir: .*|schemas_dir: $SRC/sim/schemas|" \
	-e "s|holidays: .*|holidays: $holidays|" \
	"$SRC/tests/data/replay/baseline-weeks.vigil.yaml" >"$TMP/vigil.yaml"
"$VIGIL" sim gateway --scenario baseline-weeks --start "$start" --duration 1s \
	--out /dev/null --truth "$TMP/truth.json" 2>/dev/null
# The lines of the faults' first two hours are kept to count requests.
windows=$(jq -r --argjson s "$(jq .start_ms "$TMP/truth.json")" \
	'.faults[] | "\((.detectable_ms + $s)) \((.detectable_ms + $s + 7200000))"' \
	"$TMP/truth.json" | paste -sd' ')
"$VIGIL" sim gateway --scenario baseline-weeks --start "$start" --out - 2>/dev/null |
	python3 -c '
import sys
from datetime import datetime
w = [int(x) for x in sys.argv[1].split()]
w = list(zip(w[0::2], w[1::2]))
keep = open(sys.argv[2], "w")
for l in sys.stdin:
    sys.stdout.write(l)
    i = l.find("\"ts\":\"")
    t = int(datetime.fromisoformat(l[i + 6:i + 30].replace("Z", "+00:00")).timestamp() * 1000)
    if any(a <= t <= b for a, b in w):
        keep.write(l)
keep.close()
' "$windows" "$TMP/subset.jsonl" |
	"$VIGIL" replay - --truth "$TMP/truth.json" --config "$TMP/vigil.yaml" --json \
		--events="$TMP/events.jsonl" >"$TMP/report.json"
analyse --table "$TMP/report.json" "$TMP/events.jsonl" "$TMP/truth.json" "$TMP/subset.jsonl"
if [[ -n $KEEP ]]; then
	mkdir -p "$KEEP"
	cp "$TMP/report.json" "$TMP/events.jsonl" "$TMP/truth.json" "$TMP/vigil.yaml" "$KEEP/"
fi
