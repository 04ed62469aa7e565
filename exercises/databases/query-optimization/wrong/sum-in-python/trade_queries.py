"""Trade queries: a composite index, an N+1 fix and SQL aggregates (SQLAlchemy 1.4 and 2.x)."""
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, func, select
from sqlalchemy.orm import declarative_base, relationship, selectinload

Base = declarative_base()


class Trader(Base):
    __tablename__ = "traders"

    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False, unique=True)
    trades = relationship("Trade", back_populates="trader", order_by="Trade.id")


class Trade(Base):
    __tablename__ = "trades"
    # Equality column first, range column second: `symbol = ? AND ts >= ? AND ts < ?` can then seek straight
    # to one symbol and read its time window in order (the leftmost-prefix rule).
    __table_args__ = (Index("ix_trades_symbol_ts", "symbol", "ts"),)

    id = Column(Integer, primary_key=True)
    trader_id = Column(Integer, ForeignKey("traders.id"), nullable=False)
    symbol = Column(String(12), nullable=False)
    ts = Column(DateTime, nullable=False)
    qty = Column(Integer, nullable=False)
    price_cents = Column(Integer, nullable=False)
    trader = relationship("Trader", back_populates="trades")


def trades_in_window(session, symbol, start, end):
    """Trades for `symbol` with start <= ts < end, oldest first."""
    stmt = (
        select(Trade)
        .where(Trade.symbol == symbol, Trade.ts >= start, Trade.ts < end)  # bound parameters, never f-strings
        .order_by(Trade.ts, Trade.id)
    )
    return session.scalars(stmt).all()


def traders_with_trades(session):
    """Every trader, ordered by name, with `.trades` already loaded."""
    # selectinload: one query for the traders, one `WHERE trader_id IN (...)` for all their trades.
    stmt = select(Trader).options(selectinload(Trader.trades)).order_by(Trader.name)
    return session.scalars(stmt).all()


def vwap(session, symbol):
    """Volume-weighted average price in dollars, rounded to 4 places; None when the symbol has no trades."""
    # The database does the summing; only two integers cross the wire. Dividing in Python keeps it exact
    # (SQLite would do integer division on two INTEGER sums).
    trades = session.scalars(select(Trade).where(Trade.symbol == symbol)).all()
    notional = sum(t.qty * t.price_cents for t in trades)
    volume = sum(t.qty for t in trades)
    if not volume:
        return None
    return (Decimal(notional) / Decimal(volume) / 100).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)
