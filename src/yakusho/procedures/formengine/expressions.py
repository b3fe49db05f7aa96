"""A small, safe expression language for visibility conditions and fees.

Expressions are parsed once (when a definition is loaded) into a tree of tuples and evaluated by
walking it; nothing is ever handed to Python's ``eval``. The language has numbers, 'strings',
``true``/``false``/``null``, [lists], field references (``kind``, ``applicant.sex``), arithmetic
``+ - * /``, comparisons ``== != < <= > >=``, ``in``, ``and``/``or``/``not``, parentheses and a
fixed set of functions (:data:`FUNCTIONS`). See docs/forms.md.

Evaluation rules: ``null`` counts as 0 in arithmetic and makes an ordering comparison false;
numbers are :class:`~decimal.Decimal`; ``x in list`` tests membership.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

Node = tuple[Any, ...]

#: name → (minimum arguments, maximum arguments or None)
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "count": (1, 1),
    "countif": (2, 2),
    "sum": (1, 1),
    "min": (1, None),
    "max": (1, None),
    "floor": (1, 1),
    "ceil": (1, 1),
    "round": (1, 1),
    "if": (3, 3),
    "filled": (1, 1),
    "age": (1, 1),
}
#: functions whose first argument may name a repeating group (count) or a group's field (sum, countif)
GROUP_FUNCTIONS = frozenset({"count", "countif", "sum"})

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>\d+(?:\.\d+)?)
      | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<name>[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)?)
      | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|/|\(|\)|\[|\]|,)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "null"}
MAX_LENGTH = 2000


class ExpressionError(ValueError):
    """A syntax error (with the character position) or an evaluation error, in Japanese."""


@dataclass(frozen=True)
class Token:
    kind: str
    value: str
    pos: int


def _tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            start = pos + (len(text[pos:]) - len(text[pos:].lstrip()))
            raise ExpressionError(
                _("%(pos)s文字目の「%(char)s」は式に使えません。") % {"pos": start + 1, "char": text[start]}
            )
        kind = m.lastgroup or ""
        value = m.group(kind)
        tokens.append(Token(kind, value, m.start(kind)))
        pos = m.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def accept(self, *values: str) -> Token | None:
        token = self.peek()
        if token.kind in ("op", "name") and token.value in values:
            self.i += 1
            return token
        return None

    def expect(self, value: str) -> None:
        if not self.accept(value):
            token = self.peek()
            raise ExpressionError(
                _("%(pos)s文字目に「%(expected)s」が必要です。") % {"pos": token.pos + 1, "expected": value}
            )

    def parse(self) -> Node:
        node = self.or_()
        token = self.peek()
        if token.kind != "end":
            raise ExpressionError(
                _("%(pos)s文字目の「%(token)s」が余分です。") % {"pos": token.pos + 1, "token": token.value}
            )
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.accept("or"):
            node = ("or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.accept("and"):
            node = ("and", node, self.not_())
        return node

    def not_(self) -> Node:
        if self.accept("not"):
            return ("not", self.not_())
        return self.comparison()

    def comparison(self) -> Node:
        node = self.additive()
        token = self.accept("==", "!=", "<", "<=", ">", ">=", "in")
        if token:
            node = ("cmp", token.value, node, self.additive())
            if self.peek().value in ("==", "!=", "<", "<=", ">", ">=", "in"):
                raise ExpressionError(
                    _("%(pos)s文字目：比較は括弧でくくってください。") % {"pos": self.peek().pos + 1}
                )
        return node

    def additive(self) -> Node:
        node = self.term()
        while token := self.accept("+", "-"):
            node = ("arith", token.value, node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while token := self.accept("*", "/"):
            node = ("arith", token.value, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.accept("-"):
            return ("neg", self.unary())
        return self.primary()

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "number":
            return ("const", Decimal(token.value))
        if token.kind == "string":
            body = token.value[1:-1]
            return ("const", re.sub(r"\\(.)", r"\1", body))
        if token.kind == "op" and token.value == "(":
            node = self.or_()
            self.expect(")")
            return node
        if token.kind == "op" and token.value == "[":
            items: list[Node] = []
            if not self.accept("]"):
                items.append(self.or_())
                while self.accept(","):
                    items.append(self.or_())
                self.expect("]")
            return ("list", *items)
        if token.kind == "name":
            if token.value == "true":
                return ("const", True)
            if token.value == "false":
                return ("const", False)
            if token.value == "null":
                return ("const", None)
            if token.value in _KEYWORDS:
                raise ExpressionError(
                    _("%(pos)s文字目の「%(token)s」の前に値が必要です。")
                    % {"pos": token.pos + 1, "token": token.value}
                )
            if self.accept("("):
                if token.value not in FUNCTIONS:
                    raise ExpressionError(
                        _("%(pos)s文字目の関数「%(name)s」はありません（使える関数：%(names)s）。")
                        % {"pos": token.pos + 1, "name": token.value, "names": ", ".join(sorted(FUNCTIONS))}
                    )
                args: list[Node] = []
                if not self.accept(")"):
                    args.append(self.or_())
                    while self.accept(","):
                        args.append(self.or_())
                    self.expect(")")
                return ("call", token.value, token.pos, *args)
            return ("ref", token.value, token.pos)
        if token.kind == "end":
            raise ExpressionError(_("式が途中で終わっています。"))
        raise ExpressionError(
            _("%(pos)s文字目の「%(token)s」は使えません。") % {"pos": token.pos + 1, "token": token.value}
        )


def parse(text: str) -> Node:
    """Parse an expression, or raise :class:`ExpressionError` with a Japanese message."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(_("式が長すぎます（%(max)s文字まで）。") % {"max": MAX_LENGTH})
    if not text.strip():
        raise ExpressionError(_("式が空です。"))
    return _Parser(text).parse()


@dataclass(frozen=True)
class Reference:
    """A field named in an expression: ``name`` or ``name.part``; ``in_group_function`` when it is
    the argument of count() or sum()."""

    name: str
    part: str | None
    pos: int
    function: str | None

    @property
    def text(self) -> str:
        return f"{self.name}.{self.part}" if self.part else self.name


def references(node: Node) -> list[Reference]:
    """Every field reference in a parsed expression, in order, and the function calls checked."""
    found: list[Reference] = []

    def walk(n: Node, function: str | None) -> None:
        kind = n[0]
        if kind == "ref":
            name, _sep, part = n[1].partition(".")
            found.append(Reference(name, part or None, n[2], function))
        elif kind == "call":
            name, pos, args = n[1], n[2], n[3:]
            if name not in FUNCTIONS:
                raise ExpressionError(
                    _("%(pos)s文字目の関数「%(name)s」はありません（使える関数：%(names)s）。")
                    % {"pos": pos + 1, "name": name, "names": ", ".join(sorted(FUNCTIONS))}
                )
            low, high = FUNCTIONS[name]
            if len(args) < low or (high is not None and len(args) > high):
                raise ExpressionError(
                    _("%(pos)s文字目の関数「%(name)s」の引数の数が正しくありません。")
                    % {"pos": pos + 1, "name": name}
                )
            if name in GROUP_FUNCTIONS and args[0][0] != "ref":
                raise ExpressionError(
                    _("%(pos)s文字目：関数「%(name)s」には項目名を指定してください。")
                    % {"pos": pos + 1, "name": name}
                )
            for k, arg in enumerate(args):
                walk(arg, name if name in GROUP_FUNCTIONS and k == 0 else None)
        else:
            for child in n[1:]:
                if isinstance(child, tuple):
                    walk(child, None)

    walk(node, None)
    return found


Scope = Mapping[str, Any]


def _num(value: Any) -> Decimal:
    if value is None or value is False:
        return Decimal(0)
    if value is True:
        return Decimal(1)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, list):
        return Decimal(len(value))
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ExpressionError(_("「%(value)s」は数として計算できません。") % {"value": value}) from None


def _truthy(value: Any) -> bool:
    if isinstance(value, Decimal):
        return value != 0
    return bool(value)


_ORDER: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "in":
        if isinstance(right, list):
            return left in right
        if isinstance(right, str) and isinstance(left, str):
            return left in right
        return False
    if op in ("==", "!="):
        if isinstance(left, bool) or isinstance(right, bool):
            same = left is right
        elif isinstance(left, Decimal) and isinstance(right, Decimal):
            same = left == right
        elif isinstance(left, Decimal) or isinstance(right, Decimal):
            try:
                same = _num(left) == _num(right) and left is not None and right is not None
            except ExpressionError:
                same = False
        else:
            same = left == right
        return same if op == "==" else not same
    if left is None or right is None:
        return False
    try:
        if isinstance(left, date) and isinstance(right, date):
            pair: tuple[Any, Any] = (left, right)
        elif isinstance(left, str) and isinstance(right, str):
            pair = (left, right)
        else:
            pair = (_num(left), _num(right))
        return bool(_ORDER[op](*pair))
    except (TypeError, ExpressionError):
        return False


def _age(value: Any, today: date) -> Decimal | None:
    if not isinstance(value, date):
        return None
    years = today.year - value.year - ((today.month, today.day) < (value.month, value.day))
    return Decimal(years)


def evaluate(node: Node, scope: Scope, *, today: date | None = None) -> Any:
    """Evaluate a parsed expression. ``scope`` maps names to values: scalars, lists (checkbox
    answers), dicts (composite fields), and for repeating groups a list of row dicts."""
    kind = node[0]
    if kind == "const":
        return node[1]
    if kind == "list":
        return [evaluate(n, scope, today=today) for n in node[1:]]
    if kind == "ref":
        name, _sep, part = node[1].partition(".")
        value = scope.get(name)
        if part:
            return value.get(part) if isinstance(value, Mapping) else None
        return value
    if kind == "not":
        return not _truthy(evaluate(node[1], scope, today=today))
    if kind == "and":
        return _truthy(evaluate(node[1], scope, today=today)) and _truthy(
            evaluate(node[2], scope, today=today)
        )
    if kind == "or":
        return _truthy(evaluate(node[1], scope, today=today)) or _truthy(
            evaluate(node[2], scope, today=today)
        )
    if kind == "neg":
        return -_num(evaluate(node[1], scope, today=today))
    if kind == "cmp":
        return _compare(node[1], evaluate(node[2], scope, today=today), evaluate(node[3], scope, today=today))
    if kind == "arith":
        a = _num(evaluate(node[2], scope, today=today))
        b = _num(evaluate(node[3], scope, today=today))
        op = node[1]
        if op == "/":
            if b == 0:
                raise ExpressionError(_("0で割ることはできません。"))
            return a / b
        return a + b if op == "+" else a - b if op == "-" else a * b
    if kind == "call":
        return _call(node[1], node[3:], scope, today or date.today())
    raise ExpressionError(f"unknown node {kind!r}")  # pragma: no cover


def _group_values(arg: Node, scope: Scope) -> list[Any]:
    name, _sep, part = arg[1].partition(".")
    rows = scope.get(name)
    if not isinstance(rows, list):
        return [] if rows is None else [rows]
    if not part:
        return rows
    return [row.get(part) for row in rows if isinstance(row, Mapping)]


def _call(name: str, args: Sequence[Node], scope: Scope, today: date) -> Any:
    if name == "count":
        values = _group_values(args[0], scope)
        return Decimal(sum(1 for v in values if v not in (None, "", False, [])))
    if name == "countif":
        target = evaluate(args[1], scope, today=today)
        return Decimal(sum(1 for v in _group_values(args[0], scope) if _compare("==", v, target)))
    if name == "sum":
        return sum((_num(v) for v in _group_values(args[0], scope)), Decimal(0))
    if name == "if":
        chosen = args[1] if _truthy(evaluate(args[0], scope, today=today)) else args[2]
        return evaluate(chosen, scope, today=today)
    values = [evaluate(a, scope, today=today) for a in args]
    if name == "filled":
        return values[0] not in (None, "", False, [])
    if name == "age":
        return _age(values[0], today)
    functions: dict[str, Callable[[list[Any]], Any]] = {
        "min": lambda vs: min(_num(v) for v in vs),
        "max": lambda vs: max(_num(v) for v in vs),
        "floor": lambda vs: _num(vs[0]).to_integral_value(ROUND_FLOOR),
        "ceil": lambda vs: _num(vs[0]).to_integral_value(ROUND_CEILING),
        "round": lambda vs: _num(vs[0]).to_integral_value(ROUND_HALF_UP),
    }
    return functions[name](values)
