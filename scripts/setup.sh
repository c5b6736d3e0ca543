#!/usr/bin/env bash
# Set up everything gen and its tests need, idempotently: a second run does nothing slow.
#
#   Python:  .venv/ with gen installed editable.
#            Debian/Ubuntu as root: Debian's python3-* packages (apt) + a venv with
#            --system-site-packages, because PyPI may be unreachable there.
#            Elsewhere: a plain venv and `pip install -e .[test]` from PyPI.
#   Node:    tools/node/node_modules: the Mermaid and Kusto parsers the tests run on generated
#            output, exactly as pinned in tools/node/package-lock.json (npm ci). Node.js from
#            the machine, or Debian's nodejs/npm (apt) when absent.
#   Bicep:   .tools/bin/bicep: the pinned NuGet package Azure.Bicep.CommandLine.linux-x64
#            (dotnet restore), even when another bicep is on PATH; GEN_BICEP=path takes the one
#            on PATH, GEN_BICEP=/some/bicep that binary. Without .NET: PATH, then az bicep install.
set -euo pipefail
caller="$PWD"  # where the user (or the workflow) ran it: a relative GEN_BICEP is a path from there
cd "$(dirname "$0")/.."

BICEP_VERSION=$(sed -n 's/.*Version="\[\(.*\)\]".*/\1/p' tools/bicep/bicep.csproj)
APT_PACKAGES=(python3-click python3-jinja2 python3-jsonschema python3-pytest python3-hypothesis python3-venv python3-pip azure-cli jq)
NODE_APT_PACKAGES=(nodejs npm)
# The VPN device lab (tests/vpn_lab.py): strongSwan's charon with its userspace IPsec, swanctl, and FRR.
VPN_APT_PACKAGES=(strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-standard-plugins frr gettext-base)
say() { printf 'setup: %s\n' "$*"; }

# --- Python packages ---------------------------------------------------------------------------
python_path=""
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  missing=()
  for package in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  python_path="debian"
fi

if [ "$python_path" = "debian" ]; then
  if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import click, jinja2, jsonschema, pytest' 2>/dev/null; then
    say "creating .venv from Debian's /usr/bin/python3 with --system-site-packages"
    rm -rf .venv
    /usr/bin/python3 -m venv --system-site-packages .venv
  fi
  if ! .venv/bin/python -c 'import generator' 2>/dev/null || [ setup.cfg -nt .venv/.gen-installed ]; then
    .venv/bin/pip install -q --no-build-isolation --no-deps -e .
    touch .venv/.gen-installed
  fi
  say "python: Debian packages + .venv (editable, no PyPI)"
else
  if [ ! -x .venv/bin/python ]; then
    python=$(command -v python3.13 || command -v python3.12 || command -v python3.11 || command -v python3)
    say "creating .venv from $python"
    "$python" -m venv .venv
  fi
  if ! .venv/bin/python -c 'import generator, pytest' 2>/dev/null || [ setup.cfg -nt .venv/.gen-installed ]; then
    if [ "${GEN_SETUP_FOR:-test}" = run ]; then .venv/bin/pip install -q -e .; else .venv/bin/pip install -q -e '.[test]'; fi
    touch .venv/.gen-installed
  fi
  say "python: .venv with dependencies from PyPI (setup.cfg)"
fi

# --- Node.js parsers (tests only) ------------------------------------------------------------------
# Not needed to run gen: without them setup says so and the tests that need them fail, loudly.
# GEN_SETUP_FOR=run (the GitHub Action, the Azure Pipelines template) sets up gen and Bicep only.
lock_stamp=tools/node/node_modules/.package-lock.sha256
if [ "${GEN_SETUP_FOR:-test}" = run ]; then
  say "node: skipped (GEN_SETUP_FOR=run: gen and Bicep only)"
else
  if ! command -v node >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    say "installing Debian packages: ${NODE_APT_PACKAGES[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${NODE_APT_PACKAGES[@]}" >/dev/null
  fi
  if ! command -v npm >/dev/null 2>&1; then
    say "WARNING: no Node.js/npm: the tests that parse the generated Mermaid and KQL will fail (install Node.js 20.19+)" >&2
  elif [ "$(cat "$lock_stamp" 2>/dev/null)" != "$(sha256sum tools/node/package-lock.json | cut -d' ' -f1)" ]; then
    say "node: npm ci in tools/node (mermaid, jsdom, @kusto/language-service-next as locked)"
    (cd tools/node && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    sha256sum tools/node/package-lock.json | cut -d' ' -f1 > "$lock_stamp"
    say "node: $(node --version), tools/node/node_modules installed"
  else
    say "node: $(node --version), tools/node/node_modules as locked"
  fi
fi

# --- strongSwan and FRR (tests only) ----------------------------------------------------------------
# The device-config test runs gen's strongSwan + FRR files in network namespaces; without the packages it fails,
# loudly (it is never skipped unless GEN_ALLOW_NO_NETNS=1 says the machine cannot make namespaces).
if [ "${GEN_SETUP_FOR:-test}" != run ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    missing=()
    for package in "${VPN_APT_PACKAGES[@]}"; do
      dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    if [ ${#missing[@]} -gt 0 ]; then
      say "installing Debian packages for the VPN device lab: ${missing[*]}"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    say "vpn lab: strongSwan $(dpkg-query -W -f='${Version}' strongswan-charon), FRR $(dpkg-query -W -f='${Version}' frr)"
  elif [ ! -x /usr/lib/ipsec/charon ] || [ ! -x /usr/lib/frr/bgpd ]; then
    say "WARNING: no strongSwan/FRR and no apt as root: the VPN device lab test will fail (install strongSwan's charon, swanctl and kernel-libipsec plugin, and FRR)" >&2
  fi
fi

# --- Bicep compiler ---------------------------------------------------------------------------
# gen drives `bicep jsonrpc`, stable from Bicep 0.29: an older bicep is not used.
version_of() { "$1" --version 2>/dev/null | sed -n 's/.*version \([0-9][0-9.]*\).*/\1/p'; }
usable() {
  local version; version=$(version_of "$1")
  [ -n "$version" ] && [ "$(printf '%s\n0.29.0\n' "$version" | sort -V | head -n1)" = 0.29.0 ]
}
# The compiler is also linked into .venv/bin, so that `source .venv/bin/activate` puts gen and
# bicep on PATH together (gen build finds it there without the Makefile's PATH).
link_into_venv() { ln -sfn "$PWD/.tools/bin/bicep" .venv/bin/bicep; }
mkdir -p .tools/bin
# Which compiler: GEN_BICEP=pinned (the default: the NuGet package tools/bicep/bicep.csproj pins, the version the
# README promises and the tests ran), GEN_BICEP=path (the bicep already on PATH, e.g. a runner's own), or the path
# of a bicep binary. Without the .NET SDK the pinned package cannot be restored: then the one on PATH, or
# `az bicep install`, and this says loudly that it is not the pinned version.
choice="${GEN_BICEP:-pinned}"
pinned_binary=".tools/nuget/azure.bicep.commandline.linux-x64/$BICEP_VERSION/tools/bicep"
on_path=$(PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vx "$PWD/.tools/bin" | grep -vx "$PWD/.venv/bin" | paste -sd:) command -v bicep || true)
can_restore() { command -v dotnet >/dev/null 2>&1 && [ "$(uname -s)" = Linux ] && [ "$(uname -m)" = x86_64 ]; }
case "$choice" in
  pinned) if can_restore; then wanted="$PWD/$pinned_binary"; else wanted="${on_path:-}"; fi ;;
  path) wanted="${on_path:-}" ;;
  /*) wanted="$choice" ;;
  *) wanted="$caller/$choice" ;;
esac
if [ -n "$wanted" ] && [ -L .tools/bin/bicep ] && [ "$(readlink .tools/bin/bicep)" = "$wanted" ] && usable .tools/bin/bicep; then
  link_into_venv
  say "bicep: $(.tools/bin/bicep --version) (.tools/bin/bicep, linked into .venv/bin)"
  exit 0
fi
rm -f .tools/bin/bicep
if [ "$choice" = pinned ] && can_restore; then
  say "bicep: restoring NuGet package Azure.Bicep.CommandLine.linux-x64 $BICEP_VERSION (the pinned version)"
  DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 dotnet restore tools/bicep/bicep.csproj --packages .tools/nuget -v quiet >/dev/null
  chmod +x "$pinned_binary"
  ln -s "$PWD/$pinned_binary" .tools/bin/bicep
  say "bicep: NuGet package $BICEP_VERSION"
elif [ -n "$wanted" ] && usable "$wanted"; then
  ln -s "$wanted" .tools/bin/bicep
  [ "$choice" = pinned ] && say "WARNING: no .NET SDK to restore the pinned Bicep $BICEP_VERSION: using the one on PATH" >&2
  say "bicep: $wanted ($(version_of "$wanted"))$([ "$(version_of "$wanted")" = "$BICEP_VERSION" ] || printf ', not the pinned %s' "$BICEP_VERSION")"
elif [ "$choice" != pinned ]; then
  say "ERROR: GEN_BICEP=$choice: no usable bicep (0.29 or newer) there" >&2
  exit 1
elif command -v az >/dev/null 2>&1 && az bicep install >/dev/null 2>&1 && usable "$HOME/.azure/bin/bicep"; then
  ln -s "$HOME/.azure/bin/bicep" .tools/bin/bicep
  say "WARNING: bicep from az bicep install ($HOME/.azure/bin/bicep), not the pinned $BICEP_VERSION" >&2
else
  say "ERROR: no Bicep compiler (0.29 or newer): install the .NET SDK (for the pinned NuGet package), the Azure CLI (az bicep install) or put bicep on PATH with GEN_BICEP=path" >&2
  exit 1
fi
link_into_venv
.tools/bin/bicep --version
