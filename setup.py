"""Build hook: the wheel carries the project's models/ folder as package data (stat3qsp/_data/models),
so an installed stat3qsp finds its model outside the repository (stat3qsp.model.catalog.default_models_dir),
and config/config.yaml (stat3qsp/_data/config, the assay protocol of `stat3qsp omex` outside a checkout).
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
        config = Path(__file__).resolve().parent / "config" / "config.yaml"
        if config.is_file() and not self.dry_run:
            (Path(self.build_lib) / "stat3qsp" / "_data" / "config").mkdir(parents=True, exist_ok=True)
            shutil.copy2(config, Path(self.build_lib) / "stat3qsp" / "_data" / "config" / "config.yaml")


setup(cmdclass={"build_py": BuildWithModels})
