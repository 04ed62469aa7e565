"""Trade queries: a composite index, an N+1 fix and SQL aggregates.

2.0-style SQLAlchemy that runs on 1.4 and 2.x: `select()`, `session.scalars()`, `session.execute()`.
`Session.query` is forbidden by the verifier.
"""
from decimal import Decimal  # noqa: F401  (vwap returns a Decimal)

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, func, select  # noqa: F401
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


class Trader(Base):
    __tablename__ = "traders"

    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False, unique=True)
    trades = relationship("Trade", back_populates="trader", order_by="Trade.id")


class Trade(Base):
    __tablename__ = "trades"
    # TODO: a composite index named ix_trades_symbol_ts that serves trades_in_window.

    id = Column(Integer, primary_key=True)
    trader_id = Column(Integer, ForeignKey("traders.id"), nullable=False)
    symbol = Column(String(12), nullable=False)
    ts = Column(DateTime, nullable=False)
    qty = Column(Integer, nullable=False)
    price_cents = Column(Integer, nullable=False)
    trader = relationship("Trader", back_populates="trades")


def trades_in_window(session, symbol, start, end):
    """Trades for `symbol` with start <= ts < end, oldest first."""
    raise NotImplementedError


def traders_with_trades(session):
    """Every trader, ordered by name, with `.trades` already loaded."""
    # `session.scalars(select(Trader))` alone would work, but then every `trader.trades` runs one more query.
    raise NotImplementedError


def vwap(session, symbol):
    """Volume-weighted average price in dollars, rounded to 4 places; None when the symbol has no trades."""
    raise NotImplementedError
