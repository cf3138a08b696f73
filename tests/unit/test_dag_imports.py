"""Snakemake builds its DAG in every invocation (``snakemake -n`` too): the library modules the workflow
files import at parse time must not load the simulator or the heavy scientific stacks."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from stat3qsp.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("roadrunner", "libsbml", "scipy.stats", "scipy.optimize", "lifelines", "SALib", "matplotlib", "pypesto")


def _parse_time_modules() -> list[str]:
    found = []
    for path in [ROOT / "Snakefile", *sorted((ROOT / "workflows").glob("*.smk"))]:
        found += re.findall(r"^from (stat3qsp[\w.]*) import", path.read_text(encoding="utf-8"), re.M)
    return sorted(set(found))


def test_the_workflow_parse_imports_only_light_modules():
    modules = _parse_time_modules()
    assert "stat3qsp.calibration.target_files" in modules and "stat3qsp.sensitivity.config_check" in modules
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + \
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT / "src"), "PATH": ""})
    assert out.stdout.strip() == "[]", f"heavy modules loaded at parse time: {out.stdout}"


def test_target_spec_paths_refuses_a_target_without_spec(tmp_path):
    from stat3qsp.calibration.target_files import target_spec_paths
    path = tmp_path / "targets.yaml"
    path.write_text("growth: {spec: trials/EGF104900.yaml, arm: a, endpoint: pfs}\nkill: {arm: b}\n")
    with pytest.raises(InputError, match="kill = .*accepted: a mapping with spec"):
        target_spec_paths(path)
    path.write_text("growth: {spec: b.yaml}\nkill: {spec: a.yaml}\nchecks: [{spec: b.yaml}]\n")
    assert target_spec_paths(path) == ["a.yaml", "b.yaml"]


def test_profile_draws_use_the_normal_975_quantile():
    from scipy import stats

    from stat3qsp.sensitivity.uncertain_parameters import _z_975
    assert _z_975() == float(stats.norm.ppf(0.975))
