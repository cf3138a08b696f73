"""Observable and noise formulas of a calibration, parsed by a restricted grammar into sympy.

A formula is data from a shared recipe (``calibration/<name>/spec.yaml``, PEtab
``observableFormula``), so it is never evaluated as Python: :func:`parse_formula` reads it with
:mod:`ast` (no execution) and accepts only numbers, identifiers (no leading underscore), ``+ - * /
**``, unary signs, parentheses and calls of :data:`FUNCTIONS`; it builds the sympy expression itself.
Anything else (attributes, subscripts, lambdas, strings, comprehensions, keyword arguments) is an
:class:`~stat3qsp.errors.InputError` naming the formula and the construct.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

import sympy as sp

from stat3qsp.errors import InputError

#: Functions a formula may call, by name.
FUNCTIONS = {"exp": sp.exp, "log": sp.log, "log10": lambda x: sp.log(x, 10), "sqrt": sp.sqrt, "abs": sp.Abs}
_BINARY = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
           ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a ** b}
#: Longest formula accepted (characters).
MAX_LENGTH = 2000


@dataclass(frozen=True)
class Observable:
    """A compiled observable: transformation, model symbols, placeholder parameters, value and gradients."""

    transformation: str
    symbols: tuple[str, ...]
    placeholders: tuple[str, ...]
    value: object
    gradients: tuple[object, ...]


def parse_formula(text: str, where: str = "formula") -> sp.Expr:
    """The sympy expression of *text* (restricted grammar, module docstring).

    Raises
    ------
    InputError
        Naming *where*, the formula and the construct that is not accepted.
    """
    text = str(text).strip()
    if not text or len(text) > MAX_LENGTH:
        raise InputError(f"{where}: {text[:60]!r} is empty or longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.replace("^", "**"), mode="eval")
    except SyntaxError:
        raise InputError(f"{where}: {text!r} is not an arithmetic formula") from None
    return _build(tree.body, text, where)


def _build(node: ast.AST, text: str, where: str) -> sp.Expr:
    def refuse(what: str):
        raise InputError(f"{where}: {text!r} contains {what}; accepted: numbers, identifiers, + - * / ** and "
                         f"{', '.join(FUNCTIONS)}()")

    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            refuse(f"the constant {node.value!r}")
        return sp.Float(node.value) if isinstance(node.value, float) else sp.Integer(node.value)
    if isinstance(node, ast.Name):
        if node.id.startswith("_"):
            refuse(f"the name {node.id!r}")
        return sp.Symbol(node.id)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_build(node.left, text, where), _build(node.right, text, where))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _build(node.operand, text, where)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            refuse("a call of something other than " + ", ".join(FUNCTIONS))
        if node.keywords or len(node.args) != 1:
            refuse(f"a call of {node.func.id} without exactly one positional argument")
        return FUNCTIONS[node.func.id](_build(node.args[0], text, where))
    refuse(f"a {type(node).__name__} expression")
    raise AssertionError("unreachable")
