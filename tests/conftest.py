"""Shared fixtures: the project's model, compiled once per test session."""
from __future__ import annotations

import pytest

from stat3qsp.model import Model, load_model


@pytest.fixture(scope="session")
def model() -> Model:
    return load_model()
