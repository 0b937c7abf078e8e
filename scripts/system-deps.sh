#!/usr/bin/env bash
# The Debian packages lanescreen's tests and tools need beyond Python, installed by one step:
# `make deps` runs this, `make test` depends on it and CI (.ci/run) runs `make test`, so the list
# here is the only one. Prints what it does; changes nothing when every package is present.
#
#   postgresql   the storage tests start their own PostgreSQL server from its binaries
#   fonts-*      the synthetic plate renderer's free stand-ins for plate typefaces
#                (docs/synthetic-plates.md): training, its tests and `lanescreen demo`
#   chromium     the console's browser tests drive Debian's headless Chromium (Playwright,
#                no browser download); chromium-driver for anyone driving it with Selenium
#   prometheus   its promtool checks the shipped alert rules and runs their unit tests
#                (docs/monitoring); the server itself is not started
set -euo pipefail

PACKAGES=(
  postgresql
  fonts-noto-cjk fonts-wqy-zenhei fonts-roadgeek fonts-opendin fonts-bebas-neue
  fonts-dejavu-core fonts-dejavu-extra fonts-liberation fonts-urw-base35 fonts-roboto-unhinted
  fonts-national-park
  chromium chromium-driver
  prometheus
)

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "lanescreen deps: this is not a Debian or Ubuntu system; install the equivalents of:" >&2
  echo "  ${PACKAGES[*]}" >&2
  echo "(without them the PostgreSQL and plate-training tests skip, saying why)" >&2
  exit 1
fi

missing=()
for package in "${PACKAGES[@]}"; do
  installed "$package" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "lanescreen deps: all ${#PACKAGES[@]} system packages present"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo)
else
  echo "lanescreen deps: missing system packages: ${missing[*]}" >&2
  echo "  installing them needs root: run 'sudo make deps', or as root:" >&2
  echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "lanescreen deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
