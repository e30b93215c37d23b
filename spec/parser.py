"""Text -> AST: the lark grammar (spec/grammar.lark) and one transformer method per rule.

Syntax errors become `SpecError`s at the offending token, with the expected tokens
spelled in words ("expected a name or '('"), never a lark traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

from mmcheck.spec import ast
from mmcheck.spec import cache as spec_cache
from mmcheck.spec.errors import Loc, SpecError, SpecErrors, register_source

GRAMMAR = Path(__file__).with_name("grammar.lark")

# Words the grammar reserves wherever an expression, statement or declaration starts.
KEYWORDS = frozenset(
    [
        "spec",
        "include",
        "const",
        "bool",
        "assume",
        "type",
        "var",
        "in",
        "def",
        "macro",
        "invariant",
        "lemma",
        "terminal",
        "constraint",
        "cover",
        "action",
        "when",
        "process",
        "expect",
        "true",
        "false",
        "enum",
        "symmetric",
        "record",
        "set",
        "skip",
        "goto",
        "await",
        "assert",
        "unlock",
        "return",
        "if",
        "then",
        "else",
        "either",
        "or",
        "forall",
        "exists",
        "count",
        "sum",
        "let",
        "not",
        "and",
        "notin",
        "subset",
        "union",
        "minus",
        "inter",
        "except",
    ]
)

_TOKEN_WORDS = {
    "IDENT": "a name",
    "INT": "a number",
    "STRING": "a string",
    "LABEL": "a step label (name:)",
    "$END": "the end of the file",
}
_EXPR_START = {"INT", "TRUE", "FALSE", "IDENT", "LPAR", "LBRACE", "LSQB", "MINUS", "NOT", "IF"}
_STMT_START = {"SKIP", "GOTO", "AWAIT", "ASSERT", "LOCK", "UNLOCK", "RETURN", "EITHER"}


class _Current:
    """The file being parsed and its errors, for the transformer, and the offsets of the
    keywords the lexer took for names in the parse under way. Not reentrant."""

    file = ""
    text = ""  # the text being parsed, for the soft keywords' look-ahead
    errors: list[SpecError] = []
    keywords_as_names: set[int] = set()


def _note_name(tok: Token) -> Token:
    """Lexer callback: a keyword lexed as a name (where the parser state takes no such
    keyword) means the construct before it is incomplete, if parsing fails right after."""
    if tok.value in KEYWORDS:
        _Current.keywords_as_names.add(tok.start_pos)
    return tok


# Words that start a declaration or statement (`lock l`, `init e`, `with x in S`) and are
# names elsewhere: the contextual lexer takes them for keywords only where the parser
# state takes the keyword, and there one followed by what only follows a place (`lock :=
# true`, `init' = 0`, `with[i] := 1`, `lock.f := 1`) is the name.
SOFT_KEYWORDS = ("lock", "init", "with", "property", "fair", "strongly")
_AFTER_PLACE = re.compile(r"\s*(?::=|'|\[|\.(?!\.))")


class _SoftKeywords:
    """Post-lexer: a soft keyword followed by an assignment, prime, index or field is
    the name (see SOFT_KEYWORDS)."""

    always_accept = ()

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        for tok in stream:
            soft = tok.value in SOFT_KEYWORDS and tok.type != "IDENT"
            if soft and _AFTER_PLACE.match(_Current.text, tok.end_pos):
                tok = Token.new_borrow_pos("IDENT", tok.value, tok)
            yield tok


@cache
def _lark() -> Lark:
    return spec_cache.lark_parser(
        GRAMMAR.read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=True,
        lexer_callbacks={"IDENT": _note_name},
        postlex=_SoftKeywords(),
    )


def _terminal_words() -> dict[str, str]:
    words = dict(_TOKEN_WORDS)
    for name, value in _literals().items():
        words.setdefault(name, f"'{value}'")
    return words


def describe_expected(expected: set[str]) -> str:
    """The terminals a parser state accepts, in words; expression starts summarised."""
    names = set(expected)
    parts: list[str] = []
    if len(names & _EXPR_START) >= 6:
        names -= _EXPR_START | {"FORALL", "EXISTS", "COUNT", "SUM", "LET", "SUBSET"}
        parts.append("an expression")
    if len(names & _STMT_START) >= 6:
        names -= _STMT_START
        parts.append("a statement")
    words = _terminal_words()
    parts += sorted(words.get(n, n.lower()) for n in names)
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def _syntax_error(e: UnexpectedInput, filename: str, text: str) -> SpecError:
    if isinstance(e, UnexpectedCharacters):
        char = text[e.pos_in_stream] if e.pos_in_stream < len(text) else ""
        loc = Loc(filename, e.line, e.column)
        c_op = _c_operator(text, e.pos_in_stream)
        if c_op is not None:
            return SpecError(loc, f"unexpected '{c_op[0]}'", hint=c_op[1])
        return SpecError(loc, f"unexpected character {char!r}")
    expected_set = set(getattr(e, "expected", ()) or ())
    ip = getattr(e, "interactive_parser", None)
    if ip is not None:  # the parser state knows keywords the lexer folded into names
        expected_set |= {t for t in ip.choices() if t.isupper()}
    expected = describe_expected(expected_set)
    tail = f"; expected {expected}" if expected else ""
    token = getattr(e, "token", None)
    if isinstance(e, UnexpectedEOF) or token is None or token.type == "$END":
        lines = text.splitlines() or [""]
        loc = Loc(filename, len(lines), len(lines[-1]) + 1)
        return SpecError(loc, "unexpected end of file" + tail)
    kw = _keyword_before(text, token.start_pos)
    if kw is not None and kw[1] in _Current.keywords_as_names:
        # a keyword the lexer took for a name, where the parser wanted more of what
        # precedes it (`var x : bool =` then `const N = 3`): that is incomplete
        return SpecError(
            _loc_at(filename, text, kw[1]),
            f"unexpected '{kw[0]}' (a keyword): "
            "the declaration or statement before it is incomplete",
        )
    if token.value == "'" and _enclosing_decl(text, token.start_pos) in _PREDICATE_DECLS:
        return SpecError(
            Loc(filename, token.line, token.column),
            'unexpected "\'": a state predicate reads one state, so it has no primed '
            "variables (x' is written only in an action's updates)",
        )
    c_habit = _c_habit(text, token, {_literals().get(t) for t in expected_set})
    if c_habit is not None:
        shown, pos, hint = c_habit
        return SpecError(_loc_at(filename, text, pos), f"unexpected '{shown}'", hint=hint)
    shown = token.value
    note = ""
    if shown in KEYWORDS and "IDENT" in expected_set:
        note = f" ('{shown}' is a keyword and cannot be a name)"
    hint = None
    if kw is not None and kw[0] == "return" and "IDENT" in expected_set:
        hint = _RETURN_HINTS.get(_enclosing_decl(text, token.start_pos))
    loc = Loc(filename, token.line, token.column)
    return SpecError(loc, f"unexpected '{shown}'{note}{tail}", hint=hint)


def _loc_at(filename: str, text: str, pos: int) -> Loc:
    """The location of offset pos of text."""
    return Loc(filename, text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos))


@cache
def _literals() -> dict[str, str]:
    """The text of each terminal that is a fixed string, by terminal name."""
    return {t.name: t.pattern.value for t in _lark().terminals if t.pattern.type == "str"}


# C's boolean operators: `&&` starts no token of the language, `||` the `|` of a filter
_C_BOOLEAN = {"&&": "use `and`", "||": "use `or`"}
_NEGATED = re.compile(r"!\s*([A-Za-z_][A-Za-z0-9_.]*)")
_PLACE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*(?:\[[^\]\n]*\][A-Za-z0-9_.]*)*\s*$")
_SIMPLE = re.compile(r"[A-Za-z0-9_.]+")


def _c_operator(text: str, pos: int) -> tuple[str, str] | None:
    """A C operator at offset pos, where the lexer found no token (`&&`, `||`, `!x`; `!=`
    is a token), and the hint for it."""
    if text[pos : pos + 2] in _C_BOOLEAN:
        return text[pos : pos + 2], _C_BOOLEAN[text[pos : pos + 2]]
    if text[pos : pos + 1] == "!":
        m = _NEGATED.match(text, pos)
        return "!", f"use `not`, as in `not {m.group(1) if m else '(...)'}`"
    return None


def _c_habit(text: str, token: Token, expected: set[str | None]) -> tuple[str, int, str] | None:
    """A C habit at an unexpected token: what to show as unexpected, its offset, and the
    hint. `expected` holds the fixed strings the parser would have taken there; `:=`
    among them means the token follows a place that starts a statement."""
    pos = token.start_pos
    # after a place, the lexer may take `:=` for a `:` where it expects neither
    value = ":=" if text.startswith(":=", pos) else token.value
    assigning = ":=" in expected
    pair = text[pos : pos + 2]
    if pair == "||":
        return pair, pos, _C_BOOLEAN[pair]
    doubled = value in ("+", "-") and pair == value * 2  # `x++`, `x--`
    if assigning and value in ("+", "-", "*", "/", "%") and (pair == value + "=" or doubled):
        place = _place_before(text, pos)
        operand = _operand_after(text, pos + 2) if pair[1] == "=" else "1"
        return pair, pos, f"there is no `{pair}`: write `{place} := {place} {value} {operand}`"
    if value == "+" and text[pos - 1 : pos] == "+":  # `y := x++`: the second `+` fails
        place = _place_before(text, pos - 1)
        return "++", pos - 1, f"there is no `++`: write `{place} := {place} + 1` as a statement"
    if value == "=" and assigning:
        return "=", pos, "use `:=` to assign"
    if value in ("=", ":=") and "==" in expected:
        return value, pos, "use `==` to compare (`:=` assigns)"
    if value == "==" and assigning:
        place = _place_before(text, pos)
        return "==", pos, f"use `:=` to assign (`await {place} == ...` waits until it holds)"
    return None


def _place_before(text: str, pos: int) -> str:
    """The place (`x`, `m[i].f`) written before offset pos in its statement, or `x`."""
    m = _PLACE.search(text, text.rfind("\n", 0, pos) + 1, pos)
    return m.group().rstrip() if m else "x"


def _operand_after(text: str, pos: int) -> str:
    """The rest of the statement from offset pos, parenthesised unless simple (`e` if
    none): the right operand of a compound assignment `x += e`."""
    ends = [i for i in (text.find(c, pos) for c in ("\n", ";", "}", "#", "//")) if i >= 0]
    operand = text[pos : min(ends, default=len(text))].strip()
    if not operand:
        return "e"
    return operand if _SIMPLE.fullmatch(operand) else f"({operand})"


# declarations whose expressions are predicates of one state
_PREDICATE_DECLS = ("invariant", "terminal", "constraint", "cover", "property")
PROCESS_END_HINT = "a process ends with `goto Done`"  # for a `return` in a process
_RETURN_HINTS = {
    "process": PROCESS_END_HINT,
    "symmetric": PROCESS_END_HINT,
    "macro": "`return` takes a value: a macro without one ends at its `}`",
}


def _enclosing_decl(text: str, pos: int) -> str | None:
    """The keyword of the declaration offset pos is in (the last line before pos that
    starts with one)."""
    last = None
    for m in _RESYNC.finditer(text, 0, pos):
        last = m.group(1)
    return last


# possessive: a comment is never split (`# a # b` as two), else matching is exponential
_WORD_BEFORE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\s|#[^\n]*+|//[^\n]*+)*+$")


def _keyword_before(text: str, pos: int) -> tuple[str, int] | None:
    """The keyword right before offset pos (skipping blanks and comments), if any and
    not a field name (`p.count`)."""
    m = _WORD_BEFORE.search(text, 0, pos)
    if m is None or m.group(1) not in KEYWORDS:
        return None
    before = text[: m.start(1)].rstrip()
    if before.endswith(".") and not before.endswith(".."):
        return None
    return m.group(1), m.start(1)


# where parsing resumes after a syntax error: a line starting with a declaration
_RESYNC = re.compile(
    r"^(spec|include|const|assume|type|init|def|macro|action|process|invariant|terminal|"
    r"constraint|cover|expect|symmetric|property|fair|strongly)\b",
    re.M,
)
MAX_SYNTAX_ERRORS = 20


def parse(text: str, filename: str) -> ast.Module:
    """Parse one file's text. Raises SpecErrors with every syntax error found: after
    one, parsing resumes at the next line that starts a declaration."""
    register_source(filename, text)
    _Current.file, _Current.errors = filename, []
    syntax: list[SpecError] = []
    start = 0  # offset of the text still to parse; what precedes is blanked
    while True:
        masked = re.sub(r"[^\n]", " ", text[:start]) + text[start:]
        _Current.keywords_as_names = set()
        _Current.text = masked
        try:
            tree = _lark().parse(masked)
            if (deep := _too_deep(tree)) is not None:
                module = None
                syntax.append(
                    SpecError(
                        _loc(filename, deep.meta), f"nested more than {MAX_NESTING} levels deep"
                    )
                )
                break
            module = _Builder().transform(tree)
            break
        except UnexpectedInput as e:
            err = _syntax_error(e, filename, text)
            syntax.append(err)
            at = _offset(text, err.loc.line - 1) + err.loc.col  # the error's offset
            m = _RESYNC.search(text, max(at, start + 1))
            if m is None or len(syntax) >= MAX_SYNTAX_ERRORS:
                module = None
                break
            start = m.start()
    errors = syntax + _Current.errors
    if errors:
        raise SpecErrors(errors)
    assert module is not None
    return ast.Module(filename, module.decls)


MAX_NESTING = 100  # later stages recurse on expressions; Python's parser allows 200 parens


def _too_deep(tree: Tree) -> Tree | None:
    """A node nested more than MAX_NESTING levels deep, if any (found without recursion)."""
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            return node
        stack.extend((c, depth + 1) for c in reversed(node.children) if isinstance(c, Tree))
    return None


def _offset(text: str, lines: int) -> int:
    """Offset of the newline that ends the first `lines` lines (-1 for none)."""
    pos = -1
    for _ in range(lines):
        pos = text.find("\n", pos + 1)
        if pos < 0:
            return len(text)
    return pos


def _loc(filename: str, meta: Any) -> Loc:
    return Loc(filename, getattr(meta, "line", 1), getattr(meta, "column", 1))


def _unescape(tok: Token) -> str:
    """A string literal's contents; only \\" and \\\\ (and any \\x as x) are escapes."""
    body = tok.value[1:-1]
    out, i = [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            i += 1
        out.append(body[i])
        i += 1
    return "".join(out)


MAX_INT = 2**63 - 1  # states are vectors of 64-bit ints (the vector back end's slots)


def _int(tok: Token) -> int:
    text = tok.value.lower()
    try:
        value = int(text, 16) if text.startswith("0x") else int(text)
    except ValueError:  # more digits than Python converts from decimal
        value = MAX_INT + 1
    if value > MAX_INT:
        loc = Loc(_Current.file, tok.line, tok.column)
        _Current.errors.append(SpecError(loc, "integer literal too large (at most 2^63 - 1)"))
        return 0
    return value


def _stmts(x: Any) -> tuple[ast.Stmt, ...]:
    """A branch is a block (tuple of statements) or one statement."""
    if x is None:
        return ()
    return x if isinstance(x, tuple) else (x,)


@v_args(meta=True)
class _Builder(Transformer):
    """One method per grammar rule (or alias); each returns an AST node."""

    @property
    def file(self) -> str:
        return _Current.file

    @property
    def errors(self) -> list[SpecError]:
        return _Current.errors

    def _at(self, meta: Any) -> Loc:
        return _loc(self.file, meta)

    def _tloc(self, tok: Token) -> Loc:
        return Loc(self.file, tok.line, tok.column)

    def _decl_name(self, tok: Token) -> str:
        """A name being declared: keywords are refused here (they could never be used)."""
        if tok.value in KEYWORDS:
            self.errors.append(
                SpecError(self._tloc(tok), f"'{tok.value}' is a keyword and cannot be a name")
            )
        return str(tok.value)

    # ---------------------------------------------------------------- top level
    def start(self, meta: Any, c: list) -> ast.Module:
        return ast.Module(self.file, tuple(c))

    def spec_header(self, meta: Any, c: list) -> ast.SpecHeader:
        return ast.SpecHeader(self._decl_name(c[0]), self._at(meta))

    def include(self, meta: Any, c: list) -> ast.Include:
        return ast.Include(_unescape(c[0]), self._at(meta))

    def const_decl(self, meta: Any, c: list) -> ast.ConstDecl:
        return ast.ConstDecl(self._decl_name(c[0]), c[1], c[2], self._at(meta))

    def const_range(self, meta: Any, c: list) -> ast.RangeType:
        return ast.RangeType(c[0], c[1], self._at(meta))

    def assume(self, meta: Any, c: list) -> ast.Assume:
        return ast.Assume(c[0], self._at(meta))

    def type_decl(self, meta: Any, c: list) -> ast.TypeDecl:
        return ast.TypeDecl(self._decl_name(c[0]), c[1], self._at(meta))

    def pool_decl(self, meta: Any, c: list) -> ast.PoolDecl:
        return ast.PoolDecl(self._decl_name(c[0]), c[1], c[2], c[3], self._at(meta))

    def var_decl(self, meta: Any, c: list) -> ast.VarDecl:
        is_choice, init = c[2]
        return ast.VarDecl(self._decl_name(c[0]), c[1], init, is_choice, self._at(meta))

    local_var = var_decl

    def init_value(self, meta: Any, c: list) -> tuple[bool, ast.Expr]:
        return False, c[0]

    def init_in(self, meta: Any, c: list) -> tuple[bool, ast.Expr]:
        return True, c[0]

    def init_decl(self, meta: Any, c: list) -> ast.InitDecl:
        return ast.InitDecl(c[0], self._at(meta))

    def lock_decl(self, meta: Any, c: list) -> ast.LockDecl:
        return ast.LockDecl(self._decl_name(c[0]), c[1] or (), self._at(meta))

    def def_decl(self, meta: Any, c: list) -> ast.DefDecl:
        params = tuple(n for n, _ in c[1] or ())
        return ast.DefDecl(self._decl_name(c[0]), params, c[2], self._at(meta))

    def macro_decl(self, meta: Any, c: list) -> ast.MacroDecl:
        params = tuple(n for n, _ in c[1] or ())
        return ast.MacroDecl(self._decl_name(c[0]), params, c[2], self._at(meta))

    def invariant_decl(self, meta: Any, c: list) -> ast.InvariantDecl:
        return ast.InvariantDecl(self._decl_name(c[0]), c[1], self._at(meta))

    def lemma_decl(self, meta: Any, c: list) -> ast.InvariantDecl:
        return ast.InvariantDecl(self._decl_name(c[0]), c[1], self._at(meta), lemma=True)

    def terminal_decl(self, meta: Any, c: list) -> ast.TerminalDecl:
        return ast.TerminalDecl(c[0], self._at(meta))

    def constraint_decl(self, meta: Any, c: list) -> ast.ConstraintDecl:
        return ast.ConstraintDecl(self._decl_name(c[0]), c[1], self._at(meta))

    def cover_decl(self, meta: Any, c: list) -> ast.CoverDecl:
        return ast.CoverDecl(self._decl_name(c[0]), c[1], self._at(meta))

    def property_decl(self, meta: Any, c: list) -> ast.PropertyDecl:
        kind, p, q = c[1]
        return ast.PropertyDecl(self._decl_name(c[0]), kind, p, q, self._at(meta))

    def prop_eventually(self, meta: Any, c: list) -> tuple:
        return "eventually", c[0], None

    def prop_always_eventually(self, meta: Any, c: list) -> tuple:
        return "always_eventually", c[0], None

    def prop_eventually_always(self, meta: Any, c: list) -> tuple:
        return "eventually_always", c[0], None

    def prop_leads_to(self, meta: Any, c: list) -> tuple:
        return "leads_to", c[0], c[1]

    def weakly_fair(self, meta: Any, c: list) -> str:
        return "weak"

    def strongly_fair(self, meta: Any, c: list) -> str:
        return "strong"

    def action_decl(self, meta: Any, c: list) -> ast.ActionDecl:
        fairness, name, params, items = c
        guards = tuple(x for x in items if not isinstance(x, ast.Primed))
        updates = tuple(x for x in items if isinstance(x, ast.Primed))
        return ast.ActionDecl(
            self._decl_name(name), params or (), guards, updates, self._at(meta), fairness
        )

    def action_body(self, meta: Any, c: list) -> list:
        return c

    def when(self, meta: Any, c: list) -> ast.Expr:
        return c[0]

    def primed(self, meta: Any, c: list) -> ast.Primed:
        return ast.Primed(c[0], c[1], self._at(meta))

    def params(self, meta: Any, c: list) -> tuple[ast.Param, ...]:
        return tuple(c)

    def param(self, meta: Any, c: list) -> ast.Param:
        return ast.Param(self._decl_name(c[0]), c[1], self._at(meta))

    def process_decl(self, meta: Any, c: list) -> ast.ProcessDecl:
        fairness, sym, name, binder, dom, *rest = c
        index = None
        if binder is not None:
            index = ast.Param(self._decl_name(binder), dom, self._tloc(binder))
        local_vars = tuple(x for x in rest if isinstance(x, ast.VarDecl))
        steps = tuple(x for x in rest if isinstance(x, ast.Step))
        name = self._decl_name(name)
        at = self._at(meta)
        return ast.ProcessDecl(name, index, sym is not None, local_vars, steps, at, fairness)

    def _label(self, tok: Token) -> str:
        label = tok.value.rstrip(": \t")
        if label in KEYWORDS:
            self.errors.append(
                SpecError(self._tloc(tok), f"'{label}' is a keyword and cannot be a label")
            )
        return label

    def step(self, meta: Any, c: list) -> ast.Step:
        return ast.Step(self._label(c[0]), tuple(c[1:]), self._tloc(c[0]))

    def label_stmt(self, meta: Any, c: list) -> ast.Label:
        return ast.Label(self._label(c[0]), self._tloc(c[0]))

    def expect_decl(self, meta: Any, c: list) -> ast.ExpectDecl:
        consts, (verdict, detail, steps, states), cycle, covers, checks = c
        if cycle is not None and verdict != "property":
            self.errors.append(
                SpecError(cycle[1], "expect: a cycle length goes with `violates property`")
            )
        return ast.ExpectDecl(
            consts or (),
            verdict,
            detail,
            steps,
            states,
            self._at(meta),
            checks,
            covers or (),
            cycle[0] if cycle is not None else None,
        )

    def expect_cycle(self, meta: Any, c: list) -> tuple[int, Loc]:
        return _int(c[0]), self._at(meta)

    def expect_covers(self, meta: Any, c: list) -> tuple[tuple[str, Loc], ...]:
        return c[0]

    def expect_checks(self, meta: Any, c: list) -> tuple[tuple[str, Loc], ...]:
        word, names = c
        if word.value != "invariants":
            self.errors.append(
                SpecError(self._tloc(word), f"expected 'invariants', got '{word.value}'")
            )
        return names

    def expect_consts(self, meta: Any, c: list) -> tuple:
        return tuple(c)

    def expect_const(self, meta: Any, c: list) -> tuple[str, int | bool, Loc]:
        value = c[1].value if isinstance(c[1], ast.BoolLit | ast.Num) else c[1]
        return str(c[0]), value, self._tloc(c[0])

    def neg_num(self, meta: Any, c: list) -> ast.Num:
        return ast.Num(-_int(c[0]), self._at(meta))

    def _verdict(self, kind: str, detail: Token | None, bound: tuple | None) -> tuple:
        steps, states = bound or (None, None)
        return kind, (str(detail) if detail is not None else None), steps, states

    def verdict_holds(self, meta: Any, c: list) -> tuple:
        return self._verdict("holds", None, c[0])

    def verdict_violates(self, meta: Any, c: list) -> tuple:
        return self._verdict("violates", c[0], c[1])

    def verdict_property(self, meta: Any, c: list) -> tuple:
        return self._verdict("property", c[0], None)

    def verdict_deadlock(self, meta: Any, c: list) -> tuple:
        return self._verdict("deadlock", None, c[0])

    def verdict_fails(self, meta: Any, c: list) -> tuple:
        return self._verdict("fails", c[0], c[1])

    def expect_bound(self, meta: Any, c: list) -> tuple[int | None, int | None]:
        ints = [_int(t) for t in c if t is not None]
        if len(c) == 1:  # `with N states`
            return None, ints[0]
        return ints[0], (ints[1] if len(ints) > 1 else None)

    # ---------------------------------------------------------------- types
    def bool_type(self, meta: Any, c: list) -> ast.BoolType:
        return ast.BoolType(self._at(meta))

    def range_type(self, meta: Any, c: list) -> ast.RangeType:
        return ast.RangeType(c[0], c[1], self._at(meta))

    def enum_type(self, meta: Any, c: list) -> ast.EnumType:
        return ast.EnumType(c[0], self._at(meta))

    def named_type(self, meta: Any, c: list) -> ast.NamedType:
        return ast.NamedType(str(c[0]), self._at(meta))

    def symmetric_type(self, meta: Any, c: list) -> ast.SymmetricType:
        return ast.SymmetricType(c[1], self._at(meta))

    def option_type(self, meta: Any, c: list) -> ast.OptionType:
        return ast.OptionType(c[0], self._at(meta))

    def record_type(self, meta: Any, c: list) -> ast.RecordType:
        return ast.RecordType(tuple(c), self._at(meta))

    def field_type(self, meta: Any, c: list) -> tuple[str, ast.TypeExpr, Loc]:
        return str(c[0]), c[1], self._tloc(c[0])

    def map_type(self, meta: Any, c: list) -> ast.MapType:
        return ast.MapType(c[0], c[1], self._at(meta))

    def set_type(self, meta: Any, c: list) -> ast.SetType:
        return ast.SetType(c[0], self._at(meta))

    def seq_type(self, meta: Any, c: list) -> ast.SeqType:
        return ast.SeqType(c[0], c[1], self._at(meta))

    def domains(self, meta: Any, c: list) -> tuple[ast.TypeExpr, ...]:
        return tuple(c)

    def names(self, meta: Any, c: list) -> tuple:
        return tuple((self._decl_name(t), self._tloc(t)) for t in c)

    # ---------------------------------------------------------------- statements
    def block(self, meta: Any, c: list) -> tuple[ast.Stmt, ...]:
        return tuple(c)

    def assign(self, meta: Any, c: list) -> ast.Assign:
        return ast.Assign(c[0], c[1], self._at(meta))

    def skip(self, meta: Any, c: list) -> ast.Skip:
        return ast.Skip(self._at(meta))

    def goto(self, meta: Any, c: list) -> ast.Goto:
        return ast.Goto(str(c[0]), self._at(meta))

    def await_(self, meta: Any, c: list) -> ast.Await:
        return ast.Await(c[0], self._at(meta))

    def assert_(self, meta: Any, c: list) -> ast.Assert:
        msg = _unescape(c[1]) if c[1] is not None else None
        return ast.Assert(c[0], msg, self._at(meta))

    def lock(self, meta: Any, c: list) -> ast.LockStmt:
        return ast.LockStmt(c[0], self._at(meta))

    def unlock(self, meta: Any, c: list) -> ast.UnlockStmt:
        return ast.UnlockStmt(c[0], self._at(meta))

    def return_(self, meta: Any, c: list) -> ast.Return:
        return ast.Return(c[0], self._at(meta))

    def call_stmt(self, meta: Any, c: list) -> ast.CallStmt:
        return ast.CallStmt(c[0], self._at(meta))

    def if_stmt(self, meta: Any, c: list) -> ast.If:
        return ast.If(c[0], _stmts(c[1]), _stmts(c[2]), self._at(meta))

    def either_stmt(self, meta: Any, c: list) -> ast.Either:
        return ast.Either(tuple(c), self._at(meta))

    def with_stmt(self, meta: Any, c: list) -> ast.With:
        return ast.With(c[0], c[1], self._at(meta))

    def lv_name(self, meta: Any, c: list) -> ast.Name:
        return ast.Name(str(c[0]), self._at(meta))

    def lv_index(self, meta: Any, c: list) -> ast.Index:
        return ast.Index(c[0], c[1], self._at(meta))

    def lv_field(self, meta: Any, c: list) -> ast.Field:
        return ast.Field(c[0], str(c[1]), self._at(meta))

    # ---------------------------------------------------------------- expressions
    def quant(self, meta: Any, c: list) -> ast.Quant:
        return ast.Quant(c[0], c[1], c[2], self._at(meta))

    def quant_kw(self, meta: Any, c: list) -> str:
        return str(c[0])

    def binders(self, meta: Any, c: list) -> tuple[ast.Binder, ...]:
        return tuple(c)

    def binder(self, meta: Any, c: list) -> ast.Binder:
        return ast.Binder(self._decl_name(c[0]), c[1], self._at(meta))

    def let_expr(self, meta: Any, c: list) -> ast.Let:
        return ast.Let(tuple(c[:-1]), c[-1], self._at(meta))

    def let_binding(self, meta: Any, c: list) -> tuple[str, ast.Expr, Loc]:
        return self._decl_name(c[0]), c[1], self._tloc(c[0])

    def ite(self, meta: Any, c: list) -> ast.IfExpr:
        return ast.IfExpr(c[0], c[1], c[2], self._at(meta))

    def _bin(self, op: str, meta: Any, c: list) -> ast.BinOp:
        return ast.BinOp(op, c[0], c[-1], self._at(meta))

    def iff(self, meta: Any, c: list) -> ast.BinOp:
        return self._bin("<=>", meta, c)

    def implies(self, meta: Any, c: list) -> ast.BinOp:
        return self._bin("=>", meta, c)

    def or_(self, meta: Any, c: list) -> ast.BinOp:
        return self._bin("or", meta, c)

    def and_(self, meta: Any, c: list) -> ast.BinOp:
        return self._bin("and", meta, c)

    def inter(self, meta: Any, c: list) -> ast.BinOp:
        return self._bin("inter", meta, c)

    def range(self, meta: Any, c: list) -> ast.BinOp:
        return self._bin("..", meta, c)

    def subset_of(self, meta: Any, c: list) -> ast.SubsetOf:
        return ast.SubsetOf(c[0], self._at(meta))

    def fun_set(self, meta: Any, c: list) -> ast.FunSet:
        return ast.FunSet(c[0], c[1], self._at(meta))

    def record_set(self, meta: Any, c: list) -> ast.RecordSet:
        return ast.RecordSet(tuple(c), self._at(meta))

    def not_(self, meta: Any, c: list) -> ast.Unary:
        return ast.Unary("not", c[0], self._at(meta))

    def neg(self, meta: Any, c: list) -> ast.Expr:
        if isinstance(c[0], ast.Num):
            return ast.Num(-c[0].value, self._at(meta))
        return ast.Unary("-", c[0], self._at(meta))

    def compare(self, meta: Any, c: list) -> ast.BinOp:
        return ast.BinOp(c[1], c[0], c[2], self._at(meta))

    set_binop = arith_op = compare

    def compare_op(self, meta: Any, c: list) -> str:
        return str(c[0])

    set_op = add_op = mul_op = compare_op

    def index(self, meta: Any, c: list) -> ast.Index:
        return ast.Index(c[0], c[1], self._at(meta))

    def field(self, meta: Any, c: list) -> ast.Field:
        return ast.Field(c[0], str(c[1]), self._at(meta))

    def num(self, meta: Any, c: list) -> ast.Num:
        return ast.Num(_int(c[0]), self._at(meta))

    def true(self, meta: Any, c: list) -> ast.BoolLit:
        return ast.BoolLit(True, self._at(meta))

    def false(self, meta: Any, c: list) -> ast.BoolLit:
        return ast.BoolLit(False, self._at(meta))

    def name(self, meta: Any, c: list) -> ast.Name:
        return ast.Name(str(c[0]), self._at(meta))

    def call(self, meta: Any, c: list) -> ast.Call:
        return ast.Call(str(c[0]), c[1] or (), self._at(meta))

    def set_lit(self, meta: Any, c: list) -> ast.SetLit:
        return ast.SetLit(c[0] or (), self._at(meta))

    def seq_lit(self, meta: Any, c: list) -> ast.SeqLit:
        return ast.SeqLit(c[0] or (), self._at(meta))

    def record_lit(self, meta: Any, c: list) -> ast.RecordLit:
        """`{count: e, ...}`: a record whose first field is named by a keyword."""
        at = self._at(meta)
        return ast.RecordLit(((c[0], c[1], at), *c[2:]), at)

    def record_or_image(self, meta: Any, c: list) -> ast.Expr:
        """`{a: e, ...}`, a record, or `{e : x in S}`, the image of S by e (whose e is not
        a bare name: `{x : x in S}` is a record of one field x)."""
        head, value, fields = c[0], c[1], c[2:]
        at = self._at(meta)
        if isinstance(head, ast.Name):
            return ast.RecordLit(((head.name, value, head.loc), *fields), at)
        if fields:
            return self._bad(head.loc, "a record's field is named by a name, then ':'")
        return self.set_image(meta, [head, value])

    def set_image(self, meta: Any, c: list) -> ast.Expr:
        head, first, rest = c[0], c[1], c[2:]
        binder = self._binder_of(first)
        if binder is None:
            return self._bad(first.loc, "expected `x in S` after ':' in the set { e : x in S }")
        return ast.SetImage(head, (binder, *rest), self._at(meta))

    def set_filter(self, meta: Any, c: list) -> ast.Expr:
        binder = self._binder_of(c[0])
        if binder is None:
            return self._bad(c[0].loc, "expected `x in S` before '|' in the set { x in S | P }")
        return ast.SetFilter(binder, c[1], self._at(meta))

    def _binder_of(self, e: ast.Expr) -> ast.Binder | None:
        """`x in S` read as a binder of x over S (a comprehension's), else None."""
        if isinstance(e, ast.BinOp) and e.op == "in" and isinstance(e.left, ast.Name):
            return ast.Binder(e.left.name, e.right, e.left.loc)
        return None

    def _bad(self, loc: Loc, message: str) -> ast.SetLit:
        """A syntax error found by a transformer; the expression stands as `{}`."""
        self.errors.append(SpecError(loc, message))
        return ast.SetLit((), loc)

    def record_except(self, meta: Any, c: list) -> ast.RecordExcept:
        return ast.RecordExcept(c[0], tuple(c[1:]), self._at(meta))

    def field_value(self, meta: Any, c: list) -> tuple[str, ast.Expr, Loc]:
        return str(c[0]), c[1], self._at(meta)

    field_set = field_value

    def map_lit(self, meta: Any, c: list) -> ast.MapLit:
        pairs = c[:-1]
        binders = tuple(
            ast.Binder(self._decl_name(pairs[i]), pairs[i + 1], self._tloc(pairs[i]))
            for i in range(0, len(pairs), 2)
        )
        return ast.MapLit(binders, c[-1], self._at(meta))

    def map_except(self, meta: Any, c: list) -> ast.MapExcept:
        return ast.MapExcept(c[0], tuple(c[1:]), self._at(meta))

    def map_update(self, meta: Any, c: list) -> tuple[tuple[ast.Expr, ...], ast.Expr]:
        return c[0], c[1]

    def exprs(self, meta: Any, c: list) -> tuple[ast.Expr, ...]:
        return tuple(c)
