"""Account ledger: integer-cent balances, atomic and idempotent transfers.

Write this against SQLAlchemy's 2.0-style API so it runs on 1.4 (`future=True`) and 2.x:
`declarative_base` from sqlalchemy.orm, `Column`, `select()`, `session.execute()/scalars()/get()`.
`Session.query` is forbidden by the verifier.
"""
from sqlalchemy import Column, ForeignKey, Integer, String, select  # noqa: F401  (select: you will need it)
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class InsufficientFunds(Exception):
    """The source account cannot cover the transfer."""


class AccountNotFound(LookupError):
    """No account has the given id."""


class Account(Base):
    __tablename__ = "accounts"
    # TODO: a CHECK constraint so the database itself refuses a negative balance.

    id = Column(Integer, primary_key=True)
    owner = Column(String(100), nullable=False)  # TODO: unique
    balance_cents = Column(Integer, nullable=False, default=0)


class Transfer(Base):
    __tablename__ = "transfers"

    id = Column(Integer, primary_key=True)
    idempotency_key = Column(String(64), nullable=False)  # TODO: unique
    from_account_id = Column(Integer, ForeignKey("accounts.id"), nullable=False)
    to_account_id = Column(Integer, ForeignKey("accounts.id"), nullable=False)
    amount_cents = Column(Integer, nullable=False)


def open_account(session, owner, balance_cents=0):
    """Create an account, commit, and return its id."""
    account = Account(owner=owner, balance_cents=balance_cents)
    session.add(account)
    session.commit()
    return account.id


def balance(session, account_id):
    """The account's balance in cents; AccountNotFound if it does not exist."""
    raise NotImplementedError


def transfer(session, from_id, to_id, amount_cents, idempotency_key):
    """Move amount_cents between accounts atomically and idempotently; return the transfer id."""
    raise NotImplementedError
