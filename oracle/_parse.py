"""Parse typed expressions such as ``(a*b + c)*f`` into graphs.

Grammar (Python's precedence; ``**`` is right-associative and binds tighter
than a unary minus on its left)::

    program    := statement (";" statement)* [";"]
    statement  := [NAME "="] expression
    expression := term (("+" | "-") term)*
    term       := unary (("*" | "/") unary)*
    unary      := "-" unary | power
    power      := atom ["**" unary]
    atom       := NUMBER | NAME | NAME "(" expression ("," expression)* ")"
                | "(" expression ")"

A bound name refers to its node, so ``t = a*b; t*t`` shares one node.  Every
other name is an input, in order of first appearance.  ``x ** 3`` is pow,
``2 ** x`` is rpow and ``x ** y`` is powv.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Union

from ._errors import ExpressionError
from ._graph import RESERVED_NAMES, Const, Graph, Node, Operand
from ._ops import OPS

__all__ = ["parse_expression"]

_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z_0-9]*)"
    r"|(?P<op>\*\*|[-+*/(),;=]))"
)
_FUNCTIONS = {entry.function: entry for entry in OPS.values() if entry.function is not None}
_INFIX = {"+": "add", "-": "sub", "*": "mul", "/": "div"}


@dataclass
class _Token:
    kind: str  # "number", "name", "op" or "end"
    text: str
    position: int


# A parsed operand: a node index, an input name, or a constant.
_Value = Union[int, str, Const]


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            bad = position + (len(text[position:]) - len(text[position:].lstrip()))
            raise ExpressionError(f"unexpected character {text[bad]!r}", text, bad)
        kind = match.lastgroup
        assert kind is not None
        tokens.append(_Token(kind, match.group(kind), match.start(kind)))
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.inputs: list[str] = []
        self.nodes: list[Node] = []
        self.bindings: dict[str, int] = {}

    # --- token helpers -----------------------------------------------------

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def error(self, message: str, token: Optional[_Token] = None) -> ExpressionError:
        token = token or self.current
        return ExpressionError(message, self.text, token.position)

    def accept(self, text: str) -> bool:
        if self.current.kind == "op" and self.current.text == text:
            self.index += 1
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.accept(text):
            found = self.current.text or "end of input"
            raise self.error(f"expected {text!r} but found {found!r}")

    # --- grammar -------------------------------------------------------------

    def program(self) -> Graph:
        if self.current.kind == "end":
            raise self.error("empty expression")
        while True:
            self.statement()
            if not self.accept(";"):
                break
            if self.current.kind == "end":
                break
        if self.current.kind != "end":
            raise self.error(f"unexpected {self.current.text!r}")
        if not self.nodes:
            raise self.error("the output must be computed by at least one op", self.tokens[0])
        return Graph(tuple(self.inputs), tuple(self.nodes)).pruned()

    def statement(self) -> None:
        name_token = self.current
        is_binding = (
            name_token.kind == "name"
            and self.tokens[self.index + 1].kind == "op"
            and self.tokens[self.index + 1].text == "="
        )
        if not is_binding:
            value = self.expression()
            self.finish(value, None, name_token)
            return
        name = name_token.text
        if name in RESERVED_NAMES:
            raise self.error(f"cannot bind {name!r}: it is a function name", name_token)
        if name in self.bindings or name in self.inputs:
            raise self.error(f"name {name!r} is already defined; pick a new name", name_token)
        self.index += 2
        value = self.expression()
        self.finish(value, name, name_token)

    def finish(self, value: _Value, name: Optional[str], token: _Token) -> None:
        if not isinstance(value, int):
            raise self.error("a statement must compute something with an op, not a bare name or number", token)
        if name is not None:
            node = self.nodes[value]
            if node.name is not None:
                raise self.error(f"{name!r} only renames {node.name!r}; bind each node once", token)
            self.nodes[value] = Node(node.op, node.args, name)
            self.bindings[name] = value
        elif value != len(self.nodes) - 1:
            raise self.error("the last statement must compute a new node", token)

    def expression(self) -> _Value:
        left = self.term()
        while self.current.kind == "op" and self.current.text in ("+", "-"):
            token = self.current
            self.index += 1
            left = self.make(_INFIX[token.text], [left, self.term()], token)
        return left

    def term(self) -> _Value:
        left = self.unary()
        while self.current.kind == "op" and self.current.text in ("*", "/"):
            token = self.current
            self.index += 1
            left = self.make(_INFIX[token.text], [left, self.unary()], token)
        return left

    def unary(self) -> _Value:
        token = self.current
        if self.accept("-"):
            operand = self.unary()
            if isinstance(operand, Const):
                return Const(-operand.value)
            return self.make("neg", [operand], token)
        if self.accept("+"):
            return self.unary()
        return self.power()

    def power(self) -> _Value:
        base = self.atom()
        token = self.current
        if not self.accept("**"):
            return base
        exponent = self.unary()
        if isinstance(exponent, Const):
            return self.make("pow", [base, exponent], token)
        if isinstance(base, Const):
            return self.make("rpow", [base, exponent], token)
        return self.make("powv", [base, exponent], token)

    def atom(self) -> _Value:
        token = self.current
        if token.kind == "number":
            self.index += 1
            return Const(float(token.text))
        if token.kind == "name":
            self.index += 1
            if self.current.kind == "op" and self.current.text == "(":
                return self.call(token)
            if token.text in RESERVED_NAMES:
                raise self.error(f"{token.text!r} is a function; call it as {token.text}(...)", token)
            if token.text in self.bindings:
                return self.bindings[token.text]
            if token.text not in self.inputs:
                self.inputs.append(token.text)
            return token.text
        if self.accept("("):
            value = self.expression()
            self.expect(")")
            return value
        found = token.text or "end of input"
        raise self.error(f"expected a number, a name or '(' but found {found!r}")

    def call(self, name: _Token) -> _Value:
        entry = _FUNCTIONS.get(name.text)
        if entry is None:
            known = ", ".join(sorted(_FUNCTIONS))
            raise self.error(f"unknown function {name.text!r}; known functions: {known}", name)
        self.expect("(")
        args = [self.expression()]
        while self.accept(","):
            args.append(self.expression())
        self.expect(")")
        if len(args) != entry.arity:
            raise self.error(f"{name.text}() takes {entry.arity} argument(s), got {len(args)}", name)
        return self.make(entry.name, args, name)

    def make(self, op_name: str, args: list[_Value], token: _Token) -> int:
        if all(isinstance(arg, Const) for arg in args):
            raise self.error("every operand is a constant; write the value instead", token)
        operands: tuple[Operand, ...] = tuple(args)
        self.nodes.append(Node(op_name, operands))
        return len(self.nodes) - 1


def parse_expression(text: str) -> Graph:
    """Parse ``text`` into a graph, or raise ``ExpressionError`` at the bad position.

    >>> parse_expression("(a*b + c)*f").expression()
    '(a*b + c)*f'
    >>> parse_expression("t = a*b; t*t + c").expression()
    't = a*b; L = t*t + c'
    """
    if not isinstance(text, str):
        raise ExpressionError(f"expression must be a string, got {type(text).__name__}", repr(text), 0)
    return _Parser(text).program()
