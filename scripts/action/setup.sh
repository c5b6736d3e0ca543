#!/usr/bin/env bash
# The action's first step: gen from the action's own checkout and the pinned Bicep, on PATH for the next steps.
# The same set-up as `make setup` (scripts/setup.sh), without the test-only parsers.
set -euo pipefail
root="${GITHUB_ACTION_PATH:?the GitHub Action sets GITHUB_ACTION_PATH}"
GEN_SETUP_FOR=run bash "$root/scripts/setup.sh"
{
  echo "$root/.tools/bin"
  echo "$root/.venv/bin"
} >> "${GITHUB_PATH:?}"
echo "AZURE_BICEP_USE_BINARY_FROM_PATH=true" >> "${GITHUB_ENV:?}"
