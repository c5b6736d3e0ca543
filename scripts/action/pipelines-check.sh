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
bash "$GEN_PATH/scripts/action/run-check.sh" "${GEN_OUT:?}"
code=$?
cat "$GEN_OUT/report.md"
exit $code
