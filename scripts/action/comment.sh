#!/usr/bin/env bash
# The action's comment step: one comment per pull request, updated on every push (found by its marker).
set -euo pipefail
marker="<!-- gen-check -->"
report="${GEN_REPORT:?no report: the check step did not run}"
body="$(printf '%s\n%s' "$marker" "$(cat "$report")")"
repo="${GITHUB_REPOSITORY:?}"
existing="$(gh api "repos/$repo/issues/${GEN_PULL_REQUEST:?}/comments" --paginate \
  --jq ".[] | select(.body | startswith(\"$marker\")) | .id" | head -n 1)"
if [ -n "$existing" ]; then
  gh api --method PATCH "repos/$repo/issues/comments/$existing" -f body="$body" > /dev/null
  echo "updated comment $existing"
else
  gh api --method POST "repos/$repo/issues/$GEN_PULL_REQUEST/comments" -f body="$body" > /dev/null
  echo "posted a comment"
fi
