"""Small mechanical mutations of a reference solution, for `roadmap dev mutate`.

Usage: python roadmap_mutate.py <request.json>, a file holding
    {"max": 60, "out": "<folder>", "exercises": [{"id": "...", "dir": "<solution folder>", "files": ["a.py"]}]}
writes each mutated file to <out>/<exercise id>/<n>/<file>, and prints one JSON object:
    {"<exercise id>": {"generated": 143, "mutants": [{"file", "line", "kind", "from", "to"}, ...]}}
where mutant n is the n-th of the list. `from` and `to` are the code before and after, as `ast.unparse` writes it
(an author lists an equivalent mutant by file, from and to). Every mutant changes one place and still compiles.

Only the mutated node's own text is replaced in the file, so the rest of it stays byte for byte the same.
Skipped as pointless: docstrings and other strings, f-strings, type annotations, logging calls, dropping a
string argument (a message, key or route), any but the last positional argument or a descriptive keyword
(`title=`, `description=`, ...), `if __name__ == "__main__":` and `if TYPE_CHECKING:` blocks.
"""
import ast
import json
import os
import sys

KINDS = ("comparison", "boolean", "not", "boundary", "return", "statement", "argument")
FLIPPED = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}
LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log"}
# Keyword arguments that only describe (an app's title, a field's help text): dropping one changes no behaviour.
DESCRIPTIVE = {"title", "description", "summary", "version", "doc", "help"}
# A constant is shown with the expression around it, unless that is longer than this.
CONTEXT_CHARS = 80


class Mutant:
    def __init__(self, kind, line, start, end, replacement, before, after):
        self.kind, self.line = kind, line
        self.start, self.end, self.replacement = start, end, replacement
        self.before, self.after = before, after


def mutants_of(source):
    """Every mutant of one file's source, in the order of the code."""
    tree = ast.parse(source)
    offsets = _line_offsets(source)
    encoded = source.encode("utf-8")
    found = []

    def span(node):
        return (offsets[node.lineno - 1] + node.col_offset, offsets[node.end_lineno - 1] + node.end_col_offset)

    def expression(kind, node, show, edit):
        """Applies `edit` to the tree in place (it returns the undo), records the node's new text, then undoes."""
        before = ast.unparse(show)
        undo = edit()
        after, replacement = ast.unparse(show), ast.unparse(node)
        undo()
        if after != before:
            found.append(Mutant(kind, node.lineno, *span(node), f"({replacement})", before, after))

    def statement(kind, node, replacement):
        found.append(Mutant(kind, node.lineno, *span(node), replacement, ast.unparse(node), replacement))

    def visit(node, parent):
        if _skipped(node):
            return
        if isinstance(node, ast.Compare):
            for index, op in enumerate(node.ops):
                if type(op) in FLIPPED:
                    expression("comparison", node, node, _setter(node.ops, index, FLIPPED[type(op)]()))
        elif isinstance(node, ast.BoolOp):
            expression("boolean", node, node, _setter(node, "op", ast.Or() if isinstance(node.op, ast.And) else ast.And()))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            found.append(Mutant("not", node.lineno, *span(node), f"({ast.unparse(node.operand)})", ast.unparse(node), ast.unparse(node.operand)))
        elif _is_int(node) or (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and _is_int(node.operand)):
            constant = node if _is_int(node) else node.operand
            show = parent if _gives_context(parent) else node
            for delta in (1, -1):
                expression("boundary", node, show, _setter(constant, "value", constant.value + delta))
            return
        elif isinstance(node, ast.Return) and node.value is not None:
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, bool):
                statement("return", node, f"return {not value.value}")
            elif not (isinstance(value, ast.Constant) and value.value is None):
                statement("return", node, "return None")
        elif isinstance(node, ast.Expr) and isinstance(node.value, (ast.Call, ast.Await)):
            statement("statement", node, "pass")
        elif isinstance(node, ast.Raise):
            statement("statement", node, "pass")
        if isinstance(node, ast.Call):
            # Only the last positional argument: dropping an earlier one shifts the rest, which mostly just crashes.
            # A string there is a message, a key or a route: dropping it is a crash, or a message nobody checks.
            last = node.args[-1] if node.args else None
            if last is not None and not isinstance(last, ast.Starred) and not _is_text(last):
                expression("argument", node, node, _remover(node.args, len(node.args) - 1))
            for index, keyword in enumerate(node.keywords):
                if keyword.arg is not None and keyword.arg not in DESCRIPTIVE:
                    expression("argument", node, node, _remover(node.keywords, index))
        for child in _children(node):
            visit(child, node)

    visit(tree, None)
    unique, seen = [], set()
    for mutant in found:
        text = encoded[:mutant.start] + mutant.replacement.encode("utf-8") + encoded[mutant.end:]
        if text in seen:
            continue
        try:
            compile(text, "<mutant>", "exec")
        except SyntaxError:
            continue
        seen.add(text)
        mutant.text = text
        unique.append(mutant)
    return unique


def _children(node):
    """Child nodes worth mutating: never annotations, docstrings, f-strings or match patterns."""
    for field, value in ast.iter_fields(node):
        if field in ("annotation", "returns", "type_comment", "pattern"):
            continue
        values = value if isinstance(value, list) else [value]
        for child in values:
            if isinstance(child, ast.AST) and not _is_docstring(child):
                yield child


def _skipped(node):
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.If) and _is_main_guard(node.test):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and _is_logging(node.value):
        return True
    return isinstance(node, ast.Call) and _is_logging(node)


def _is_main_guard(test):
    source = ast.unparse(test)
    return source in ("__name__ == '__main__'", "TYPE_CHECKING", "typing.TYPE_CHECKING")


def _is_logging(call):
    """A call that writes a log line, or gets a logger."""
    func = call.func
    if isinstance(func, (ast.Attribute, ast.Name)) and (func.attr if isinstance(func, ast.Attribute) else func.id) == "getLogger":
        return True
    return isinstance(func, ast.Attribute) and func.attr in LOG_METHODS and "log" in ast.unparse(func.value).lower()


def _gives_context(parent):
    """Whether a constant is shown with its parent: an expression, `name=value` or a simple statement, if short."""
    simple = isinstance(parent, (ast.expr, ast.keyword)) or (isinstance(parent, ast.stmt) and not hasattr(parent, "body"))
    return simple and len(ast.unparse(parent)) <= CONTEXT_CHARS


def _is_docstring(node):
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _is_int(node):
    return isinstance(node, ast.Constant) and type(node.value) is int


def _is_text(node):
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def _setter(target, key, value):
    def edit():
        if isinstance(target, list):
            old = target[key]
            target[key] = value
            return lambda: target.__setitem__(key, old)
        old = getattr(target, key)
        setattr(target, key, value)
        return lambda: setattr(target, key, old)
    return edit


def _remover(items, index):
    def edit():
        removed = items.pop(index)
        return lambda: items.insert(index, removed)
    return edit


def _line_offsets(source):
    """Byte offset of each line's start: ast columns count UTF-8 bytes."""
    offsets, total = [], 0
    for line in source.encode("utf-8").splitlines(keepends=True):
        offsets.append(total)
        total += len(line)
    offsets.append(total)
    return offsets


def select(mutants, limit):
    """At most `limit` mutants: every kind gets a fair share (round robin over kinds), and within a kind the
    chosen ones are spread evenly over the file. Depends only on the code, so a rerun picks the same ones."""
    by_kind = {kind: [m for m in mutants if m.kind == kind] for kind in KINDS}
    quota = {kind: 0 for kind in KINDS}
    while sum(quota.values()) < min(limit, len(mutants)):
        for kind in KINDS:
            if quota[kind] < len(by_kind[kind]) and sum(quota.values()) < limit:
                quota[kind] += 1
    chosen = []
    for kind in KINDS:
        items, count = by_kind[kind], quota[kind]
        chosen += [items[i * len(items) // count] for i in range(count)]
    return sorted(chosen, key=lambda m: (m.file, m.start, KINDS.index(m.kind), m.after))


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        request = json.load(handle)
    report = {}
    for exercise in request["exercises"]:
        mutants = []
        for name in exercise["files"]:
            with open(os.path.join(exercise["dir"], name), encoding="utf-8") as handle:
                for mutant in mutants_of(handle.read()):
                    mutant.file = name
                    mutants.append(mutant)
        chosen = select(mutants, request["max"])
        for index, mutant in enumerate(chosen):
            target = os.path.join(request["out"], exercise["id"], str(index), mutant.file)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as handle:
                handle.write(mutant.text)
        report[exercise["id"]] = {
            "generated": len(mutants),
            "mutants": [{"file": m.file, "line": m.line, "kind": m.kind, "from": m.before, "to": m.after} for m in chosen],
        }
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
