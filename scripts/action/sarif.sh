#!/usr/bin/env bash
# The action's SARIF decision: upload only where GitHub takes it. A repository without code scanning (a private one
# without GitHub Advanced Security, or with code scanning off) refuses the upload, and the check would go red on a
# clean spec. With GEN_SARIF=auto (the default) this asks the code-scanning API first: it answers the list of
# analyses, or "no analysis found" (404) where code scanning is on but nothing was uploaded yet; anything else
# (403 "Advanced Security must be enabled", "Resource not accessible by integration" without security-events
# permission) means no upload, said in one line. GEN_SARIF=true uploads always, false never.
# https://docs.github.com/rest/code-scanning/code-scanning#list-code-scanning-analyses-for-a-repository
set -uo pipefail
choice="${GEN_SARIF:-auto}"
note() { printf '%s\n' "$1"; printf '\n_%s_\n' "$1" >> "${GITHUB_STEP_SUMMARY:-/dev/null}"; }
case "$choice" in
  false) echo "upload=false" >> "${GITHUB_OUTPUT:?}"; exit 0 ;;
  true) echo "upload=true" >> "${GITHUB_OUTPUT:?}"; exit 0 ;;
  auto) ;;
  *) echo "gen check: the sarif input is true, false or auto, not '$choice'" >&2; exit 2 ;;
esac
said="$(gh api "repos/${GITHUB_REPOSITORY:?}/code-scanning/analyses?per_page=1" 2>&1)"
if [ $? -eq 0 ] || printf '%s' "$said" | grep -qi "no analysis found"; then
  echo "upload=true" >> "${GITHUB_OUTPUT:?}"
else
  echo "upload=false" >> "${GITHUB_OUTPUT:?}"
  reason="$(printf '%s' "$said" | head -n 1 | cut -c1-200)"
  note "SARIF not uploaded: code scanning is not available to this workflow (${reason:-no answer}). The findings are in the comment; set sarif: \"false\" to skip this check, or enable code scanning."
fi
