"""The AST transform: every shared-memory access of a module becomes a hook call.

Each rewrite keeps Python's evaluation order and evaluates every
sub-expression exactly once; the hooks (``access_hooks.py``) then perform the very
access the bytecode would have:

============================  ===============================================
``o.x``                       ``get_attr(o, "x", site)``
``o.m(args)``                 ``get_method(o, "m", site)(args)``
``o.x = v``                   ``set_attr(v, o, "x", site)`` (``v`` first, as Python)
``o.x += v``                  ``aug_attr_set(aug_attr_get(o, "x", s1), v, iadd, s2)``
``o[k]`` / ``o[k] = v``       ``get_item(o, k, site)`` / ``set_item(v, o, k, site)``
``a, o.x = ...``, ``del o.x`` ``a, target(o, site).x = ...``: the store goes
                              through a stand-in that offers, then stores
``g`` (a module global)       ``get_global(<module dict>, "g", site)``
``global g; g = v``           ``set_global(v, <module dict>, "g", site)``
``k in c``                    ``contains(k, c, site)``
``for x in c``                ``for x in iterate(c, site)`` (comprehensions too)
``[...]``, ``{...}``          ``born([...])``: a new object, private to its creator
``f(args)``                   ``callee(f, site)(args)`` for a local, a builtin that
                              may keep its arguments, or any other expression
============================  ===============================================

Hooks, sites and the module's globals dict are ``ast.Constant`` placeholders
(unique strings) that ``rewrite.py`` replaces in the compiled code objects'
``co_consts``: the module's namespace is never touched, and code objects
keep their names, locals, cells and free variables, so ``__code__`` can be
swapped in place.  Names are classified with ``symtable`` (what the compiler
itself decides), private names are mangled as the compiler does, patterns of
``match`` statements and annotations are left alone.
"""

from __future__ import annotations

import ast
import builtins
import os
import symtable
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from harness._engine.access import Site
from harness._engine.access_hooks import HOOKS, OPERATORS
from harness._engine.access_private import SAFE_CALLEE_NAMES

PREFIX = "\x00race-harness:"
GLOBALS = PREFIX + "globals"
_BUILTIN_NAMES = frozenset(dir(builtins))
_COMPREHENSIONS = {ast.ListComp: "listcomp", ast.SetComp: "setcomp", ast.DictComp: "dictcomp",
                   ast.GeneratorExp: "genexpr"}


class RewriteError(Exception):
    """The module cannot be rewritten faithfully (the harness refuses rather than guess)."""


class Constants:
    """The placeholders a rewritten module uses, and the objects that replace them."""

    def __init__(self) -> None:
        self.objects: dict[str, object] = {}
        self.sites: list[Site] = []

    def hook(self, name: str) -> ast.Constant:
        key = PREFIX + "hook:" + name
        self.objects[key] = HOOKS[name]
        return ast.Constant(key)

    def operator(self, op: ast.operator) -> ast.Constant:
        name = type(op).__name__
        key = PREFIX + "op:" + name
        self.objects[key] = OPERATORS[name]
        return ast.Constant(key)

    def site(self, site: Site) -> ast.Constant:
        key = f"{PREFIX}site:{len(self.sites)}"
        self.sites.append(site)
        self.objects[key] = site
        return ast.Constant(key)


class _Scope:
    """One symtable block and the child blocks not yet matched to their AST nodes."""

    def __init__(self, table: symtable.SymbolTable, name: str, class_name: str | None) -> None:
        self.table = table
        self.name = name
        self.class_name = class_name  # the innermost enclosing class, for name mangling
        self.children: dict[tuple[str, int], deque[symtable.SymbolTable]] = {}
        for child in table.get_children():
            self.children.setdefault((child.get_name(), child.get_lineno()), deque()).append(child)

    @property
    def kind(self) -> str:
        return str(self.table.get_type())


class Rewriter(ast.NodeTransformer):
    """Rewrites one module's AST (see the module docstring for the forms)."""

    def __init__(self, table: symtable.SymbolTable, filename: str, constants: Constants,
                 module_bound: frozenset[str]) -> None:
        self._file = os.path.basename(filename)
        self._k = constants
        self._module_bound = module_bound
        self._scopes = [_Scope(table, "<module>", None)]

    # -- scopes -------------------------------------------------------------
    @property
    def _scope(self) -> _Scope:
        return self._scopes[-1]

    @contextmanager
    def _enter(self, name: str, lineno: int, params: list[str] | None, is_class: bool = False
               ) -> Iterator[None]:
        """Enter the child block of the current scope made by the node at ``lineno``."""
        parent = self._scope
        queue = parent.children.get((name, lineno))
        if not queue:
            raise RewriteError(f"{self._file}:{lineno}: no symbol table block for {name!r}")
        table = queue.popleft()
        if params is not None and sorted(table.get_parameters()) != sorted(params):  # type: ignore[attr-defined]
            raise RewriteError(f"{self._file}:{lineno}: the symbol table of {name!r} does not match")
        class_name = name if is_class else parent.class_name
        self._scopes.append(_Scope(table, name, class_name))
        try:
            yield
        finally:
            self._scopes.pop()

    def _mangle(self, name: str) -> str:
        owner = self._scope.class_name
        if owner is None or not name.startswith("__") or name.endswith("__") or "." in name:
            return name
        stripped = owner.lstrip("_")
        return f"_{stripped}{name}" if stripped else name

    def _is_global(self, name: str) -> bool:
        """A name that this function-like scope reads from or writes to its module."""
        scope = self._scope
        if scope.kind != "function":
            return False
        try:
            symbol = scope.table.lookup(self._mangle(name))
        except KeyError:
            return False
        return symbol.is_global() and not symbol.is_local()

    def _is_builtin(self, name: str) -> bool:
        """A builtin the module never binds itself: loading it touches no module state."""
        return name in _BUILTIN_NAMES and name not in self._module_bound

    # -- helpers ------------------------------------------------------------
    def _site(self, node: ast.AST, name: str = "", op: str = "get") -> ast.Constant:
        line = getattr(node, "lineno", 0)
        return self._k.site(Site(name, op, self._file, line, self._scope.name))

    def _call(self, node: ast.AST, hook: str, *args: ast.expr) -> ast.Call:
        call = ast.Call(func=self._k.hook(hook), args=list(args), keywords=[])
        return ast.copy_location(call, node)

    def _globals(self) -> ast.Constant:
        return ast.Constant(GLOBALS)

    def _key(self, node: ast.expr) -> ast.expr:
        """A subscript's key as a value: ``a:b`` becomes ``slice(a, b, None)``."""
        if isinstance(node, ast.Slice):
            parts = [part if part is not None else ast.Constant(None)
                     for part in (node.lower, node.upper, node.step)]
            return ast.copy_location(ast.Call(func=self._k.hook("slice"), args=parts, keywords=[]), node)
        if isinstance(node, ast.Tuple) and any(isinstance(e, ast.Slice) for e in node.elts):
            return ast.copy_location(ast.Tuple(elts=[self._key(e) for e in node.elts], ctx=ast.Load()), node)
        return node

    def _body(self, statements: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for statement in statements:
            result = self.visit(statement)
            if isinstance(result, list):
                out.extend(result)
            elif result is not None:
                out.append(result)
        return out

    def _expr(self, node: ast.expr) -> ast.expr:
        result = self.visit(node)
        assert isinstance(result, ast.expr)
        return result

    # -- scope-making nodes ---------------------------------------------------
    def _arguments_defaults(self, args: ast.arguments) -> None:
        args.defaults = [self._expr(d) for d in args.defaults]
        args.kw_defaults = [None if d is None else self._expr(d) for d in args.kw_defaults]

    @staticmethod
    def _params(args: ast.arguments) -> list[str]:
        names = [a.arg for a in (*args.posonlyargs, *args.args)]
        if args.vararg is not None:
            names.append(args.vararg.arg)
        names += [a.arg for a in args.kwonlyargs]
        if args.kwarg is not None:
            names.append(args.kwarg.arg)
        return names

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
        self._arguments_defaults(node.args)
        node.decorator_list = [self._call(d, "callee", self._expr(d), self._site(d, op="call"))
                               for d in node.decorator_list]
        in_class = self._scope.kind == "class"
        params = [self._mangle(p) for p in self._params(node.args)]
        with self._enter(node.name, node.lineno, params):
            node.body = self._body(node.body)
        if in_class and node.name == "__init__" and params and (node.args.posonlyargs or node.args.args):
            self._insert_born_init(node)
        return node

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def _insert_born_init(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        first = (node.args.posonlyargs or node.args.args)[0].arg
        call = self._call(node, "born_init", ast.copy_location(ast.Name(first, ast.Load()), node))
        statement = ast.copy_location(ast.Expr(call), node.body[0])
        docstring = (isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
                     and isinstance(node.body[0].value.value, str))
        node.body.insert(1 if docstring else 0, statement)

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        self._arguments_defaults(node.args)
        with self._enter("lambda", node.lineno, [self._mangle(p) for p in self._params(node.args)]):
            node.body = self._expr(node.body)
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        node.bases = [self._expr(b) for b in node.bases]
        node.keywords = [self.visit(k) for k in node.keywords]
        node.decorator_list = [self._call(d, "callee", self._expr(d), self._site(d, op="call"))
                               for d in node.decorator_list]
        with self._enter(node.name, node.lineno, None, is_class=True):
            node.body = self._body(node.body)
        return node

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp
                       ) -> ast.AST:
        first = node.generators[0]
        first.iter = self._iterate(first.iter)  # evaluated in the enclosing scope
        with self._enter(_COMPREHENSIONS[type(node)], node.lineno, [".0"]):
            for index, generator in enumerate(node.generators):
                generator.target = self._expr(generator.target)
                if index:
                    generator.iter = self._iterate(generator.iter)
                generator.ifs = [self._expr(i) for i in generator.ifs]
            if isinstance(node, ast.DictComp):
                node.value = self._expr(node.value)
                node.key = self._expr(node.key)
            else:
                node.elt = self._expr(node.elt)
        if isinstance(node, ast.GeneratorExp):
            return node
        return self._call(node, "born", node)

    visit_ListComp = _comprehension
    visit_SetComp = _comprehension
    visit_DictComp = _comprehension
    visit_GeneratorExp = _comprehension

    def _iterate(self, node: ast.expr) -> ast.expr:
        return self._call(node, "iterate", self._expr(node), self._site(node, op="iter"))

    # -- loads ----------------------------------------------------------------
    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        value = self._expr(node.value)
        if isinstance(node.ctx, ast.Load):
            name = self._mangle(node.attr)
            return self._call(node, "get_attr", value, ast.Constant(name), self._site(node, name))
        node.value = self._call(node.value, "target", value, self._site(node, self._mangle(node.attr),
                                                                        _op(node.ctx)))
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        value = self._expr(node.value)
        key = self._expr(node.slice)
        if isinstance(node.ctx, ast.Load):
            return self._call(node, "get_item", value, self._key(key), self._site(node))
        node.value = self._call(node.value, "target", value, self._site(node, op=_op(node.ctx)))
        node.slice = key
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if not self._is_global(node.id):
            return node
        name = self._mangle(node.id)
        if isinstance(node.ctx, ast.Load):
            if self._is_builtin(name):
                return node
            return self._call(node, "get_global", self._globals(), ast.Constant(name), self._site(node, name))
        holder = self._call(node, "global_target", self._globals(), self._site(node, name, _op(node.ctx)))
        return ast.copy_location(ast.Subscript(value=holder, slice=ast.Constant(name), ctx=node.ctx), node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        node.func = self._callee(node.func)
        node.args = [self._expr(a) for a in node.args]
        node.keywords = [self.visit(k) for k in node.keywords]
        return node

    def _callee(self, func: ast.expr) -> ast.expr:
        if isinstance(func, ast.Attribute) and isinstance(func.ctx, ast.Load):
            name = self._mangle(func.attr)
            return self._call(func, "get_method", self._expr(func.value), ast.Constant(name),
                              self._site(func, name))
        if isinstance(func, ast.Name):
            if self._is_global(func.id):
                name = self._mangle(func.id)
                if self._is_builtin(name):
                    return func if name in SAFE_CALLEE_NAMES else self._call(func, "callee", func,
                                                                              self._site(func, name, "call"))
                return self._call(func, "get_global_callee", self._globals(), ast.Constant(name),
                                  self._site(func, name))
            if func.id in SAFE_CALLEE_NAMES and self._scope.kind != "function" and self._is_builtin(func.id):
                return func
        return self._call(func, "callee", self._expr(func), self._site(func, op="call"))

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        if len(node.ops) != 1 or not isinstance(node.ops[0], (ast.In, ast.NotIn)):
            return self.generic_visit(node)
        left, right = self._expr(node.left), self._expr(node.comparators[0])
        test = self._call(node, "contains", left, right, self._site(node, op="in"))
        if isinstance(node.ops[0], ast.NotIn):
            return ast.copy_location(ast.UnaryOp(op=ast.Not(), operand=test), node)
        return test

    def _display(self, node: ast.List | ast.Set | ast.Dict) -> ast.AST:
        if isinstance(node, ast.List) and not isinstance(node.ctx, ast.Load):
            return self.generic_visit(node)
        return self._call(node, "born", self.generic_visit(node))  # type: ignore[arg-type]

    visit_List = _display
    visit_Set = _display
    visit_Dict = _display

    # -- statements -------------------------------------------------------------
    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        if not all(self._simple_target(t) for t in node.targets):
            node.targets = [self._expr(t) for t in node.targets]
            node.value = self._expr(node.value)
            return node
        parts = [self._target_parts(t) for t in node.targets]
        expr = self._expr(node.value)
        for target, part in zip(node.targets, parts, strict=True):
            expr = self._store(target, expr, part)
        return ast.copy_location(ast.Expr(expr), node)

    def _simple_target(self, target: ast.expr) -> bool:
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            return True
        return isinstance(target, ast.Name) and self._is_global(target.id)

    def _target_parts(self, target: ast.expr) -> tuple[ast.expr, ...]:
        """The object and key expressions of a target, rewritten (in source order)."""
        if isinstance(target, ast.Attribute):
            return (self._expr(target.value),)
        if isinstance(target, ast.Subscript):
            return (self._expr(target.value), self._key(self._expr(target.slice)))
        return ()

    def _store(self, target: ast.expr, value: ast.expr, parts: tuple[ast.expr, ...]) -> ast.expr:
        if isinstance(target, ast.Attribute):
            name = self._mangle(target.attr)
            return self._call(target, "set_attr", value, parts[0], ast.Constant(name),
                              self._site(target, name, "set"))
        if isinstance(target, ast.Subscript):
            return self._call(target, "set_item", value, parts[0], parts[1], self._site(target, op="set"))
        assert isinstance(target, ast.Name)
        name = self._mangle(target.id)
        return self._call(target, "set_global", value, self._globals(), ast.Constant(name),
                          self._site(target, name, "set"))

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        target = node.target
        if isinstance(target, ast.Attribute):
            name = self._mangle(target.attr)
            obj = self._expr(target.value)
            read = self._call(target, "aug_attr_get", obj, ast.Constant(name), self._site(target, name))
            write = self._call(node, "aug_attr_set", read, self._expr(node.value), self._k.operator(node.op),
                               self._site(target, name, "set"))
            return ast.copy_location(ast.Expr(write), node)
        if isinstance(target, ast.Subscript):
            obj, key = self._expr(target.value), self._key(self._expr(target.slice))
            read = self._call(target, "aug_item_get", obj, key, self._site(target))
            write = self._call(node, "aug_item_set", read, self._expr(node.value), self._k.operator(node.op),
                               self._site(target, op="set"))
            return ast.copy_location(ast.Expr(write), node)
        if isinstance(target, ast.Name) and self._is_global(target.id):
            name = self._mangle(target.id)
            read = self._call(target, "get_global", self._globals(), ast.Constant(name),
                              self._site(target, name))
            combined = ast.copy_location(ast.Call(func=self._k.operator(node.op),
                                                  args=[read, self._expr(node.value)], keywords=[]), node)
            return ast.copy_location(ast.Expr(self._store(target, combined, ())), node)
        node.value = self._expr(node.value)
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        node.target = self._expr(node.target)  # type: ignore[assignment]  # a stand-in store
        if node.value is not None:
            node.value = self._expr(node.value)
        return node  # the annotation is left as written

    def visit_For(self, node: ast.For) -> ast.AST:
        node.target = self._expr(node.target)
        node.iter = self._iterate(node.iter)
        node.body = self._body(node.body)
        node.orelse = self._body(node.orelse)
        return node

    def visit_NamedExpr(self, node: ast.NamedExpr) -> ast.AST:
        node.value = self._expr(node.value)  # the target is a plain name (unseen if global)
        return node

    def visit_Match(self, node: ast.Match) -> ast.AST:
        node.subject = self._expr(node.subject)
        for case in node.cases:  # patterns must stay patterns
            if case.guard is not None:
                case.guard = self._expr(case.guard)
            case.body = self._body(case.body)
        return node

    def visit_arg(self, node: ast.arg) -> ast.AST:
        return node  # annotations are left as written


def _op(ctx: ast.expr_context) -> str:
    return "del" if isinstance(ctx, ast.Del) else "set"


def module_bound_names(tree: ast.Module) -> frozenset[str]:
    """Names the module binds at its top level (outside functions and classes) or declares
    ``global`` anywhere: a builtin of another name is never a module global."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            bound.update(node.names)
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
            continue
        if not isinstance(node, ast.Lambda):
            pending.extend(ast.iter_child_nodes(node))
    return frozenset(bound)


def rewrite(tree: ast.Module, table: symtable.SymbolTable, filename: str, constants: Constants) -> Any:
    """The rewritten module AST (``tree`` is changed in place)."""
    new = Rewriter(table, filename, constants, module_bound_names(tree)).visit(tree)
    return ast.fix_missing_locations(new)
