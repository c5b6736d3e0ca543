#!/usr/bin/env bash
# The action's check step: one Markdown report for the comment, one SARIF for annotations (run-check.sh). The step
# itself never fails: the comment and the upload must run; the action's last step fails with gen check's exit code.
set -uo pipefail
out="${RUNNER_TEMP:?}/gen-check"
bash "$(dirname "$0")/run-check.sh" "$out"
code=$?
{
  echo "exit-code=$code"
  echo "report=$out/report.md"
  if [ -s "$out/gen.sarif" ]; then echo "sarif=$out/gen.sarif"; fi
} >> "${GITHUB_OUTPUT:?}"
cat "$out/report.md" >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
exit 0
