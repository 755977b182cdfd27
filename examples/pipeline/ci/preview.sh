#!/usr/bin/env bash
# Writes the pull request's comment to stdout: `pulumi preview --diff` of each
# stack given, one section per stack, in one Markdown document. The workflow
# posts it; run it yourself to see what the reviewers will see:
#   bash ci/preview.sh dev prod > comment.md
# Exits 1 when a preview failed (after writing the whole comment, failures
# included). Pulumi prints secret values as [secret]; nothing else is redacted.
set -uo pipefail
[ $# -gt 0 ] || { echo "usage: ci/preview.sh STACK..." >&2; exit 2; }
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2

MARKER="<!-- haproxy-pulumi-preview -->"   # the workflow finds its earlier comment by this line
LIMIT=20000                               # characters per stack (a comment holds 65536)
status=0
echo "$MARKER"
echo "### \`pulumi preview --diff\`${GITHUB_SHA:+ at ${GITHUB_SHA:0:7}}"
for stack in "$@"; do
  out="$(pulumi preview --diff --stack "$stack" --non-interactive --color never --suppress-progress 2>&1)"
  rc=$?
  # The summary after "Resources:", e.g. "~ 1 to update, 4 unchanged".
  summary="$(printf '%s\n' "$out" | sed -n '/^Resources:/,/^$/p' | sed '1d;/^$/d;s/^ *//' | paste -sd, - | sed 's/,/, /g')"
  if [ $rc -ne 0 ]; then status=1; summary="**preview failed** (exit $rc)"; fi
  if [ ${#out} -gt $LIMIT ]; then out="${out:0:$LIMIT}"$'\n'"... (cut at $LIMIT characters: run the preview in the job log)"; fi
  # A stack with changes (or a failure) is unfolded; one without stays folded.
  open=""
  if [ $rc -ne 0 ] || grep -Eq 'to (create|update|delete|replace)' <<<"$summary"; then open=" open"; fi
  echo
  echo "<details$open><summary><b>$stack</b>: ${summary:-no changes}</summary>"
  echo
  echo '```diff'
  printf '%s\n' "$out"
  echo '```'
  echo '</details>'
done
exit $status
