"""The one YAML reader of the project: safe types only, duplicate keys refused, errors with file and line.

PyYAML's loaders let a repeated key silently replace the first (``id:`` twice in a trial spec, the
last wins). Every YAML the project reads (trial specs and their schema, ``catalog.yaml``,
``population.yaml``, ``pk/regimens.yaml``, calibration recipes, the workflow config) goes through
:func:`read_yaml`, which refuses a repeated key naming the file, the line and the key, and reports a
file that is not YAML, not UTF-8 or not readable as an :class:`~stat3qsp.errors.InputError` naming
the file (and line), never as a traceback.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from stat3qsp.errors import InputError


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML was built with it (about ten times faster, the same documents), else
the pure-Python one."""


class _StrictLoader(_SAFE_LOADER):
    """The safe loader that refuses a mapping key given twice."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            first = seen.get(key)
        except TypeError:  # an unhashable key; the base constructor reports it
            continue
        if first is not None:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is given twice (lines {first} and {line}); accepted: each key once",
                key_node.start_mark)
        seen[key] = line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml_text(text: str, source: str = "<text>") -> Any:
    """Parse YAML *text* with the strict loader; *source* names it in errors.

    Raises
    ------
    InputError
        If the text is not YAML or repeats a key of a mapping (message: source, line, problem).
    """
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a safe loader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise InputError(f"{source}{line}: not valid YAML ({problem}); accepted: a YAML mapping with each key "
                         "once") from None


def read_yaml(path: Path | str, what: str = "YAML file") -> Any:
    """Read the YAML file *path* (UTF-8) with the strict loader; *what* names the file's role in errors.

    Raises
    ------
    InputError
        If the file is missing or unreadable, not UTF-8, not YAML, or repeats a key.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot read the {what} ({error.strerror or error}); accepted: a readable "
                         "YAML file") from None
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: the {what} is not UTF-8 text (byte {error.start}: "
                         f"{error.object[error.start:error.start + 1]!r}); accepted: UTF-8 YAML") from None
    return load_yaml_text(text, str(path))
