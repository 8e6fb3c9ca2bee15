"""The conda environment, the pip pins and the lock must agree (one source of versions)."""
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pins(lines):
    out = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            out[name.strip().lower().replace("_", "-")] = version.strip()
    return out


def test_environment_yml_matches_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert _pins(pip_section) == _pins((ROOT / "requirements.in").read_text().splitlines())


def test_every_direct_pin_is_in_the_lock():
    direct = _pins((ROOT / "requirements.in").read_text().splitlines())
    lock = _pins((ROOT / "requirements.lock").read_text().splitlines())
    assert direct, "requirements.in lists no pinned package"
    for name, version in direct.items():
        assert lock.get(name) == version, f"{name}=={version} is not pinned the same in requirements.lock"
