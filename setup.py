"""Build hook: the wheel carries the project's models/ folder as package data (stat3qsp/_data/models),
so an installed stat3qsp finds its model outside the repository (stat3qsp.model.catalog.default_models_dir).
Everything else is in pyproject.toml."""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithModels(build_py):
    """build_py, then a copy of models/ into the built package."""

    def run(self):
        super().run()
        source = Path(__file__).resolve().parent / "models"
        if source.is_dir() and not self.dry_run:
            shutil.copytree(source, Path(self.build_lib) / "stat3qsp" / "_data" / "models", dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithModels})
