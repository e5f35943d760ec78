// pnpm hooks for this workspace.
//
// beforePacking (pnpm pack / pnpm publish, pnpm >= 10.28): the published package.json keeps no
// `scripts`. They are the workspace's own (build, typecheck, test, bench: `cd ../..`, vitest
// projects, the switchyard:source condition) and mean nothing in a user's node_modules; `prepack`
// has already built dist/ by the time the tarball is made. Install-time lifecycle scripts would
// be kept, but no package has one. scripts/check-packages.mjs fails on a tarball with scripts.
const INSTALL_LIFECYCLE = ['preinstall', 'install', 'postinstall'];

function beforePacking(pkg) {
  if (pkg.scripts) {
    const kept = Object.fromEntries(
      Object.entries(pkg.scripts).filter(([name]) => INSTALL_LIFECYCLE.includes(name)),
    );
    if (Object.keys(kept).length > 0) pkg.scripts = kept;
    else delete pkg.scripts;
  }
  return pkg;
}

module.exports = { hooks: { beforePacking } };
