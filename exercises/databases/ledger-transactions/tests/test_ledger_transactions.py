"""Verifier for ledger-transactions: exact cents, atomic and idempotent transfers, DB constraints, 2.0-style queries."""
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import account_ledger as ledger
from account_ledger import Account, AccountNotFound, Base, InsufficientFunds, Transfer


@pytest.fixture(autouse=True)
def forbid_legacy_query(monkeypatch):
    def legacy_query(self, *args, **kwargs):
        raise AssertionError(
            "Session.query() is the legacy 1.x API: use session.execute(select(...)), session.scalars(...)"
            " or session.get(Model, id)"
        )

    monkeypatch.setattr(Session, "query", legacy_query)


@pytest.fixture
def session():
    engine = create_engine("sqlite://", future=True)
    Base.metadata.create_all(engine)
    with Session(engine, future=True) as s:
        yield s
    engine.dispose()


@pytest.fixture
def accounts(session):
    alice = ledger.open_account(session, "alice", 10_000)
    bob = ledger.open_account(session, "bob", 2_500)
    return alice, bob


def _transfer_count(session):
    return session.execute(select(func.count()).select_from(Transfer)).scalar_one()


def _balances(session, *ids):
    # A SQL query autoflushes whatever the session still holds, then reads the database.
    rows = dict(session.execute(select(Account.id, Account.balance_cents)).all())
    return [rows[i] for i in ids]


def _committed_balances(session, *ids):
    session.rollback()  # anything transfer() forgot to commit is thrown away here
    return _balances(session, *ids)


def test_transfer_moves_exact_cents(session, accounts):
    alice, bob = accounts
    transfer_id = ledger.transfer(session, alice, bob, 1_999, "t-1")
    assert isinstance(transfer_id, int), "transfer() must return the new transfer's integer id"
    assert _committed_balances(session, alice, bob) == [8_001, 4_499], (
        "after moving 1999 cents alice must have 8001 and bob 4499 (balances in integer cents, committed)"
    )
    row = session.get(Transfer, transfer_id)
    assert row is not None and row.amount_cents == 1_999, "a Transfer row must record amount_cents=1999"
    assert (row.from_account_id, row.to_account_id) == (alice, bob), "the Transfer row must record from/to ids"


def test_insufficient_funds_changes_nothing(session, accounts):
    alice, bob = accounts
    with pytest.raises(InsufficientFunds):
        ledger.transfer(session, bob, alice, 2_501, "t-overdraw")
    problem = None
    try:
        balances = _balances(session, alice, bob)
        transfers = _transfer_count(session)
    except Exception as exc:  # PendingRollbackError, or an autoflush of half-applied changes
        problem = type(exc).__name__
    if problem:
        pytest.fail(
            f"after InsufficientFunds the caller's next query failed with {problem}: the session still held a"
            " half-applied transfer. Check funds before changing anything and roll back on every error.",
            pytrace=False,
        )
    assert balances == [10_000, 2_500], "a failed transfer must not change any balance (roll back)"
    assert transfers == 0, "a failed transfer must not write a Transfer row"
    # The same session keeps working for the next request.
    ledger.transfer(session, bob, alice, 2_500, "t-exact")
    assert _committed_balances(session, alice, bob) == [12_500, 0], "transferring the whole balance must be allowed"


def test_replayed_idempotency_key_moves_money_once(session, accounts):
    alice, bob = accounts
    first = ledger.transfer(session, alice, bob, 500, "retry-42")
    second = ledger.transfer(session, alice, bob, 500, "retry-42")
    assert second == first, "replaying an idempotency key must return the first transfer's id"
    assert _committed_balances(session, alice, bob) == [9_500, 3_000], "a replayed key must move the money only once"
    assert _transfer_count(session) == 1, "a replayed key must not write a second Transfer row"
    third = ledger.transfer(session, alice, bob, 500, "retry-43")
    assert third != first, "a new key is a new transfer"


def test_idempotency_key_is_unique_in_the_database(session, accounts):
    alice, bob = accounts
    session.add_all([
        Transfer(idempotency_key="dup", from_account_id=alice, to_account_id=bob, amount_cents=1),
        Transfer(idempotency_key="dup", from_account_id=alice, to_account_id=bob, amount_cents=1),
    ])
    with pytest.raises(IntegrityError, match="(?i)unique"):
        session.flush()
    session.rollback()


@pytest.mark.parametrize("bad", [0, -5, 1.5, True], ids=["zero", "negative", "float", "bool"])
def test_bad_amounts_raise_value_error(session, accounts, bad):
    alice, bob = accounts
    with pytest.raises(ValueError):
        ledger.transfer(session, alice, bob, bad, f"bad-{bad!r}")
    assert _committed_balances(session, alice, bob) == [10_000, 2_500], f"amount {bad!r} must not move any money"
    assert _transfer_count(session) == 0, f"amount {bad!r} must not write a Transfer row"


def test_same_account_and_unknown_account(session, accounts):
    alice, _ = accounts
    with pytest.raises(ValueError):
        ledger.transfer(session, alice, alice, 100, "self")
    with pytest.raises(AccountNotFound):
        ledger.transfer(session, alice, 999, 100, "ghost")
    assert _committed_balances(session, alice) == [10_000], "a transfer to an unknown account must not debit the source"


def test_check_constraint_blocks_negative_balance(session, accounts):
    alice, _ = accounts
    account = session.get(Account, alice)
    account.balance_cents = -1
    with pytest.raises(IntegrityError, match="(?i)check"):
        session.flush()  # the database itself must refuse: add a CheckConstraint("balance_cents >= 0")
    session.rollback()


def test_owner_is_unique(session, accounts):
    with pytest.raises(IntegrityError, match="(?i)unique"):
        ledger.open_account(session, "alice", 0)
    session.rollback()
