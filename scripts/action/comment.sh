#!/usr/bin/env bash
# The action's comment step: one comment per pull request, updated on every push. The comment to update is the one
# that starts with gen's marker AND was written by the account this step posts as (GEN_COMMENT_AUTHOR, by default
# the GITHUB_TOKEN's github-actions[bot]): anyone can write the marker, nobody else's comment is ever edited.
# The body goes through a file, not the command line (a long report would exceed the argument limit), and is cut
# below GitHub's 65,536 characters with a note where the whole report is.
set -euo pipefail
marker="<!-- gen-check -->"
report="${GEN_REPORT:?no report: the check step did not run}"
repo="${GITHUB_REPOSITORY:?}"
author="${GEN_COMMENT_AUTHOR:-github-actions[bot]}"
limit=65000
body="${RUNNER_TEMP:-/tmp}/gen-check-comment.md"
{
  printf '%s\n' "$marker"
  head -c "$limit" "$report"
  if [ "$(wc -c < "$report")" -gt "$limit" ]; then
    printf '\n\n_The report is longer than a comment can hold: the whole of it is in the job summary._\n'
  fi
} > "$body"
existing="$(gh api "repos/$repo/issues/${GEN_PULL_REQUEST:?}/comments" --paginate \
  --jq ".[] | select((.body | startswith(\"$marker\")) and .user.login == \"$author\") | .id" | head -n 1)"
if [ -n "$existing" ]; then
  gh api --method PATCH "repos/$repo/issues/comments/$existing" -F "body=@$body" > /dev/null
  echo "updated comment $existing"
else
  gh api --method POST "repos/$repo/issues/$GEN_PULL_REQUEST/comments" -F "body=@$body" > /dev/null
  echo "posted a comment"
fi
