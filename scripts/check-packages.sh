#!/usr/bin/env bash
# Checks every public workspace package (every package.json without "private": true) the way a consumer receives
# it: packs it with pnpm (what `changeset publish` ships, workspace ranges rewritten), then checks that tarball:
#   - LICENSE is inside and identical to the repository's root LICENSE (npm and pnpm drop symlinks when packing, so
#     each public package holds a committed copy; this check keeps the copies from drifting);
#   - `repository` names this repository and the package's folder, `license` is MIT;
#   - publint, warnings as errors;
#   - @arethetypeswrong/cli with the profile the package promises (chosen per package in check_types below);
#   - a package with a CommonJS build is loaded for real with require() and import(), and each export must give
#     the same names both ways.
# Needs dist/ (run after the build). Checks every package, prints what failed, exits 1 if anything did.
set -euo pipefail

root=${CHECK_PACKAGES_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
readonly repository_url='git+https://github.com/elastic-ci/elastic-ci.git'

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

attw() {
  pnpm --dir "$root" exec attw --format ascii --no-color --no-emoji "$@"
}

# The type-resolution profile each public package promises. A new public package must make its choice here.
check_types() {
  local name=$1 tarball=$2
  case "$name" in
    @elastic-ci/scaler-core)
      # The reusable scaling algorithm (ECS services, other CI fleets): ESM and CommonJS builds, and types that
      # resolve under every TypeScript module resolution, legacy `node10` included. Fully green, strict profile.
      attw "$tarball" --profile strict
      ;;
    @elastic-ci/custom-resource)
      # A library for any custom-resource Lambda. Lambda handlers are often CommonJS (CDK's NodejsFunction bundles
      # CommonJS by default) and so are Jest-style test runners, so `.`, `./testing` and `./lambda-credentials`
      # ship an ESM and a CommonJS build. Profile node16: TypeScript's legacy `node10` resolution cannot see
      # subpath exports at all (`.` still resolves there through main/types).
      attw "$tarball" --profile node16 --exclude-entrypoints ./lambda-bench ./lambda-tsup-config &&
        # Build-time helpers of our own Lambda packages: tsup loads its config as ESM and the bench is an ES
        # module script, so these two stay ESM-only on purpose.
        attw "$tarball" --profile esm-only --entrypoints ./lambda-bench ./lambda-tsup-config
      ;;
    @elastic-ci/s3secrets | @elastic-ci/lifecycled | @elastic-ci/docker-login)
      # The product is the CLI: `bin` points at self-contained bundles (the SDK inside) that run without
      # node_modules and never load the library entry. That entry exposes the pure pieces (parsers, quoting,
      # decisions) for our own packages and for ESM callers; it is deliberately ESM-only (a CommonJS caller uses
      # `import()`, or `require()` on Node >= 20.19), so a second build would be untested surface.
      attw "$tarball" --profile esm-only
      ;;
    @elastic-ci/instance-broker)
      # A Lambda function (dist/lambda/lambda.mjs, deployed by the stack) and its instance-side client, which our
      # instance programs bundle (`./client`), plus the local function URL the sandbox runs (`./local-function-url`):
      # every consumer is ESM and ours, so ESM-only on purpose, as the other Lambda packages.
      attw "$tarball" --profile esm-only
      ;;
    @elastic-ci/stop-agents | @elastic-ci/az-rebalancing-suspender)
      # Lambda functions: what runs is dist/lambda/lambda.mjs, deployed by the stack. The library entry (config
      # parser, handler factory) serves the infra app's contract tests, which are ESM: ESM-only on purpose.
      attw "$tarball" --profile esm-only
      ;;
    *)
      echo "no type-resolution profile chosen for $name: add one to check_types in scripts/check-packages.sh"
      return 1
      ;;
  esac
}

# Manifest fields a consumer (and npm's page) relies on.
check_manifest() {
  local dir=$1 relative=$2
  node - "$dir/package.json" "$relative" "$repository_url" <<'EOF'
const [manifestPath, directory, url] = process.argv.slice(2);
const manifest = JSON.parse(require('node:fs').readFileSync(manifestPath, 'utf8'));
const problems = [];
if (manifest.license !== 'MIT') problems.push(`license is ${JSON.stringify(manifest.license)}, expected "MIT"`);
const repository = manifest.repository ?? {};
if (repository.type !== 'git' || repository.url !== url || repository.directory !== directory) {
  problems.push(
    `repository is ${JSON.stringify(manifest.repository)}, expected {"type":"git","url":"${url}","directory":"${directory}"}`,
  );
}
for (const problem of problems) console.log(`package.json: ${problem}`);
process.exit(problems.length > 0 ? 1 : 0);
EOF
}

check_license() {
  local tarball=$1 relative=$2 unpacked
  unpacked="$work/unpacked-${relative//\//-}"
  mkdir -p "$unpacked"
  tar -xzf "$tarball" -C "$unpacked"
  if [[ ! -f "$unpacked/package/LICENSE" ]]; then
    echo "LICENSE is not in the tarball: cp LICENSE $relative/LICENSE"
    return 1
  fi
  if ! cmp -s "$unpacked/package/LICENSE" "$root/LICENSE"; then
    echo "$relative/LICENSE differs from the root LICENSE: cp LICENSE $relative/LICENSE"
    return 1
  fi
}

# Loads every export that has both an `import` and a `require` condition, through the package's own name (Node's
# self-reference), and compares the names each way gives.
check_dual_loading() {
  local dir=$1
  (cd "$dir" && node --input-type=module - <<'EOF'
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
const require = createRequire(`${process.cwd()}/package.json`);
let failed = false;
for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
  if (typeof target !== 'object' || target === null || !('import' in target) || !('require' in target)) continue;
  const specifier = subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`;
  try {
    const viaRequire = Object.keys(require(specifier)).filter((key) => key !== '__esModule').sort();
    const viaImport = Object.keys(await import(specifier)).sort();
    if (viaRequire.join() !== viaImport.join() || viaImport.length === 0) {
      console.log(`${specifier}: require() gives [${viaRequire}] but import() gives [${viaImport}]`);
      failed = true;
    }
  } catch (error) {
    console.log(`${specifier}: cannot be loaded: ${error}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
EOF
  )
}

check_package() {
  local dir=$1 name=$2 relative=$3 destination tarball
  destination="$work/${relative//\//-}"
  mkdir -p "$destination"
  if ! (cd "$dir" && pnpm pack --pack-destination "$destination" >/dev/null); then
    echo "pnpm pack failed in $relative"
    return 1
  fi
  tarball=$(find "$destination" -maxdepth 1 -name '*.tgz' -print -quit)
  if [[ -z "$tarball" ]]; then
    echo "pnpm pack produced no tarball"
    return 1
  fi
  local status=0
  check_license "$tarball" "$relative" || status=1
  check_manifest "$dir" "$relative" || status=1
  pnpm --dir "$root" exec publint run --strict "$tarball" || status=1
  check_types "$name" "$tarball" || status=1
  if grep -q '"require"' "$dir/package.json"; then
    check_dual_loading "$dir" || status=1
  fi
  return "$status"
}

failed=()
checked=0
shopt -s nullglob
for manifest in "$root"/packages/*/package.json "$root"/apps/*/package.json; do
  dir=$(dirname "$manifest")
  relative=${dir#"$root"/}
  read -r name is_private < <(node -e '
    const manifest = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
    console.log(manifest.name, manifest.private === true);
  ' "$manifest")
  [[ "$is_private" == true ]] && continue
  checked=$((checked + 1))
  if output=$(check_package "$dir" "$name" "$relative" 2>&1); then
    echo "check-packages: $name ok"
  else
    printf '%s\n' "$output"
    echo "check-packages: $name FAILED"
    failed+=("$name")
  fi
done

if ((checked == 0)); then
  echo "check-packages: no public package found under $root" >&2
  exit 1
fi
if ((${#failed[@]} > 0)); then
  echo "check-packages: ${#failed[@]} of $checked public packages failed: ${failed[*]}" >&2
  exit 1
fi
echo "check-packages: all $checked public packages pass publint, attw, LICENSE and repository checks"
