"""Verifier for query-optimization: index use, N+1 fix, SQL aggregates, bound parameters."""
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session

import trade_queries as tq
from trade_queries import Base, Trade, Trader

DAY = datetime(2024, 3, 1, 14, 30)  # naive UTC
INJECTION = "AAPL' OR '1'='1"
SYMBOL_TRADES = 20  # traders trader-00 .. trader-19, three AAPL/MSFT trades each


def _minute(m):
    return DAY + timedelta(minutes=m)


# Trades with known answers, as (symbol, qty, price_cents). They all belong to "zz-quiet".
VWAP_TRADES = [
    ("VWAP", 100, 10_000), ("VWAP", 200, 10_010),  # the README example: 30,020.00 / 300 = $100.0667
    ("MULTI", 100, 10_000), ("MULTI", 200, 10_010), ("MULTI", 50, 9_990),  # 35,015.00 / 350 = $100.042857...
    ("TIE0", 999, 10_000), ("TIE0", 1, 10_005),  # $100.00005 exactly: half-even keeps the even 0
    ("TIE1", 985, 10_000), ("TIE1", 15, 10_001),  # $100.00015 exactly: half-even goes up to the even 2
]


def _symbol_trades():
    """(trader number, symbol, ts) of every AAPL/MSFT trade."""
    return [(n, "AAPL" if (n + k) % 2 == 0 else "MSFT", _minute(n * 3 + k)) for n in range(SYMBOL_TRADES)
            for k in range(3)]


@pytest.fixture(autouse=True)
def legacy_query_calls(monkeypatch):
    """Session.query still works here, but every call is recorded for the 2.0-style test."""
    calls = []
    original = Session.query

    def recording_query(self, *args, **kwargs):
        calls.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Session, "query", recording_query)
    return calls


@pytest.fixture(scope="module")
def engine():
    engine = create_engine("sqlite://", future=True)
    Base.metadata.create_all(engine)
    with Session(engine, future=True) as s:
        # Inserted newest trader first, so neither insertion order nor ids match name or time order.
        traders = {n: Trader(name=f"trader-{n:02d}") for n in reversed(range(SYMBOL_TRADES))}
        s.add_all(traders.values())
        for n, symbol, ts in reversed(_symbol_trades()):
            s.add(Trade(trader=traders[n], symbol=symbol, ts=ts, qty=10 + n, price_cents=18_000 + n * 7))
        quiet = Trader(name="zz-quiet")
        s.add(quiet)
        for i, (symbol, qty, price) in enumerate(VWAP_TRADES):
            s.add(Trade(trader=quiet, symbol=symbol, ts=_minute(i), qty=qty, price_cents=price))
        s.add(Trader(name="aa-idle"))  # a trader with no trades at all
        s.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    with Session(engine, future=True) as s:  # a fresh identity map: nothing is preloaded
        yield s


@contextmanager
def captured_sql(engine):
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.mark.rule("window-results")
@pytest.mark.parametrize("symbol,first,last", [("AAPL", 4, 16), ("MSFT", 5, 17)])
def test_trades_in_window_is_half_open_and_oldest_first(session, symbol, first, last):
    # Both ends are times of real trades of the symbol: the one at `start` is in, the one at `end` is out.
    start, end = _minute(first), _minute(last)
    trades = list(tq.trades_in_window(session, symbol, start, end))
    assert all(isinstance(t, Trade) for t in trades), "trades_in_window must return Trade objects"
    got = [(t.symbol, t.ts) for t in trades]
    expected = sorted(((s, ts) for _, s, ts in _symbol_trades() if s == symbol and start <= ts < end),
                      key=lambda row: row[1])
    assert sorted(got, key=lambda row: row[1]) == expected, (
        f"trades_in_window({symbol!r}, {start:%H:%M}, {end:%H:%M}) must return exactly the {symbol} trades with start <= ts < end"
        f" (the trade at start is in, the one at end is out); got times {[ts.strftime('%H:%M') for _, ts in got]}"
    )
    assert got == expected, "trades_in_window must return the trades oldest first (ORDER BY ts), not by id"
    assert list(tq.trades_in_window(session, symbol, end, end)) == [], "an empty window [end, end) returns []"


@pytest.mark.rule("window-results")
def test_window_is_oldest_first_even_without_the_index():
    # Without an index SQLite reads the table in insertion order, so only an ORDER BY puts the trades in time order.
    engine = create_engine("sqlite://", future=True)
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        indexes = [row[0] for row in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'trades' AND sql IS NOT NULL")]
        for name in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
    try:
        with Session(engine, future=True) as s:
            solo = Trader(name="solo")
            s.add(solo)
            for m in (30, 10, 20, 0, 40):  # inserted out of time order
                s.add(Trade(trader=solo, symbol="AAPL", ts=_minute(m), qty=1, price_cents=100))
            s.commit()
            got = [t.ts.strftime("%H:%M") for t in tq.trades_in_window(s, "AAPL", _minute(0), _minute(40))]
    finally:
        engine.dispose()
    expected = [_minute(m).strftime("%H:%M") for m in (0, 10, 20, 30)]
    assert got == expected, (
        f"trades_in_window must return {expected} oldest first even when no index happens to return them in"
        f" time order (a table read gives insertion order): add ORDER BY ts; got {got}"
    )


@pytest.mark.rule("window-uses-index")
@pytest.mark.parametrize("symbol", ["MSFT", "AAPL"])
def test_window_query_seeks_the_composite_index(engine, session, symbol):
    with captured_sql(engine) as statements:
        tq.trades_in_window(session, symbol, DAY, _minute(60))
    assert statements, "trades_in_window must run a query"
    sql, params = statements[-1]
    with engine.connect() as conn:
        plan = [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all()]
    assert any("ix_trades_symbol_ts" in line for line in plan), (
        f"the window query must use an index named ix_trades_symbol_ts; the plan was {plan}"
    )
    assert any("ix_trades_symbol_ts (symbol=? AND ts>" in line for line in plan), (
        "the index must seek on symbol first and then on the ts range, which needs both columns in that order:"
        f" Index('ix_trades_symbol_ts', 'symbol', 'ts'). The plan was {plan}"
    )


@pytest.mark.rule("traders-complete-ordered")
def test_traders_come_back_ordered_by_name_with_all_their_trades(session):
    traders = list(tq.traders_with_trades(session))
    names = [t.name for t in traders]
    expected_names = ["aa-idle"] + [f"trader-{n:02d}" for n in range(SYMBOL_TRADES)] + ["zz-quiet"]
    assert sorted(names) == expected_names, (
        f"traders_with_trades must return every trader once, including one with no trades; got {sorted(names)}"
    )
    assert names == expected_names, f"traders must be ordered by name; got {names[:4]}..."
    by_name = {t.name: sorted((tr.symbol, tr.ts) for tr in t.trades) for t in traders}
    assert by_name["aa-idle"] == [], "a trader with no trades has an empty .trades"
    for n in (0, 7, 19):
        expected = sorted((s, ts) for m, s, ts in _symbol_trades() if m == n)
        assert by_name[f"trader-{n:02d}"] == expected, f"trader-{n:02d} must come back with exactly their own trades"
    assert len(by_name["zz-quiet"]) == len(VWAP_TRADES), "zz-quiet must come back with all their trades"


@pytest.mark.rule("traders-two-statements")
def test_traders_with_trades_is_not_n_plus_one(engine, session):
    with captured_sql(engine) as statements:
        traders = list(tq.traders_with_trades(session))
        counts = {t.name: len(t.trades) for t in traders}
    busy = {f"trader-{n:02d}": 3 for n in range(SYMBOL_TRADES)}
    busy["zz-quiet"] = len(VWAP_TRADES)
    assert {name: counts.get(name) for name in busy} == busy, (
        f"all {len(busy)} traders with trades must come back with all of their trades"
    )
    assert len(statements) <= 2, (
        f"loading {len(traders)} traders and reading their trades took {len(statements)} SQL statements: that is the"
        " N+1 problem. Load the relationship eagerly with .options(selectinload(Trader.trades))"
    )


def _vwap_counting(engine, session, symbol):
    loaded = []

    def on_load(target, context):
        loaded.append(target)

    event.listen(Trade, "load", on_load)
    try:
        with captured_sql(engine) as statements:
            result = tq.vwap(session, symbol)
    finally:
        event.remove(Trade, "load", on_load)
    return result, statements, loaded


@pytest.mark.rule("vwap-weighted")
@pytest.mark.parametrize("symbol,expected", [("VWAP", "100.0667"), ("MULTI", "100.0429")])
def test_vwap_weights_each_price_by_its_qty(session, symbol, expected):
    result = tq.vwap(session, symbol)
    trades = [(qty, Decimal(price) / 100) for s, qty, price in VWAP_TRADES if s == symbol]
    assert isinstance(result, Decimal), f"vwap must return a Decimal, got {type(result).__name__}"
    assert result == Decimal(expected), (
        f"VWAP of {' + '.join(f'{q} @ ${p}' for q, p in trades)} is SUM(qty*price)/SUM(qty) = ${expected}; got"
        f" {result}. Weight each price by its qty, and divide the two integer sums as Decimals (INTEGER / INTEGER"
        " truncates in SQLite)"
    )


@pytest.mark.rule("vwap-rounding", "vwap-weighted")
@pytest.mark.parametrize("symbol,expected,exact", [("TIE0", "100.0000", "100.00005"), ("TIE1", "100.0002", "100.00015")])
def test_vwap_rounds_half_even_to_4_places(session, symbol, expected, exact):
    result = tq.vwap(session, symbol)
    assert isinstance(result, Decimal), f"vwap must return a Decimal, got {type(result).__name__}"
    assert str(result) == expected, (
        f"the VWAP of {symbol} is exactly ${exact}: rounded to 4 places with ROUND_HALF_EVEN that is"
        f" {expected} (a tie goes to the even digit; quantize(Decimal('0.0001'), rounding=ROUND_HALF_EVEN)),"
        f" got {result}"
    )


@pytest.mark.rule("vwap-in-sql")
@pytest.mark.parametrize("symbol", ["VWAP", "MULTI"])
def test_vwap_is_one_aggregate_query(engine, session, symbol):
    result, statements, loaded = _vwap_counting(engine, session, symbol)
    assert isinstance(result, Decimal), f"vwap must return a Decimal, got {result!r}"
    assert not loaded, f"vwap loaded {len(loaded)} Trade objects: let the database sum (func.sum) instead"
    assert len(statements) == 1 and "sum(" in statements[0][0].lower(), (
        f"vwap must be one SQL query that aggregates with SUM(...); it sent {[s for s, _ in statements]}"
    )


@pytest.mark.rule("vwap-none")
def test_vwap_of_unknown_symbol_is_none(session):
    result = tq.vwap(session, "NOPE")
    assert result is None, f"vwap of a symbol with no trades must be None (not 0, not an error), got {result!r}"


@pytest.mark.rule("bound-parameters")
def test_injection_string_is_just_a_symbol_in_the_window(session):
    assert tq.trades_in_window(session, "AAPL", DAY, _minute(90)), "trades_in_window must find AAPL's trades"
    trades = list(tq.trades_in_window(session, INJECTION, DAY - timedelta(days=1), DAY + timedelta(days=1)))
    assert trades == [], (
        f"trades_in_window({INJECTION!r}) returned {len(trades)} rows: the symbol was pasted into the SQL."
        " Use bound parameters (Trade.symbol == symbol), never f-strings"
    )


@pytest.mark.rule("bound-parameters")
def test_injection_string_is_just_a_symbol_in_vwap(session):
    assert tq.vwap(session, "VWAP") is not None, "vwap must find VWAP's trades"
    result = tq.vwap(session, INJECTION)
    assert not result, (  # None, as for any symbol without trades (0 is left to the vwap-none test)
        f"vwap({INJECTION!r}) returned {result}: the symbol was pasted into the SQL. Bind it as a parameter"
    )


@pytest.mark.rule("no-legacy-query")
def test_every_function_uses_2_0_style_queries(session, legacy_query_calls):
    for call in (lambda: tq.trades_in_window(session, "AAPL", DAY, _minute(60)),
                 lambda: [len(t.trades) for t in tq.traders_with_trades(session)],
                 lambda: tq.vwap(session, "VWAP"),
                 lambda: tq.vwap(session, "NOPE")):
        try:
            call()
        except NotImplementedError:
            raise
        except Exception:  # the other tests judge the answers; this one only watches how the queries are made
            session.rollback()
    assert not legacy_query_calls, (
        f"Session.query() was called {len(legacy_query_calls)} time(s): it is the legacy 1.x API. Use"
        " session.scalars(select(...)) or session.execute(select(...))"
    )
