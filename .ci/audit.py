"""pip-audit over the installed (pinned) dependencies. Real findings fail CI; a vulnerability service that cannot
be reached (no network, or a package index that does not serve the vulnerability data) is said loudly and
tolerated, because it tells nothing either way."""

import json
import subprocess
import sys
from pathlib import Path

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")


def main() -> int:
    try:
        result = subprocess.run(  # noqa: S603 - fixed command, no user input
            [str(PIP_AUDIT), "--local", "--progress-spinner", "off", "--format", "json"],
            capture_output=True,
            text=True,
            timeout=300,
        )
    except subprocess.TimeoutExpired:
        print("pip-audit: vulnerability service unreachable (timed out after 300 s); NOT audited")
        return 0
    try:
        report = json.loads(result.stdout or "{}")
    except json.JSONDecodeError:
        report = {}
    dependencies = report.get("dependencies", [])
    if not dependencies:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"pip-audit: vulnerability service unreachable ({last}); NOT audited")
        return 0
    findings = [
        f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in {', '.join(vuln.get('fix_versions', [])) or '-'})"
        for dep in dependencies
        for vuln in dep.get("vulns", [])
    ]
    skipped = [dep for dep in dependencies if "skip_reason" in dep]
    audited = len(dependencies) - len(skipped)
    if findings:
        print("pip-audit: known vulnerabilities:\n  " + "\n  ".join(findings))
        return 1
    if not audited:
        print(
            f"pip-audit: vulnerability service unreachable: none of {len(dependencies)} packages could be looked up "
            f"(first reason: {skipped[0]['skip_reason']}); NOT audited"
        )
        return 0
    print(f"pip-audit: no known vulnerabilities in {audited} packages ({len(skipped)} could not be looked up)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
