# Sourced by the CI scripts: reading a vitest JSON report.

# The files with a failed test in a vitest JSON report, relative to the repository.
failed_files_of() {
  [[ -f $1 ]] || return 0
  node -e '
    const report = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    for (const file of report.testResults ?? [])
      if (file.status === "failed") console.log(require("path").relative(process.cwd(), file.name));' "$1"
}
