"""An installed wheel works outside the repository: the models folder comes with the package (setup.py),
nothing is found through the source tree."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_carries_the_models_and_simulates_outside_the_repository(tmp_path):
    # As `pip install .` builds it: in an isolated build environment (setuptools from the registry).
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "wheel"),
                            str(ROOT)], capture_output=True, text=True, encoding="utf-8",
                           env={**os.environ, "PYTHONUTF8": "1"})
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next((tmp_path / "wheel").glob("stat3qsp-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"stat3qsp/_data/models/catalog.yaml", "stat3qsp/_data/models/parameters.tsv",
            "stat3qsp/_data/models/calibrated/tumour.tsv", "stat3qsp/trial/schema.yaml"} <= names
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "STAT3QSP_MODELS"}
    env["PYTHONPATH"] = str(target)
    run = subprocess.run([sys.executable, "-c",
                          "import stat3qsp, sys; from stat3qsp.cli import main; print(stat3qsp.__file__); "
                          "sys.exit(main(['simulate', '--context', 'her2_amplified', '--drug', 'ruxolitinib=300nM', "
                          "'--hours', '24', '--points', '3', '-o', 'tc.tsv']))"],
                         capture_output=True, text=True, cwd=elsewhere, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().startswith(str(target))
    lines = (elsewhere / "tc.tsv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4 and not any(x.startswith("#") for x in lines)
    assert '"context": "her2_amplified"' in (elsewhere / "tc.tsv.json").read_text(encoding="utf-8")
    # The other verbs a new user runs first, from the same installed package outside the repository.
    checks = ("import sys, zipfile; from stat3qsp.cli import main; "
              "assert main(['list', 'contexts']) == 0; "
              "assert main(['omex', '--context', 'her2_amplified', '-o', 'model.omex']) == 0; "
              "print(sorted(zipfile.ZipFile('model.omex').namelist()))")
    version = subprocess.run([sys.executable, "-m", "stat3qsp.cli.app", "--version"], capture_output=True, text=True,
                             cwd=elsewhere, env=env)
    assert version.returncode == 0 and version.stdout.strip().startswith("stat3qsp "), version.stdout + version.stderr
    listed = subprocess.run([sys.executable, "-c", checks], capture_output=True, text=True, cwd=elsewhere, env=env)
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert "her2_amplified" in listed.stdout and "manifest.xml" in listed.stdout
