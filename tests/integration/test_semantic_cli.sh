#!/usr/bin/env bash
# test_semantic_cli.sh: the `semantic:` section of vigil.yaml reaches the
# pipeline of `vigil ingest`: responses naming a schema of the configured
# folder (relative to the config file) are validated, a violation is stored
# as a quality/format_violation event with the JSON pointer of the first
# failure, a leaked e-mail address as security/pii_leak (masked), and clean
# answers give neither. An invalid schema in the folder is a startup error
# naming the file, and nothing is ingested.
set -euo pipefail
VIGIL=${VIGIL_BIN:?}
DATA=${VIGIL_TEST_DATA:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

mkdir -p "$T/conf"
cp -r "$DATA/semantic/schemas" "$T/conf/schemas"
cat >"$T/conf/vigil.yaml" <<YAML
semantic:
  schemas_dir: schemas
YAML

python3 - "$T" <<'PY'
import json, sys
T = sys.argv[1]
def ev(i, text, schema=None):
    r = {"text": text}
    if schema:
        r["schema_id"] = schema
    return json.dumps({"schema_version": 1, "ts": "2026-11-27T10:00:%02d.000Z" % i,
                       "request_id": "s-%d" % i, "provider": "openai", "model": "gpt-4o-mini",
                       "http": {"status": 200}, "response": r})
good = json.dumps({"category": "billing", "priority": 2, "summary": "Charged twice for May"})
bad = json.dumps({"category": "billing", "priority": 9, "summary": "Charged twice for May"})
lines = [ev(0, good, "ticket"), ev(1, bad, "ticket"), ev(2, good, "ticket"),
         ev(3, "Write to jane.doe@example.org for a refund."), ev(4, "All good, thanks.")]
open(T + "/events.jsonl", "w").write("\n".join(lines) + "\n")
PY

"$VIGIL" ingest "$T/events.jsonl" --db "$T/v.db" --config "$T/conf/vigil.yaml"
q() { sqlite3 "$T/v.db" "$1"; }
[[ $(q "SELECT count(*) FROM observations") -eq 5 ]] || { echo "not every line stored"; exit 1; }
got=$(q "SELECT request_id || '|' || category || '|' || subtype || '|' || json_extract(detail, '$.causal.detail') FROM failure_events
         WHERE subtype IN ('format_violation','pii_leak') ORDER BY request_id")
echo "$got"
grep -qx 's-1|quality|format_violation|/priority' <<<"$got" || { echo "schema violation missing"; exit 1; }
grep -q '^s-3|security|pii_leak|' <<<"$got" || { echo "pii leak missing"; exit 1; }
[[ $(wc -l <<<"$got") -eq 2 ]] || { echo "unexpected events"; exit 1; }
if grep -q 'jane.doe' <<<"$got"; then echo "PII value stored unmasked"; exit 1; fi

# An invalid schema: a startup error naming the file; no database rows.
cp "$DATA/semantic/schemas_bad/"*.json "$T/conf/schemas/"
set +e
"$VIGIL" ingest "$T/events.jsonl" --db "$T/v2.db" --config "$T/conf/vigil.yaml" >"$T/out" 2>"$T/err"
rc=$?
set -e
cat "$T/err"
[[ $rc -eq 2 ]] || { echo "expected exit 2, got $rc"; exit 1; }
grep -q 'b_broken.json' "$T/err" || { echo "the file at fault is not named"; exit 1; }
if [[ -e "$T/v2.db" ]] && [[ $(sqlite3 "$T/v2.db" "SELECT count(*) FROM observations" 2>/dev/null || echo 0) -ne 0 ]]; then
	echo "ingested despite the bad schema"; exit 1
fi
echo ok
