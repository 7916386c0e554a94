#!/usr/bin/env bash
# Nightly qunkit run for cron: import the newest exports, rank groups by dead-group risk,
# and write the prune list as a dated CSV (the ranking as a dated text table).  Prints a short report only when there is
# something to act on (cron mails whatever a job prints).  Every qunkit result is written with -o PATH, which
# replaces the file atomically (a reader never sees half a report), and --format picks table, json or csv.
#
#   usage: nightly.sh EXPORT_DIR REPORT_DIR
#   env:   QUNKIT_STORE   store directory (default: qunkit's per-user data dir)
#          QUNKIT         the qunkit executable (default: qunkit on PATH)
#          PRUNE_DAYS     silence that makes a prune candidate (default 90)
#          RISK_ALERT     risk score that triggers an alert (default 70)
#          KEEP_FILE      ids/names never to prune, one a line (default: REPORT_DIR/keep.txt if present)
#          ROSTER_DIR     where member rosters are (default: EXPORT_DIR)
#          DIGEST_PERIOD  day, week or month: the summary written as REPORT_DIR/digest-DATE.txt (default week)
#
# When anything in EXPORT_DIR or ROSTER_DIR changed since the last run, ONE `qunkit import EXPORT_DIR` process
# imports the folder (start-up paid once, not once per export; unchanged exports are skipped by their hash, files
# that are not exports are listed, not fatal); each export takes its roster by name, NAME.roster.csv or
# NAME-roster.csv (.xlsx too), beside it or in ROSTER_DIR; `qunkit generate OUT` writes OUT/exports and
# OUT/rosters in this layout.
# The night's import summary (one row per file: messages added, lines not understood, files that are not
# exports) is kept as REPORT_DIR/imports/DATE.json.
# Exit status: 0 ok (alerts included), 2/3 when qunkit reports a usage, input, store or internal error
# ("qunkit failed at STEP (exit N)" on stderr, so a cron mail tells a failure from something to act on).
set -euo pipefail

export_dir=${1:?usage: nightly.sh EXPORT_DIR REPORT_DIR}
report_dir=${2:?usage: nightly.sh EXPORT_DIR REPORT_DIR}
qunkit=${QUNKIT:-qunkit}
days=${PRUNE_DAYS:-90}
alert=${RISK_ALERT:-70}
keep=${KEEP_FILE:-$report_dir/keep.txt}
roster_dir=${ROSTER_DIR:-$export_dir}
today=$(date +%F)
mkdir -p "$report_dir/imports"

failed() {  # qunkit itself failed (exit 2 or 3): say so, and stop with its code; never report empty results
  echo "qunkit failed at $1 (exit $2); see the error above" >&2
  exit "$2"
}
stamp=$report_dir/.last-import

# 1. Import the exports when something changed since the last run (always the first time), in one process.
#    Re-importing is harmless anyway: unchanged files are skipped by hash and overlaps add only new messages.
touch "$stamp.next"
if [ ! -e "$stamp" ] || [ -n "$(find "$export_dir" "$roster_dir" -maxdepth 1 ! -name '.*' -newer "$stamp" -print -quit)" ]; then
  "$qunkit" import "$export_dir" --roster-dir "$roster_dir" --quiet --format json \
    -o "$report_dir/imports/$today.json" || failed "import" "$?"
fi
mv "$stamp.next" "$stamp"

# 2. Rank groups by dead-group risk, highest first, as a plain-text table (--format csv for machines).
#    Exit 1 means a group scored >= $alert: report the top of the ranking, go on.
risk_txt=$report_dir/risk-$today.txt
rc=0
"$qunkit" risk --fail-above "$alert" --quiet -o "$risk_txt" || rc=$?
[ "$rc" -le 1 ] || failed "risk" "$rc"
if [ "$rc" -eq 1 ]; then
  echo "qunkit: groups at risk (score >= $alert); the whole ranking is in $risk_txt:"
  sed -n '2,7s/^/  /p' "$risk_txt"
fi

# 3. The prune list (qunkit never removes anyone: a person acts on it).  Exit 1: the list is not empty.
prune_csv=$report_dir/prune-$today.csv
keep_opt=()
[ -e "$keep" ] && keep_opt=(--keep "$keep")
rc=0
"$qunkit" prune --days "$days" ${keep_opt[@]+"${keep_opt[@]}"} --format csv --quiet --fail-if-any -o "$prune_csv" || rc=$?
[ "$rc" -le 1 ] || failed "prune" "$rc"
if [ "$rc" -eq 1 ]; then
  echo "qunkit: $(($(wc -l < "$prune_csv") - 1)) prune candidate(s) (silent $days+ days or advertisers): $prune_csv"
fi

# 4. The digest of the last complete period (messages, speakers, newcomers, regulars gone quiet, hot words,
#    risk and its change), as plain text a mail or a chat bot can carry; kept, not printed.
"$qunkit" digest --period "${DIGEST_PERIOD:-week}" --quiet -o "$report_dir/digest-$today.txt" || failed "digest" "$?"
