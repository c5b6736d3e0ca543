#!/usr/bin/env bash
# What both CI templates run (the GitHub Action's check.sh, the Azure Pipelines template's pipelines-check.sh):
# gen check of GEN_SPECS (spec files or globs, one or more a line) against GEN_BASE (a git revision, or empty),
# a Markdown report and a SARIF file into the folder given as $1. The second run finds every hub's compilation in
# gen's cache, so the compiler runs once per hub. Exits with the Markdown run's exit code.
set -uo pipefail
out="${1:?the report folder}"
mkdir -p "$out"
read -r -d "" -a patterns <<< "${GEN_SPECS:?the specs are required}" || true  # every line, not the first
specs=()
for pattern in "${patterns[@]}"; do
  for file in $pattern; do specs+=("$file"); done
done
base=()
if [ -n "${GEN_BASE:-}" ]; then base=(--base "$GEN_BASE"); fi
gen check "${specs[@]}" "${base[@]}" --format markdown -o "$out/report.md"
code=$?
gen check "${specs[@]}" --format sarif -o "$out/gen.sarif" || true
exit $code
