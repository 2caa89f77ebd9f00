#!/usr/bin/env python3
"""Checks that packer/linux/goss.yaml (what a built AMI must contain) lists everything the image build installs.

Read from the sources, so the spec cannot drift from them: the dnf packages of the install scripts, every program of
the packed workspace packages, every unit and drop-in (and whether the image enables it), every program a unit runs,
every agent hook, and every file the scripts install at a literal path. Prints one line per problem and exits 1, or
prints a summary and exits 0. Usage: check-image-spec.py [REPO_ROOT]
"""

import json
import re
import shlex
import sys
from pathlib import Path

import yaml

GOSS_RESOURCE_TYPES = {
    "package", "file", "addr", "port", "service", "user", "group", "command", "dns", "process", "kernel-param",
    "mount", "interface", "http", "matching", "gossfile",
}
EXEC_KEYS = ("ExecStart", "ExecStartPre", "ExecStartPost", "ExecStop", "ExecStopPost", "ExecReload", "ExecCondition")


def script_commands(text):
    """Shell commands of a script with backslash continuations joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


def words(command):
    try:
        return shlex.split(command, comments=True)
    except ValueError:
        return command.split()


def dnf_packages(command):
    tokens = words(command)
    if not tokens or tokens[0] != "dnf" or "install" not in tokens:
        return []
    return [t for t in tokens[tokens.index("install") + 1:] if not t.startswith("-")]


def enabled_units(command):
    tokens = words(command)
    if tokens[:2] != ["systemctl", "enable"]:
        return []
    return [t for t in tokens[2:] if not t.startswith("-")]


def literal_install_destination(command):
    """The destination of `install … DEST` / `ln -sf SRC DEST` when it is one literal file path."""
    tokens = words(command.split(";")[0].split("&&")[0].split("||")[0])
    if len(tokens) < 3 or tokens[0] not in ("install", "ln") or "-d" in tokens:
        return None
    dest = tokens[-1]
    if not dest.startswith("/") or "$" in dest or dest.endswith("/"):
        return None
    return dest


def unit_exec_programs(text):
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() in EXEC_KEYS and value.strip():
            yield value.strip().split()[0].lstrip("+-@!:")


def check(root):
    linux = root / "packer" / "linux"
    problems = []
    try:
        spec = yaml.safe_load((linux / "goss.yaml").read_text())
    except yaml.YAMLError as error:
        return [f"goss.yaml does not parse: {error}"], {}
    if not isinstance(spec, dict):
        return ["goss.yaml must be a mapping of goss resource types"], {}
    for key in sorted(set(spec) - GOSS_RESOURCE_TYPES):
        problems.append(f"goss.yaml: unknown resource type '{key}' (goss knows {', '.join(sorted(GOSS_RESOURCE_TYPES))})")
    packages = spec.get("package") or {}
    files = spec.get("file") or {}
    services = spec.get("service") or {}

    def expect_file(path, why, mode=None):
        entry = files.get(path)
        if not isinstance(entry, dict) or entry.get("exists") is not True:
            problems.append(f"goss.yaml: file '{path}' missing (add `{path}: {{ exists: true }}`): {why}")
        elif mode is not None and entry.get("mode") != mode:
            problems.append(f"goss.yaml: file '{path}' must have mode \"{mode}\": {why}")

    scripts = sorted((linux / "scripts").glob("*.sh"))
    commands = [(s.name, c) for s in scripts for c in script_commands(s.read_text())]
    counts = {"packages": 0, "programs": 0, "units": 0, "exec": 0, "hooks": 0, "files": 0}

    for script, command in commands:
        for package in dnf_packages(command):
            counts["packages"] += 1
            if package not in packages:
                problems.append(f"goss.yaml: package '{package}' missing (installed by {script})")
        dest = literal_install_destination(command)
        if dest is not None:
            counts["files"] += 1
            expect_file(dest, f"installed by {script}")

    package_dirs = {}
    for manifest in sorted((root / "packages").glob("*/package.json")):
        package_dirs[json.loads(manifest.read_text())["name"]] = manifest.parent
    for name in (linux / "packages.txt").read_text().split("\n"):
        name = name.strip()
        if not name or name.startswith("#"):
            continue
        if name not in package_dirs:
            problems.append(f"packages.txt: '{name}' is not a workspace package")
            continue
        for program in sorted((json.loads((package_dirs[name] / "package.json").read_text()).get("bin") or {})):
            counts["programs"] += 1
            expect_file(f"/usr/local/bin/{program}", f"a program of {name}")

    enabled = {unit for _, command in commands for unit in enabled_units(command)}
    units = sorted((linux / "conf" / "systemd").glob("*.service")) + sorted((linux / "conf" / "systemd").glob("*.timer"))
    lifecycled_unit = package_dirs.get("@elastic-ci/lifecycled", root / "packages" / "lifecycled") / "lifecycled.service"
    units.append(lifecycled_unit)
    for unit in units:
        counts["units"] += 1
        expect_file(f"/etc/systemd/system/{unit.name}", "a unit of the image")
        service_name = unit.name.removesuffix(".service")
        entry = services.get(service_name)
        is_enabled = unit.name in enabled or service_name in enabled
        if not isinstance(entry, dict):
            problems.append(f"goss.yaml: service '{service_name}' missing (add `{service_name}: {{ enabled: {str(is_enabled).lower()} }}`)")
        elif entry.get("enabled") is not is_enabled:
            problems.append(
                f"goss.yaml: service '{service_name}' must be enabled: {str(is_enabled).lower()}"
                f" ({'enabled' if is_enabled else 'not enabled'} by the install scripts)"
            )
        for program in unit_exec_programs(unit.read_text()):
            counts["exec"] += 1
            expect_file(program, f"run by {unit.name}")
    for unit in sorted(enabled):
        name = unit if "." in unit else f"{unit}.service"
        if not (linux / "conf" / "systemd" / name).exists() and name != "lifecycled.service" and unit.removesuffix(".service") not in services:
            problems.append(f"goss.yaml: service '{unit.removesuffix('.service')}' missing (enabled by the install scripts)")
    for dropin in sorted((linux / "conf" / "systemd").glob("*.d/*.conf")):
        expect_file(f"/etc/systemd/system/{dropin.parent.name}/{dropin.name}", "a systemd drop-in of the image")

    hooks_dir = linux / "conf" / "buildkite-agent" / "hooks"
    hooks = sorted(p.name for p in hooks_dir.iterdir() if p.is_file()) if hooks_dir.is_dir() else []
    for hook in hooks:
        counts["hooks"] += 1
        expect_file(f"/etc/buildkite-agent/hooks/{hook}", "an agent hook", mode="0755")
    for path, entry in files.items():
        listed = isinstance(entry, dict) and entry.get("exists") is True
        if listed and path.startswith("/etc/buildkite-agent/hooks/") and path.rsplit("/", 1)[1] not in hooks:
            problems.append(f"goss.yaml: file '{path}' is not a hook in packer/linux/conf/buildkite-agent/hooks/")

    return problems, counts


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2])
    problems, counts = check(root)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"check-image-spec: {len(problems)} problem(s) in packer/linux/goss.yaml", file=sys.stderr)
        return 1
    print("check-image-spec: goss.yaml lists " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
