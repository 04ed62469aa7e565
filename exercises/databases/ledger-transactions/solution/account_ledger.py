"""Account ledger: integer-cent balances, atomic and idempotent transfers (SQLAlchemy 1.4 and 2.x)."""
from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class InsufficientFunds(Exception):
    """The source account cannot cover the transfer."""


class AccountNotFound(LookupError):
    """No account has the given id."""


class Account(Base):
    __tablename__ = "accounts"
    # The CHECK is the last line of defence: even a buggy code path cannot store a negative balance.
    __table_args__ = (CheckConstraint("balance_cents >= 0", name="ck_accounts_balance_nonnegative"),)

    id = Column(Integer, primary_key=True)
    owner = Column(String(100), nullable=False, unique=True)
    balance_cents = Column(Integer, nullable=False, default=0)


class Transfer(Base):
    __tablename__ = "transfers"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="ck_transfers_amount_positive"),)

    id = Column(Integer, primary_key=True)
    # UNIQUE makes the key safe even when two requests race past the "already done?" lookup.
    idempotency_key = Column(String(64), nullable=False, unique=True)
    from_account_id = Column(Integer, ForeignKey("accounts.id"), nullable=False)
    to_account_id = Column(Integer, ForeignKey("accounts.id"), nullable=False)
    amount_cents = Column(Integer, nullable=False)


def _check_cents(amount_cents):
    # bool is a subclass of int, so True would otherwise slip through as 1 cent.
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise ValueError(f"amount_cents must be an int number of cents, got {amount_cents!r}")
    if amount_cents <= 0:
        raise ValueError(f"amount_cents must be positive, got {amount_cents}")


def open_account(session, owner, balance_cents=0):
    """Create an account, commit, and return its id."""
    account = Account(owner=owner, balance_cents=balance_cents)
    session.add(account)
    session.commit()
    return account.id


def balance(session, account_id):
    """The account's balance in cents; AccountNotFound if it does not exist."""
    account = session.get(Account, account_id)
    if account is None:
        raise AccountNotFound(account_id)
    return account.balance_cents


def _existing_transfer_id(session, idempotency_key):
    return session.execute(
        select(Transfer.id).where(Transfer.idempotency_key == idempotency_key)
    ).scalar_one_or_none()


def transfer(session, from_id, to_id, amount_cents, idempotency_key):
    """Move amount_cents from one account to another in one transaction and return the transfer id.

    A key that was already used returns the first transfer's id and moves nothing. On any error the
    session is rolled back, so no half-applied transfer is left behind and the session stays usable.
    """
    _check_cents(amount_cents)
    if from_id == to_id:
        raise ValueError("cannot transfer to the same account")
    try:
        existing = _existing_transfer_id(session, idempotency_key)
        if existing is not None:
            return existing
        # Lock both rows (SELECT ... FOR UPDATE on Postgres/MySQL; SQLite locks the whole file) in id
        # order, so two opposite transfers cannot deadlock and no concurrent debit reads a stale balance.
        locked = {
            account_id: session.get(Account, account_id, with_for_update=True)
            for account_id in sorted((from_id, to_id))
        }
        source, target = locked[from_id], locked[to_id]
        if source is None or target is None:
            raise AccountNotFound(from_id if source is None else to_id)
        if source.balance_cents < amount_cents:
            raise InsufficientFunds(
                f"account {from_id} has {source.balance_cents} cents, needs {amount_cents}"
            )
        source.balance_cents -= amount_cents
        target.balance_cents += amount_cents
        record = Transfer(
            idempotency_key=idempotency_key,
            from_account_id=from_id,
            to_account_id=to_id,
            amount_cents=amount_cents,
        )
        session.add(record)
        session.commit()
        return record.id
    except IntegrityError:
        # Another request committed the same key between our lookup and our commit: replay its result.
        session.rollback()
        existing = _existing_transfer_id(session, idempotency_key)
        if existing is None:
            raise
        return existing
    except Exception:
        session.rollback()
        raise
