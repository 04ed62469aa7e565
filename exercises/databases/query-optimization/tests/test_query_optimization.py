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


@pytest.fixture(autouse=True)
def forbid_legacy_query(monkeypatch):
    def legacy_query(self, *args, **kwargs):
        raise AssertionError("Session.query() is the legacy API: use select() with session.execute()/scalars()")

    monkeypatch.setattr(Session, "query", legacy_query)


@pytest.fixture(scope="module")
def engine():
    engine = create_engine("sqlite://", future=True)
    Base.metadata.create_all(engine)
    with Session(engine, future=True) as s:
        for n in range(20):
            trader = Trader(name=f"trader-{n:02d}")
            s.add(trader)
            for k in range(3):
                symbol = "AAPL" if (n + k) % 2 == 0 else "MSFT"
                s.add(Trade(trader=trader, symbol=symbol, ts=DAY + timedelta(minutes=n * 3 + k),
                            qty=10 * (k + 1), price_cents=18_000 + n * 7 + k))
        # Known numbers for VWAP: 100 @ $100.00 and 200 @ $100.10 give 30,020.00 / 300 = $100.0666...
        quiet = Trader(name="zz-quiet")
        s.add(quiet)
        s.add_all([
            Trade(trader=quiet, symbol="VWAP", ts=DAY, qty=100, price_cents=10_000),
            Trade(trader=quiet, symbol="VWAP", ts=DAY + timedelta(minutes=1), qty=200, price_cents=10_010),
        ])
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


def test_trades_in_window_returns_the_right_rows(session):
    start, end = DAY + timedelta(minutes=3), DAY + timedelta(minutes=30)
    trades = tq.trades_in_window(session, "AAPL", start, end)
    got = [(t.symbol, t.ts) for t in trades]
    expected = sorted(
        (("AAPL", DAY + timedelta(minutes=n * 3 + k)) for n in range(20) for k in range(3)
         if (n + k) % 2 == 0 and start <= DAY + timedelta(minutes=n * 3 + k) < end),
        key=lambda row: row[1],
    )
    assert got == expected, "trades_in_window must return that symbol's trades with start <= ts < end, oldest first"
    assert all(isinstance(t, Trade) for t in trades), "trades_in_window must return Trade objects"
    assert tq.trades_in_window(session, "AAPL", end, end) == [], "an empty window [end, end) returns []"


def test_window_query_uses_the_composite_index(engine, session):
    with captured_sql(engine) as statements:
        tq.trades_in_window(session, "MSFT", DAY, DAY + timedelta(hours=1))
    assert statements, "trades_in_window must run a query"
    sql, params = statements[-1]
    with engine.connect() as conn:
        plan = [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all()]
    uses_index = any("ix_trades_symbol_ts" in line for line in plan)
    assert uses_index, f"the window query must use an index named ix_trades_symbol_ts; the plan was {plan}"
    assert any("ix_trades_symbol_ts (symbol=?" in line for line in plan), (
        f"the index must seek on symbol first, then the ts range (leftmost prefix: Index(..., 'symbol', 'ts'));"
        f" the plan was {plan}"
    )


def test_traders_with_trades_is_not_n_plus_one(engine, session):
    with captured_sql(engine) as statements:
        traders = tq.traders_with_trades(session)
        counts = {t.name: len(t.trades) for t in traders}
    assert [t.name for t in traders][:3] == ["trader-00", "trader-01", "trader-02"], "traders must be ordered by name"
    assert len(counts) == 21 and all(counts[f"trader-{n:02d}"] == 3 for n in range(20)), (
        "every trader must come back with all 3 of their trades"
    )
    assert len(statements) <= 2, (
        f"loading 21 traders and their trades took {len(statements)} SQL statements: that is the N+1 problem."
        " Load the relationship eagerly with .options(selectinload(Trader.trades))"
    )


def test_vwap_is_exact_and_computed_in_sql(engine, session):
    loaded = []

    def on_load(target, context):
        loaded.append(target)

    event.listen(Trade, "load", on_load)
    try:
        with captured_sql(engine) as statements:
            result = tq.vwap(session, "VWAP")
    finally:
        event.remove(Trade, "load", on_load)
    assert isinstance(result, Decimal), f"vwap must return a Decimal, got {type(result).__name__}"
    assert result == Decimal("100.0667"), (
        f"VWAP of 100 @ $100.00 and 200 @ $100.10 is SUM(qty*price)/SUM(qty) = $100.0667 (4 places, half-even);"
        f" got {result}. Weight each price by its qty, and divide the two integer sums as Decimals (in SQL,"
        " INTEGER / INTEGER truncates on SQLite with SQLAlchemy 1.4)"
    )
    assert not loaded, f"vwap loaded {len(loaded)} Trade objects: let the database sum (func.sum) instead"
    assert len(statements) == 1 and "sum(" in statements[0][0].lower(), (
        "vwap must be one SQL query that aggregates with SUM(...), not a loop in Python"
    )


def test_vwap_of_unknown_symbol_is_none(session):
    assert tq.vwap(session, "NOPE") is None, "vwap of a symbol with no trades must be None (not 0, not an error)"


def test_injection_string_is_just_a_symbol(session):
    trades = tq.trades_in_window(session, INJECTION, DAY - timedelta(days=1), DAY + timedelta(days=1))
    assert trades == [], (
        f"trades_in_window({INJECTION!r}) returned {len(trades)} rows: the symbol was pasted into the SQL."
        " Use bound parameters (Trade.symbol == symbol), never f-strings"
    )
    assert tq.vwap(session, INJECTION) is None, "vwap must bind the symbol as a parameter too"
