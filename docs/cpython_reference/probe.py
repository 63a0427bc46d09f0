#!/usr/bin/env python3
"""Probe of CPython generator semantics, used as the reference for `yieldfrom`.

Run with `python3 probe.py` (the reference output was produced by CPython 3.11.7).
Every case prints exactly one line per operation:

    CASE <id>: result=<...> | state=<...> | effects=[...] | <extra key=value ...>

* result  -- `return <repr>` or `raise <ExcType> str=<repr of str(exc)>`
             (StopIteration also shows `value=`).
* state   -- inspect.getgeneratorstate(g) right after the operation.
* effects -- side effects recorded by generator bodies during the operation
             (bodies append to LOG, they never print).
* extra   -- case-specific observations (exception context/cause, states of
             other generators, captured stderr, ...).

Memory addresses are replaced by 0xADDR and file paths by `probe.py` so the
output is deterministic.
"""

import contextlib
import inspect
import io
import re
import sys
import traceback

LOG = []      # side effects of generator bodies, in order
HOLD = {}     # lets a generator body reach generator objects (itself, its delegator...)


def log(msg):
    LOG.append(msg)


# --------------------------------------------------------------------------
# formatting helpers
# --------------------------------------------------------------------------

_ADDR = re.compile(r"0x[0-9a-f]+")  # lowercase only, so "0xADDR" is not rewritten again
_FILE = re.compile(r'File "[^"]*probe\.py"')


def clean(text):
    text = _ADDR.sub("0xADDR", text)
    return _FILE.sub('File "probe.py"', text)


def fobj(v):
    """Deterministic short representation of a value."""
    if inspect.isgenerator(v):
        return f"<generator {v.__qualname__}>"
    if isinstance(v, BaseException):
        return f"{type(v).__name__}({str(v)!r})"
    return clean(repr(v))


def fexc(e):
    s = f"raise {type(e).__name__} str={str(e)!r}"
    if isinstance(e, StopIteration):
        s += f" value={fobj(e.value)}"
    return s


def attempt(thunk):
    try:
        return True, thunk()
    except BaseException as e:  # noqa: BLE001 - we want GeneratorExit too
        return False, e


def fres(ok, v):
    return f"return {fobj(v)}" if ok else fexc(v)


def st(g):
    return inspect.getgeneratorstate(g)


def chain(e):
    """__context__ / __cause__ / __suppress_context__ of an exception."""
    return {
        "ctx": fobj(e.__context__) if e.__context__ is not None else None,
        "cause": fobj(e.__cause__) if e.__cause__ is not None else None,
        "suppress_ctx": e.__suppress_context__,
    }


def attrs(g):
    return (f"gi_running={g.gi_running} gi_suspended={g.gi_suspended} "
            f"gi_frame_is_None={g.gi_frame is None} gi_yieldfrom={fobj(g.gi_yieldfrom)} "
            f"getgeneratorstate={st(g)}")


def outcome(result, state, effects, **extra):
    parts = [f"result={result}", f"state={state}", f"effects={effects!r}"]
    parts += [f"{k}={v}" for k, v in extra.items()]
    return clean(" | ".join(parts))


def do(g, thunk, extra=None):
    """Run one operation on generator g and describe what happened."""
    LOG.clear()
    ok, v = attempt(thunk)
    effects = list(LOG)
    state = st(g)
    ex = extra(ok, v) if extra else {}
    return outcome(fres(ok, v), state, effects, **ex)


def exc_extra(ok, v):
    return {} if ok else chain(v)


def try_log(prefix, thunk):
    """Used inside generator bodies: log what an operation returned/raised."""
    ok, v = attempt(thunk)
    log(f"{prefix} -> {fres(ok, v)}")


# --------------------------------------------------------------------------
# case registry
# --------------------------------------------------------------------------

CASES = []
GROUPS = {}


def group(gid, title):
    GROUPS[gid] = title


def case(cid, setup, operation):
    """Register a case.  `operation` is a string (the function returns one
    outcome string) or a list of step descriptions (the function returns a
    list of outcome strings, printed as <cid>.1, <cid>.2, ...)."""
    def deco(fn):
        CASES.append({"id": cid, "group": cid.split(".")[0], "setup": setup,
                      "op": operation, "fn": fn})
        return fn
    return deco


# ==========================================================================
# A. Core operations
# ==========================================================================

def core():
    log("body: start")
    x = yield 1
    log(f"body: x={x!r}")
    yield x
    log("body: before return 5")
    return 5


def dies():
    log("body: start")
    yield 1
    log("body: raising KeyError('boom')")
    raise KeyError("boom")


def mk_created():
    return core()


def mk_suspended():
    g = core()
    next(g)
    return g


def mk_returned():
    g = core()
    next(g)
    g.send("a")
    try:
        next(g)
    except StopIteration as e:
        assert e.value == 5
    else:
        raise AssertionError("core() should have returned")
    return g


def mk_closed():
    g = core()
    next(g)
    g.close()
    return g


def mk_errored():
    g = dies()
    next(g)
    try:
        next(g)
    except KeyError:
        pass
    else:
        raise AssertionError("dies() should have raised")
    return g


group("A1", "Core operations x states")

_CORE_SRC = ("core(): log start; x = yield 1; log x; yield x; log; return 5. "
             "dies(): log start; yield 1; raise KeyError('boom')")
MATRIX_STATES = [
    ("created", "g = core() (never started)", mk_created),
    ("suspended", "g = core(); next(g)  (suspended at `x = yield 1`)", mk_suspended),
    ("returned", "g = core(); next(g); g.send('a'); next(g) raised StopIteration(5)", mk_returned),
    ("closed", "g = core(); next(g); g.close()", mk_closed),
    ("errored", "g = dies(); next(g); next(g) raised KeyError('boom')", mk_errored),
]
MATRIX_OPS = [
    ("next", "next(g)"),
    ("sendNone", "g.send(None)"),
    ("send42", "g.send(42)"),
    ("throw", "g.throw(ValueError('x'))"),
    ("close", "g.close()"),
]


def matrix_case(mk, opname):
    g = mk()
    exc = ValueError("x")
    thunks = {
        "next": lambda: next(g),
        "sendNone": lambda: g.send(None),
        "send42": lambda: g.send(42),
        "throw": lambda: g.throw(exc),
        "close": lambda: g.close(),
    }
    extra = None
    if opname == "throw":
        extra = lambda ok, v: {"raised_is_thrown_object": (not ok) and v is exc}  # noqa: E731
    return do(g, thunks[opname], extra)


for _sname, _sdesc, _mk in MATRIX_STATES:
    for _oname, _odesc in MATRIX_OPS:
        case(f"A1.{_sname}.{_oname}", _sdesc, _odesc)(
            lambda _mk=_mk, _oname=_oname: matrix_case(_mk, _oname))


group("A2", "send(non-None) to a CREATED generator")


@case("A2", "g = core() (never started)", ["g.send(42)", "next(g)", "g.send('v')"])
def a2():
    g = core()
    return [do(g, lambda: g.send(42)), do(g, lambda: next(g)), do(g, lambda: g.send("v"))]


group("A3", "throw into a CREATED generator")


def top_effect():
    log("body: first statement")
    try:
        log("body: inside try")
        yield 1
    finally:
        log("body: finally")


@case("A3.a", "g = top_effect() (logs at top, then try/finally around yield)",
      ["g.throw(ValueError('x'))", "next(g)"])
def a3a():
    g = top_effect()
    return [do(g, lambda: g.throw(ValueError("x"))), do(g, lambda: next(g))]


@case("A3.b", "g = top_effect()", "g.throw(GeneratorExit)")
def a3b():
    g = top_effect()
    return do(g, lambda: g.throw(GeneratorExit))


@case("A3.c", "g = top_effect()", "g.throw(StopIteration('s'))")
def a3c():
    g = top_effect()
    return do(g, lambda: g.throw(StopIteration("s")), exc_extra)


group("A4", "close on a CREATED generator")


@case("A4", "g = top_effect() (try/finally at top)", ["g.close()", "next(g)", "g.close()"])
def a4():
    g = top_effect()
    return [do(g, lambda: g.close()), do(g, lambda: next(g)), do(g, lambda: g.close())]


group("A5", "close on a SUSPENDED generator")


def close_a():
    log("body: start")
    yield 1
    log("body: after yield (should not run)")


def close_b():
    try:
        yield 1
    except GeneratorExit:
        log("handler: caught GeneratorExit, returning")
        return


def close_c():
    try:
        yield 1
    except GeneratorExit:
        log("handler: caught GeneratorExit, return 'closing-value'")
        return "closing-value"


def close_d():
    try:
        yield 1
    except GeneratorExit:
        log("handler: caught GeneratorExit, raising ValueError")
        raise ValueError("raised in GeneratorExit handler")


def close_e1():
    try:
        yield 1
    except GeneratorExit:
        log("handler: caught GeneratorExit, yielding 'ignored'")
        yield "ignored"
        log("body: resumed after yield in handler, return 'r'")
        return "r"


def close_e2():
    try:
        yield 1
    except GeneratorExit:
        log("handler#1: caught GeneratorExit, yielding 'ignored'")
        try:
            yield "ignored"
        except GeneratorExit:
            log("handler#2: caught second GeneratorExit, return 'r2'")
            return "r2"


def close_f():
    try:
        log("body: in try")
        yield 1
    finally:
        log("finally: runs")


@case("A5.a", "close_a(): no try; next(g)", "g.close()")
def a5a():
    g = close_a()
    next(g)
    return do(g, lambda: g.close())


@case("A5.b", "close_b(): except GeneratorExit: return; next(g)", "g.close()")
def a5b():
    g = close_b()
    next(g)
    return do(g, lambda: g.close())


@case("A5.c", "close_c(): except GeneratorExit: return 'closing-value'; next(g)",
      ["g.close()", "next(g)"])
def a5c():
    g = close_c()
    next(g)
    return [do(g, lambda: g.close()), do(g, lambda: next(g))]


@case("A5.d", "close_d(): except GeneratorExit: raise ValueError(...); next(g)",
      ["g.close()", "g.close()"])
def a5d():
    g = close_d()
    next(g)
    return [do(g, lambda: g.close(), exc_extra), do(g, lambda: g.close())]


@case("A5.e1", "close_e1(): except GeneratorExit: yield 'ignored'; (no try) return 'r'; next(g)",
      ["g.close()", "g.close() (second)"])
def a5e1():
    g = close_e1()
    next(g)
    return [do(g, lambda: g.close(), lambda ok, v: dict(chain(v), attrs=attrs(g))),
            do(g, lambda: g.close())]


@case("A5.e2", "close_e2(): handler yields 'ignored' inside try/except GeneratorExit: return 'r2'; next(g)",
      ["g.close()", "g.close() (second)"])
def a5e2():
    g = close_e2()
    next(g)
    return [do(g, lambda: g.close()), do(g, lambda: g.close())]


@case("A5.e3", "close_e1(); next(g)", ["g.close()", "next(g) (resume after the ignored close)"])
def a5e3():
    g = close_e1()
    next(g)
    return [do(g, lambda: g.close()), do(g, lambda: next(g))]


@case("A5.f", "close_f(): try/finally that logs; next(g)", "g.close()")
def a5f():
    g = close_f()
    next(g)
    return do(g, lambda: g.close())


group("A6", "throw(ValueError('x')) into a SUSPENDED generator")


def thr_a():
    yield 1
    log("body: after yield (should not run)")


def thr_b():
    try:
        yield 1
    except ValueError as e:
        log(f"handler: caught {fobj(e)}, yield 2")
        yield 2


def thr_c():
    try:
        yield 1
    except ValueError as e:
        log(f"handler: caught {fobj(e)}, return 7")
        return 7


def thr_d():
    try:
        yield 1
    except ValueError as e:
        log(f"handler: caught {fobj(e)}, raise KeyError('k')")
        raise KeyError("k")


def _thr_case(genfn, with_chain=False):
    g = genfn()
    next(g)
    exc = ValueError("x")

    def extra(ok, v):
        d = {}
        if not ok:
            d["raised_is_thrown_object"] = v is exc
            if with_chain:
                d.update(chain(v))
                d["ctx_is_thrown_object"] = v.__context__ is exc
        return d
    return do(g, lambda: g.throw(exc), extra)


@case("A6.a", "thr_a(): no try; next(g)", "g.throw(ValueError('x'))")
def a6a():
    return _thr_case(thr_a)


@case("A6.b", "thr_b(): except ValueError: yield 2; next(g)", "g.throw(ValueError('x'))")
def a6b():
    return _thr_case(thr_b)


@case("A6.c", "thr_c(): except ValueError: return 7; next(g)", "g.throw(ValueError('x'))")
def a6c():
    return _thr_case(thr_c)


@case("A6.d", "thr_d(): except ValueError: raise KeyError('k'); next(g)", "g.throw(ValueError('x'))")
def a6d():
    return _thr_case(thr_d, with_chain=True)


group("A7", "throw(GeneratorExit) into a SUSPENDED generator")


def ge_yields():
    try:
        yield 1
    except GeneratorExit:
        log("handler: caught GeneratorExit, yield 'after-GE'")
        yield "after-GE"


@case("A7.a", "thr_a(): no try; next(g)", "g.throw(GeneratorExit)")
def a7a():
    g = thr_a()
    next(g)
    return do(g, lambda: g.throw(GeneratorExit))


@case("A7.b", "close_f(): try/finally; next(g)", "g.throw(GeneratorExit('bye'))")
def a7b():
    g = close_f()
    next(g)
    return do(g, lambda: g.throw(GeneratorExit("bye")))


@case("A7.c", "ge_yields(): except GeneratorExit: yield 'after-GE'; next(g)",
      "g.throw(GeneratorExit)")
def a7c():
    g = ge_yields()
    next(g)
    return do(g, lambda: g.throw(GeneratorExit))


group("A8", "Resuming a generator from inside its own body (RUNNING state)")


def self_resume(kind):
    me = HOLD["self"]
    log(f"inside: {attrs(me)}")
    ops = {
        "next": lambda: next(me),
        "send": lambda: me.send(None),
        "send1": lambda: me.send(1),
        "throw": lambda: me.throw(ValueError("inner-x")),
        "close": lambda: me.close(),
    }
    try_log(f"inside: {kind}", ops[kind])
    yield "after-attempt"
    log("body: resumed normally")


for _kind, _desc in [("next", "next(g)"), ("send", "g.send(None)"), ("send1", "g.send(1)"),
                     ("throw", "g.throw(ValueError('inner-x'))"), ("close", "g.close()")]:
    def _a8(_kind=_kind):
        g = self_resume(_kind)
        HOLD["self"] = g
        return [do(g, lambda: next(g)), do(g, lambda: next(g))]
    case(f"A8.{_kind}", f"body calls {_desc} on itself inside try, logs result, then yields",
         ["next(g)", "next(g)"])(_a8)


def self_resume_uncaught():
    me = HOLD["self"]
    log("body: calling next(me) without try")
    next(me)
    yield "unreachable"


@case("A8.uncaught", "body calls next(itself) with no try", ["next(g)", "next(g)"])
def a8u():
    g = self_resume_uncaught()
    HOLD["self"] = g
    return [do(g, lambda: next(g)), do(g, lambda: next(g))]


group("A9", "An exception escaping the body")


@case("A9", "g = dies()", ["next(g)", "next(g)", "next(g)", "g.send(None)",
                           "g.throw(ValueError('x'))", "g.close()"])
def a9():
    g = dies()
    return [do(g, lambda: next(g)), do(g, lambda: next(g)), do(g, lambda: next(g)),
            do(g, lambda: g.send(None)), do(g, lambda: g.throw(ValueError("x"))),
            do(g, lambda: g.close())]


group("A10", "Return values of finished generators")


def ret_none():
    yield 1
    return


def ret_tuple():
    yield 1
    return (1, 2)


def ret_exc():
    yield 1
    return ValueError("returned, not raised")


def _args_extra(ok, v):
    return {} if ok else {"args": fobj(v.args)}


@case("A10.a", "g = core()", ["next(g)", "g.send('a')", "next(g)", "next(g)", "g.send(None)"])
def a10a():
    g = core()
    return [do(g, lambda: next(g)), do(g, lambda: g.send("a")),
            do(g, lambda: next(g), _args_extra), do(g, lambda: next(g), _args_extra),
            do(g, lambda: g.send(None), _args_extra)]


@case("A10.b", "ret_none(): yield 1; return", ["next(g)", "next(g)"])
def a10b():
    g = ret_none()
    return [do(g, lambda: next(g)), do(g, lambda: next(g), _args_extra)]


@case("A10.c", "ret_tuple(): yield 1; return (1, 2)", ["next(g)", "next(g)"])
def a10c():
    g = ret_tuple()
    return [do(g, lambda: next(g)), do(g, lambda: next(g), _args_extra)]


@case("A10.d", "ret_exc(): yield 1; return ValueError('returned, not raised')", ["next(g)", "next(g)"])
def a10d():
    g = ret_exc()
    return [do(g, lambda: next(g)), do(g, lambda: next(g), _args_extra)]


group("A11", "Dropping (del) generators: finalization")


def drop_catch():
    try:
        yield 1
    except GeneratorExit:
        log("handler: caught GeneratorExit")


def drop_raise():
    try:
        yield 1
    except GeneratorExit:
        log("handler: caught GeneratorExit, raising ValueError")
        raise ValueError("raised in GeneratorExit handler")


def drop_yield():
    try:
        yield 1
    except GeneratorExit:
        log("handler: caught GeneratorExit, yield 'ignored'")
        yield "ignored"
        log("body: after ignored yield (should not run)")


def drop_finally():
    try:
        yield 1
    finally:
        log("finally: runs")


def _drop_stderr(genfn, start=True):
    g = genfn()
    if start:
        next(g)
    LOG.clear()
    buf = io.StringIO()
    with contextlib.redirect_stderr(buf):
        del g
    return outcome("n/a (del g, last reference)", "n/a (object freed)", list(LOG),
                   stderr=repr(clean(buf.getvalue())))


def _drop_hook(genfn):
    seen = []

    def hook(u):
        seen.append(f"exc_type={u.exc_type.__name__} exc_value={fobj(u.exc_value)} "
                    f"err_msg={u.err_msg!r} object={fobj(u.object)} "
                    f"exc_value.__context__={fobj(u.exc_value.__context__)}")
    g = genfn()
    next(g)
    LOG.clear()
    old = sys.unraisablehook
    sys.unraisablehook = hook
    try:
        del g
    finally:
        sys.unraisablehook = old
    return outcome("n/a (del g, last reference)", "n/a (object freed)", list(LOG),
                   unraisablehook=(seen[0] if seen else "not called"),
                   hook_calls=len(seen))


@case("A11.a", "drop_catch(): except GeneratorExit: log; next(g)", "del g (stderr captured)")
def a11a():
    return _drop_stderr(drop_catch)


@case("A11.b", "drop_raise(): except GeneratorExit: raise ValueError; next(g)", "del g (stderr captured)")
def a11b():
    return _drop_stderr(drop_raise)


@case("A11.c", "drop_yield(): except GeneratorExit: yield 'ignored'; next(g)", "del g (stderr captured)")
def a11c():
    return _drop_stderr(drop_yield)


@case("A11.d", "drop_finally(): try/finally; next(g)", "del g (stderr captured)")
def a11d():
    return _drop_stderr(drop_finally)


@case("A11.e", "drop_finally() never started (CREATED)", "del g (stderr captured)")
def a11e():
    return _drop_stderr(drop_finally, start=False)


@case("A11.f", "drop_raise(); next(g)", "del g (sys.unraisablehook replaced)")
def a11f():
    return _drop_hook(drop_raise)


@case("A11.g", "drop_yield(); next(g)", "del g (sys.unraisablehook replaced)")
def a11g():
    return _drop_hook(drop_yield)


group("A12", "StopIteration inside a generator body (PEP 479)")


def raise_stop():
    yield 1
    log("body: raise StopIteration('inner-stop')")
    raise StopIteration("inner-stop")


def next_exhausted():
    yield 1
    log("body: next(iter([]))")
    next(iter([]))


def stop_at_start():
    log("body: raise StopIteration at start")
    raise StopIteration
    yield  # pragma: no cover


@case("A12.a", "raise_stop(); next(g)", ["next(g)", "next(g)"])
def a12a():
    g = raise_stop()
    next(g)
    return [do(g, lambda: next(g), exc_extra), do(g, lambda: next(g))]


@case("A12.b", "next_exhausted(); next(g)", "next(g)")
def a12b():
    g = next_exhausted()
    next(g)
    return do(g, lambda: next(g), exc_extra)


@case("A12.c", "stop_at_start() (CREATED)", "next(g)")
def a12c():
    g = stop_at_start()
    return do(g, lambda: next(g), exc_extra)


@case("A12.d", "thr_a(): no try; next(g)", "g.throw(StopIteration('thrown'))")
def a12d():
    g = thr_a()
    next(g)
    return do(g, lambda: g.throw(StopIteration("thrown")), exc_extra)


group("A13", "gi_running / gi_suspended / gi_frame / gi_yieldfrom per state")


def attr_body():
    me = HOLD["attr"]
    log(f"inside (RUNNING): {attrs(me)}")
    yield 1
    return 5


@case("A13", "g = attr_body() (logs its own attributes from inside)",
      ["(nothing: CREATED)", "next(g) (SUSPENDED; RUNNING values logged from inside)",
       "next(g) (returned -> CLOSED)", "(closed via close())", "(died by exception)"])
def a13():
    out = []
    g = attr_body()
    HOLD["attr"] = g
    LOG.clear()
    out.append(outcome("n/a", st(g), [], attrs=attrs(g)))
    out.append(do(g, lambda: next(g), lambda ok, v: {"attrs": attrs(g)}))
    out.append(do(g, lambda: next(g), lambda ok, v: {"attrs": attrs(g)}))
    g2 = mk_suspended()
    out.append(do(g2, lambda: g2.close(), lambda ok, v: {"attrs": attrs(g2)}))
    g3 = mk_errored()
    out.append(outcome("n/a", st(g3), [], attrs=attrs(g3)))
    return out


group("A14", "Miscellaneous argument forms")


@case("A14.a", "thr_a(); next(g)", "g.throw(ValueError)  (class, not instance)")
def a14a():
    g = thr_a()
    next(g)
    return do(g, lambda: g.throw(ValueError))


@case("A14.b", "thr_a(); next(g)", "g.throw(42)  (not an exception)")
def a14b():
    g = thr_a()
    next(g)
    return do(g, lambda: g.throw(42))


@case("A14.c", "thr_a(); next(g)", "g.throw(ValueError, 'from-3-arg')  (deprecated signature)")
def a14c():
    g = thr_a()
    next(g)
    return do(g, lambda: g.throw(ValueError, "from-3-arg"))


# ==========================================================================
# B. yield from (PEP 380)
# ==========================================================================

def b_inner():
    log("inner: start")
    a = yield "i1"
    log(f"inner: got {a!r}")
    b = yield "i2"
    log(f"inner: got {b!r}")
    return "inner-ret"


def b_outer(it):
    log("outer: start")
    r = yield from it
    log(f"outer: r={r!r}")
    yield "o-after"
    return "outer-ret"


group("B1", "Delegation basics: next/send reach the inner, return value becomes r")


@case("B1", "inner = b_inner(); g = b_outer(inner)  (r = yield from inner)",
      ["next(g)", "g.send('A')", "g.send('B')", "next(g)", "next(g)"])
def b1():
    inner = b_inner()
    g = b_outer(inner)

    def ex(ok, v):
        return {"gi_yieldfrom": fobj(g.gi_yieldfrom), "inner_state": st(inner)}
    return [do(g, lambda: next(g), ex), do(g, lambda: g.send("A"), ex),
            do(g, lambda: g.send("B"), ex), do(g, lambda: next(g), ex),
            do(g, lambda: next(g), ex)]


group("B2", "send(non-None) to a delegator whose delegate is a plain iterator")


def d_range():
    log("outer: start")
    r = yield from range(3)
    log(f"outer: r={r!r}")
    yield "o-after"


def d_range_catch():
    try:
        r = yield from range(3)
        log(f"outer: r={r!r}")
    except AttributeError as e:
        log(f"outer: caught {fobj(e)} at yield from")
        yield "outer-recovered"


def d_list():
    yield from [10, 20]


@case("B2.a", "g = d_range(): r = yield from range(3), no try",
      ["next(g)", "g.send(5)", "next(g)"])
def b2a():
    g = d_range()
    return [do(g, lambda: next(g)), do(g, lambda: g.send(5), exc_extra), do(g, lambda: next(g))]


@case("B2.b", "g = d_range_catch(): try/except AttributeError around yield from range(3)",
      ["next(g)", "g.send(5)", "next(g)"])
def b2b():
    g = d_range_catch()
    return [do(g, lambda: next(g)), do(g, lambda: g.send(5)), do(g, lambda: next(g))]


@case("B2.c", "g = d_range()", ["next(g)", "g.send(None)", "next(g)", "next(g)"])
def b2c():
    g = d_range()
    return [do(g, lambda: next(g)), do(g, lambda: g.send(None)), do(g, lambda: next(g)),
            do(g, lambda: next(g))]


@case("B2.d", "g = d_list(): yield from [10, 20]", ["next(g)", "g.send(5)"])
def b2d():
    g = d_list()
    return [do(g, lambda: next(g)), do(g, lambda: g.send(5))]


@case("B2.e", "g = b_outer(b_inner()) never started", "g.send(5)")
def b2e():
    g = b_outer(b_inner())
    return do(g, lambda: g.send(5))


group("B3", "throw into a delegator")


def t_inner_catch_yield():
    try:
        yield "i1"
    except ValueError as e:
        log(f"inner: caught {fobj(e)}, yield 'inner-caught'")
        yield "inner-caught"
    log("inner: end")


def t_inner_nocatch():
    try:
        yield "i1"
    finally:
        log("inner: finally")


def t_inner_catch_return():
    try:
        yield "i1"
    except ValueError as e:
        log(f"inner: caught {fobj(e)}, return 'ret-from-throw'")
        return "ret-from-throw"


def t_inner_ge_yield():
    try:
        yield "i1"
    except GeneratorExit:
        log("inner: caught GeneratorExit, yield 'inner-ignored'")
        yield "inner-ignored"


def t_inner_ge_log():
    try:
        yield "i1"
    except BaseException as e:
        log(f"inner: caught {fobj(e)}")
        raise


def t_outer_plain(it):
    try:
        r = yield from it
        log(f"outer: r={r!r}")
        yield "o-after"
    finally:
        log("outer: finally")


def t_outer_catch(it):
    try:
        r = yield from it
        log(f"outer: r={r!r}")
    except ValueError as e:
        log(f"outer: caught {fobj(e)} at yield from")
        yield "outer-caught"


def t_outer_catch_any(it):
    try:
        r = yield from it
        log(f"outer: r={r!r}")
    except BaseException as e:
        log(f"outer: caught {fobj(e)} at yield from, re-raise")
        raise


def _b3(outer_fn, inner_fn, thunk_fn, inner_is_gen=True, make_exc=lambda: ValueError("x")):
    inner = inner_fn() if inner_is_gen else inner_fn
    g = outer_fn(inner)
    next(g)
    exc = make_exc()

    def ex(ok, v):
        d = {"inner_state": st(inner) if inner_is_gen else f"n/a ({fobj(inner)})",
             "gi_yieldfrom": fobj(g.gi_yieldfrom)}
        if not ok:
            d["raised_is_thrown_object"] = v is exc
        return d
    return do(g, lambda: thunk_fn(g, exc), ex)


@case("B3.a", "g = t_outer_plain(t_inner_catch_yield()); next(g)", "g.throw(ValueError('x'))")
def b3a():
    return _b3(t_outer_plain, t_inner_catch_yield, lambda g, e: g.throw(e))


@case("B3.b", "g = t_outer_catch(t_inner_nocatch()); next(g)  (outer: except ValueError: yield 'outer-caught')",
      "g.throw(ValueError('x'))")
def b3b():
    return _b3(t_outer_catch, t_inner_nocatch, lambda g, e: g.throw(e))


@case("B3.c", "g = t_outer_plain(t_inner_nocatch()); next(g)  (nobody catches)",
      "g.throw(ValueError('x'))")
def b3c():
    return _b3(t_outer_plain, t_inner_nocatch, lambda g, e: g.throw(e))


@case("B3.d", "g = t_outer_plain(t_inner_catch_return()); next(g)", "g.throw(ValueError('x'))")
def b3d():
    return _b3(t_outer_plain, t_inner_catch_return, lambda g, e: g.throw(e))


@case("B3.e", "it = iter(range(3)); g = t_outer_catch(it); next(g)", "g.throw(ValueError('x'))")
def b3e():
    it = iter(range(3))
    return _b3(t_outer_catch, it, lambda g, e: g.throw(e), inner_is_gen=False) + \
        f" | range_iterator_next_after={fobj(next(it, 'exhausted'))}"


@case("B3.f", "g = t_outer_plain(iter(range(3))); next(g)", "g.throw(ValueError('x'))")
def b3f():
    return _b3(t_outer_plain, iter(range(3)), lambda g, e: g.throw(e), inner_is_gen=False)


@case("B3.g", "g = t_outer_catch_any(t_inner_ge_log()); next(g)", "g.throw(GeneratorExit('ge'))")
def b3g():
    return _b3(t_outer_catch_any, t_inner_ge_log, lambda g, e: g.throw(e),
               make_exc=lambda: GeneratorExit("ge"))


@case("B3.h", "g = t_outer_catch_any(t_inner_ge_yield()); next(g)", "g.throw(GeneratorExit('ge'))")
def b3h():
    return _b3(t_outer_catch_any, t_inner_ge_yield, lambda g, e: g.throw(e),
               make_exc=lambda: GeneratorExit("ge"))


group("B4", "close on a delegator")


def c_inner_finally():
    try:
        yield "i1"
    finally:
        o, i = HOLD["outer"], HOLD["inner"]
        log(f"inner: finally (state(outer)={st(o)}, state(inner)={st(i)}, "
            f"outer.gi_running={o.gi_running})")


def c_outer_finally(it):
    try:
        yield from it
    finally:
        log("outer: finally")


def c_inner_raise():
    try:
        yield "i1"
    except GeneratorExit:
        log("inner: caught GeneratorExit, raise ValueError('inner-close-failed')")
        raise ValueError("inner-close-failed")


def c_inner_return():
    try:
        yield "i1"
    except GeneratorExit:
        log("inner: caught GeneratorExit, return 'inner-ret-on-close'")
        return "inner-ret-on-close"


def c_outer_return_on_value_error(it):
    try:
        r = yield from it
        log(f"outer: r={r!r}")
    except ValueError as e:
        log(f"outer: caught {fobj(e)}, return normally")
        return "outer-ret"


def c_outer_yield_on_value_error(it):
    try:
        r = yield from it
        log(f"outer: r={r!r}")
    except ValueError as e:
        log(f"outer: caught {fobj(e)}, yield 'outer-ignored'")
        yield "outer-ignored"


def _b4(outer_fn, inner_fn, inner_is_gen=True):
    inner = inner_fn() if inner_is_gen else inner_fn
    g = outer_fn(inner)
    HOLD["outer"], HOLD["inner"] = g, inner
    next(g)

    def ex(ok, v):
        d = {"inner_state": st(inner) if inner_is_gen else f"n/a ({fobj(inner)})"}
        if not ok:
            d.update(chain(v))
        return d
    return do(g, lambda: g.close(), ex)


@case("B4.a", "g = c_outer_finally(c_inner_finally()); next(g)", "g.close()")
def b4a():
    return _b4(c_outer_finally, c_inner_finally)


@case("B4.b", "g = t_outer_catch_any(c_inner_raise()); next(g)", "g.close()")
def b4b():
    return _b4(t_outer_catch_any, c_inner_raise)


@case("B4.c", "g = c_outer_return_on_value_error(c_inner_raise()); next(g)", "g.close()")
def b4c():
    return _b4(c_outer_return_on_value_error, c_inner_raise)


@case("B4.d", "g = c_outer_yield_on_value_error(c_inner_raise()); next(g)", "g.close()")
def b4d():
    return _b4(c_outer_yield_on_value_error, c_inner_raise)


@case("B4.e", "g = t_outer_catch_any(c_inner_return()); next(g)", "g.close()")
def b4e():
    return _b4(t_outer_catch_any, c_inner_return)


@case("B4.f", "g = t_outer_catch_any(t_inner_ge_yield()); next(g)", "g.close()")
def b4f():
    return _b4(t_outer_catch_any, t_inner_ge_yield)


@case("B4.g", "g = t_outer_catch_any(iter(range(3))); next(g)", "g.close()")
def b4g():
    return _b4(t_outer_catch_any, iter(range(3)), inner_is_gen=False)


group("B5", "Exceptions raised by the inner propagate to the outer")


def e_inner():
    yield "i1"
    log("inner: raise KeyError('inner-fail')")
    raise KeyError("inner-fail")


def e_inner_stop():
    yield "i1"
    log("inner: raise StopIteration('s')")
    raise StopIteration("s")


def e_outer_catch(it):
    try:
        r = yield from it
        log(f"outer: r={r!r}")
    except (KeyError, RuntimeError) as e:
        log(f"outer: caught {fobj(e)}")
        yield "outer-handled"


@case("B5.a", "g = e_outer_catch(e_inner())", ["next(g)", "next(g)", "next(g)"])
def b5a():
    g = e_outer_catch(e_inner())
    return [do(g, lambda: next(g)), do(g, lambda: next(g)), do(g, lambda: next(g))]


@case("B5.b", "g = b_outer(e_inner())  (outer does not catch)", ["next(g)", "next(g)"])
def b5b():
    g = b_outer(e_inner())
    return [do(g, lambda: next(g)), do(g, lambda: next(g))]


@case("B5.c", "g = e_outer_catch(e_inner_stop())  (inner raises StopIteration)", ["next(g)", "next(g)"])
def b5c():
    g = e_outer_catch(e_inner_stop())
    return [do(g, lambda: next(g)), do(g, lambda: next(g), exc_extra)]


group("B6", "gi_yieldfrom and states during delegation; inner resuming outer")


def s_inner():
    o, i = HOLD["outer"], HOLD["inner"]
    log(f"inner sees outer: {attrs(o)}")
    log(f"inner sees inner: {attrs(i)}")
    try_log("inner: next(outer)", lambda: next(o))
    try_log("inner: outer.send(None)", lambda: o.send(None))
    try_log("inner: outer.throw(ValueError('x'))", lambda: o.throw(ValueError("x")))
    try_log("inner: outer.close()", lambda: o.close())
    yield "i1"
    yield "i2"
    return "iret"


def s_outer(it):
    me = HOLD["outer"]
    log(f"outer: before yield from, gi_yieldfrom={fobj(me.gi_yieldfrom)}")
    r = yield from it
    log(f"outer: r={r!r}, gi_yieldfrom={fobj(me.gi_yieldfrom)}")
    yield "o1"


@case("B6.a", "inner = s_inner(); g = s_outer(inner)",
      ["(before start)", "next(g)", "next(g)", "next(g)", "next(g)"])
def b6a():
    inner = s_inner()
    g = s_outer(inner)
    HOLD["outer"], HOLD["inner"] = g, inner

    def ex(ok, v):
        return {"gi_yieldfrom": fobj(g.gi_yieldfrom),
                "gi_yieldfrom_is_inner": g.gi_yieldfrom is inner,
                "inner_state": st(inner)}
    out = [outcome("n/a", st(g), [], **ex(True, None))]
    out += [do(g, lambda: next(g), ex) for _ in range(4)]
    return out


@case("B6.b", "inner = b_inner(); g = b_outer(inner); next(g)  (g delegating to inner)",
      ["next(inner)  (advance the inner directly)", "next(g)"])
def b6b():
    inner = b_inner()
    g = b_outer(inner)
    next(g)

    def ex(ok, v):
        return {"outer_state": st(g), "gi_yieldfrom": fobj(g.gi_yieldfrom)}
    return [do(inner, lambda: next(inner), ex), do(inner, lambda: next(g), ex)]


@case("B6.c", "g = d_range(); next(g)", "(inspect)")
def b6c():
    g = d_range()
    next(g)
    return outcome("n/a", st(g), [], attrs=attrs(g))


group("B7", "yield from an already finished generator")


def exhausted_gen():
    yield 1
    return 5


def y_outer(it):
    r = yield from it
    log(f"outer: r={r!r}")
    yield "o-after"


@case("B7.a", "inner = exhausted_gen() run to StopIteration(5); g = y_outer(inner)", "next(g)")
def b7a():
    inner = exhausted_gen()
    for _ in inner:
        pass
    g = y_outer(inner)
    return do(g, lambda: next(g))


@case("B7.b", "inner = core(); next(inner); inner.close(); g = y_outer(inner)", "next(g)")
def b7b():
    inner = core()
    next(inner)
    inner.close()
    g = y_outer(inner)
    return do(g, lambda: next(g))


@case("B7.c", "g = y_outer(range(0))", "next(g)")
def b7c():
    g = y_outer(range(0))
    return do(g, lambda: next(g))


group("B8", "yield from a partially consumed (SUSPENDED) or running generator")


def partial_inner():
    log("inner: start")
    a = yield "p1"
    log(f"inner: resumed after p1 with {a!r}")
    b = yield "p2"
    log(f"inner: resumed after p2 with {b!r}")
    return "pret"


@case("B8.a", "inner = partial_inner(); next(inner) -> 'p1'; g = y_outer(inner)",
      ["next(g)", "g.send('S')", "next(g)"])
def b8a():
    inner = partial_inner()
    next(inner)
    g = y_outer(inner)
    return [do(g, lambda: next(g)), do(g, lambda: g.send("S")), do(g, lambda: next(g))]


def yield_from_self():
    log("body: yield from itself")
    yield from HOLD["self"]


@case("B8.b", "g = yield_from_self(): yield from g (itself)", ["next(g)", "next(g)"])
def b8b():
    g = yield_from_self()
    HOLD["self"] = g
    return [do(g, lambda: next(g)), do(g, lambda: next(g))]


group("B9", "Three-deep nesting a -> b -> c")


def n_c():
    log("c: enter")
    try:
        yield "c1"
        yield "c2"
        log("c: return 'c-ret'")
        return "c-ret"
    finally:
        log("c: finally")


def n_b():
    log("b: enter")
    try:
        cg = n_c()
        HOLD["c"] = cg
        r = yield from cg
        log(f"b: yield from returned {r!r}")
        yield "b1"
        log("b: return 'b-ret'")
        return "b-ret"
    finally:
        log("b: finally")


def n_a():
    log("a: enter")
    try:
        bg = n_b()
        HOLD["b"] = bg
        r = yield from bg
        log(f"a: yield from returned {r!r}")
        log("a: return 'a-ret'")
        return "a-ret"
    finally:
        log("a: finally")


def _n_extra(a):
    def ex(ok, v):
        b, c = HOLD.get("b"), HOLD.get("c")
        return {"states": f"a={st(a)} b={st(b) if b else '-'} c={st(c) if c else '-'}",
                "yieldfrom_chain": f"a->{fobj(a.gi_yieldfrom)} b->{fobj(b.gi_yieldfrom) if b else '-'}"}
    return ex


@case("B9.a", "g = n_a()", ["next(g)"] * 5)
def b9a():
    HOLD.pop("b", None)
    HOLD.pop("c", None)
    g = n_a()
    ex = _n_extra(g)
    return [do(g, lambda: next(g), ex) for _ in range(5)]


@case("B9.b", "g = n_a()", ["next(g)", "next(g)", "g.close()", "next(g)"])
def b9b():
    HOLD.pop("b", None)
    HOLD.pop("c", None)
    g = n_a()
    ex = _n_extra(g)
    return [do(g, lambda: next(g), ex), do(g, lambda: next(g), ex),
            do(g, lambda: g.close(), ex), do(g, lambda: next(g), ex)]


@case("B9.c", "g = n_a(); next(g)", "g.throw(ValueError('x'))")
def b9c():
    HOLD.pop("b", None)
    HOLD.pop("c", None)
    g = n_a()
    next(g)
    return do(g, lambda: g.throw(ValueError("x")), _n_extra(g))


group("B10", "The robot program")

ROBOT_DEFS = '''
import inspect
def robot_setting():
    yield from range(20)
def robot_worker():
    while True:
        try:
            task = yield
            if isinstance(task, int):
                print(task * 10)
            elif task == "Почистить кеш":
                print("Кеш очистен")
            elif task == "самодиагностика":
                yield from robot_setting()
        except GeneratorExit:
            print("Вы выключели РОБОТА!")
            return
robot = robot_worker()
if inspect.getgeneratorstate(robot) == 'GEN_CREATED':
    print("Готов к работе")
next(robot); robot.send(4); robot.send(2); next(robot)
robot.send("Почистить кеш"); robot.send("самодиагностика")
'''

ROBOT_SCRIPTS = {
    "original": ("for _ in range(20):\n    print(next(robot))\n"
                 "robot.send(4)\nrobot.close()\n"),
    "send_during_diag_at_start": "robot.send(4)\n",
    "send_during_diag_midway": ("for _ in range(5):\n    print(next(robot))\n"
                                "robot.send(4)\n"),
    "close_during_diag": ("for _ in range(5):\n    print(next(robot))\n"
                          "robot.close()\n"),
}


def _robot(tail, after=None):
    ns = {"__name__": "robot_program"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        ok, v = attempt(lambda: exec(ROBOT_DEFS + tail, ns))
    robot = ns["robot"]
    lines = out.getvalue().splitlines()
    extra = {}
    if not ok:
        extra.update(chain(v))
        frames = [f.name for f in traceback.extract_tb(v.__traceback__) if f.filename == "<string>"]
        extra["traceback_frames"] = " -> ".join(frames)
    extra["robot.gi_yieldfrom"] = fobj(robot.gi_yieldfrom)
    if after:
        out2 = io.StringIO()
        with contextlib.redirect_stdout(out2):
            ok2, v2 = attempt(lambda: robot.close())
        extra["then_robot.close()"] = fres(ok2, v2)
        extra["then_stdout"] = repr(out2.getvalue().splitlines())
        extra["then_state"] = st(robot)
    return outcome("completed" if ok else fexc(v), st(robot), lines, **extra)


@case("B10.original", "the robot program exactly as given", "run program (stdout captured)")
def b10a():
    return _robot(ROBOT_SCRIPTS["original"])


@case("B10.send_at_start", "program up to robot.send('самодиагностика'), then",
      "robot.send(4)  (range_iterator delegate at value 0); afterwards robot.close()")
def b10b():
    return _robot(ROBOT_SCRIPTS["send_during_diag_at_start"], after=True)


@case("B10.send_midway", "program up to robot.send('самодиагностика'), 5x print(next(robot)), then",
      "robot.send(4); afterwards robot.close()")
def b10c():
    return _robot(ROBOT_SCRIPTS["send_during_diag_midway"], after=True)


@case("B10.close_midway", "program up to robot.send('самодиагностика'), 5x print(next(robot)), then",
      "robot.close()")
def b10d():
    return _robot(ROBOT_SCRIPTS["close_during_diag"])


# ==========================================================================

def run_all():
    """Yield (printed_id, outcome) pairs for every registered case."""
    for c in CASES:
        HOLD.clear()
        LOG.clear()
        try:
            res = c["fn"]()
        except BaseException as e:  # a bug in the probe itself
            res = f"PROBE-ERROR {fexc(e)}"
        if isinstance(c["op"], list):
            if not isinstance(res, list) or len(res) != len(c["op"]):
                yield c["id"], f"PROBE-ERROR step count mismatch: {res!r}"
                continue
            for i, r in enumerate(res, 1):
                yield f"{c['id']}.{i}", r
        else:
            yield c["id"], res


def main():
    sys.stdout.reconfigure(encoding="utf-8")
    print(f"# CPython {sys.version.split()[0]} ({sys.implementation.name})")
    for cid, res in run_all():
        print(f"CASE {cid}: {res}")


if __name__ == "__main__":
    main()
