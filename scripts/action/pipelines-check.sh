#!/usr/bin/env bash
# The Azure Pipelines template's check step (ci/azure-pipelines/gen-check.yml). Its values come from the
# environment: GEN_PATH (gen's checkout), GEN_SPECS (spec files or globs, relative to the spec repository),
# GEN_BASE (a git revision, or empty), GEN_OUT (the artifact folder). The job fails with gen check's exit code.
set -uo pipefail
export PATH="$GEN_PATH/.tools/bin:$GEN_PATH/.venv/bin:$PATH"
export AZURE_BICEP_USE_BINARY_FROM_PATH=true
# With several checkouts, Azure Pipelines puts each repository in its own folder under the sources directory
# (https://learn.microsoft.com/azure/devops/pipelines/repos/multi-repo-checkout#checkout-path): the specs live in
# the pipeline's own repository's folder, not in the sources directory itself.
sources="${BUILD_SOURCESDIRECTORY:-$PWD}"
repository="${BUILD_REPOSITORY_NAME:-}"
own="$sources/${repository##*/}"
if [ -d "$own/.git" ]; then cd "$own"; else cd "$sources"; fi
mkdir -p "${GEN_OUT:?}"
read -r -d "" -a patterns <<< "${GEN_SPECS:?the specs parameter is required}" || true  # every line, not the first
specs=()
for pattern in "${patterns[@]}"; do
  for file in $pattern; do specs+=("$file"); done
done
base=()
if [ -n "${GEN_BASE:-}" ]; then base=(--base "$GEN_BASE"); fi
gen check "${specs[@]}" "${base[@]}" --format markdown -o "$GEN_OUT/report.md"
code=$?
gen check "${specs[@]}" --format sarif -o "$GEN_OUT/gen.sarif" || true
cat "$GEN_OUT/report.md"
exit $code
