#!/usr/bin/env bash
# The action's check step: one Markdown report for the comment, one SARIF for annotations. The second run finds
# every hub's compilation in gen's cache, so the compiler runs once per hub. The step itself never fails: the
# comment and the upload must run; the action's last step fails with gen check's exit code.
set -uo pipefail
out="${RUNNER_TEMP:?}/gen-check"
mkdir -p "$out"
read -r -d "" -a specs <<< "${GEN_SPECS:?the specs input is required}" || true  # every line, not the first
expanded=()
for pattern in "${specs[@]}"; do
  for file in $pattern; do expanded+=("$file"); done
done
base=()
if [ -n "${GEN_BASE:-}" ]; then base=(--base "$GEN_BASE"); fi
gen check "${expanded[@]}" "${base[@]}" --format markdown -o "$out/report.md"
code=$?
gen check "${expanded[@]}" --format sarif -o "$out/gen.sarif" || true
{
  echo "exit-code=$code"
  echo "report=$out/report.md"
  if [ -s "$out/gen.sarif" ]; then echo "sarif=$out/gen.sarif"; fi
} >> "${GITHUB_OUTPUT:?}"
cat "$out/report.md" >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
exit 0
