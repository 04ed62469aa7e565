"""Verifier for django-orm-accounts: the Django ORM on a private PostgreSQL (transactions, row locks, F(), aggregates,
select_related/prefetch_related proven by counting queries)."""
import threading
import time

import django
import pytest
from django.conf import settings
from roadmap_pytest import raises, service_missing

# Configure Django here and only here, once per process: several exercises may share one pytest process, and no
# other exercise uses Django. The database address is filled in by the `db` fixture (a private PostgreSQL).
if not settings.configured:
    settings.configure(
        DATABASES={"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "postgres", "USER": "postgres", "HOST": ""}},
        INSTALLED_APPS=[],
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    )
    django.setup()

from django.db import DatabaseError, IntegrityError, connection, connections, transaction  # noqa: E402
from django.db.models import F  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

import orm_accounts  # noqa: E402
from orm_accounts import Account, InsufficientFunds, Trade, Trader, Transfer  # noqa: E402


def install_app(module, label):
    """Register the module's models as an installed app after the fact. Django resolves reverse relations in
    queries (`Count("trades")` on Account) only for models of installed apps, and an app module that defines its
    models cannot be imported while Django is still setting up, so it is added here, once per process."""
    from django.apps import AppConfig, apps

    if label in apps.app_configs:
        return
    config = AppConfig(module.__name__, module)
    config.label = label
    config.apps = apps
    config.models = apps.all_models[label]
    apps.app_configs[label] = config
    apps.clear_cache()


install_app(orm_accounts, "django_orm_accounts")

MODELS = [Trader, Account, Trade, Transfer]
LOCK_WAIT_LIMIT = 15  # seconds; only reached when something is wrong


@pytest.fixture(scope="module", autouse=True)
def db(postgres_dsn):
    if django.VERSION < (4, 2):
        try:
            import psycopg2  # noqa: F401
        except ImportError:
            service_missing("Django < 4.2 talks to PostgreSQL through psycopg2: install it (Debian/Ubuntu: sudo apt-get install"
                            " python3-psycopg2; pip: psycopg2-binary)")
    params = dict(part.split("=", 1) for part in postgres_dsn.split())
    settings.DATABASES["default"].update(HOST=params["host"], NAME=params["dbname"], USER=params["user"])
    connections.close_all()
    with connection.schema_editor() as editor:
        for model in MODELS:
            editor.create_model(model)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION roadmap_injected_failure() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'injected failure (a trigger of the verifier)'; END $$"
        )
    yield
    connections.close_all()


@pytest.fixture(autouse=True)
def empty_tables(db):
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in MODELS)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    yield
    with connection.cursor() as cursor:
        for model in (Account, Transfer):
            cursor.execute(f"DROP TRIGGER IF EXISTS roadmap_fail ON {connection.ops.quote_name(model._meta.db_table)}")


def account(balance, trader="alice", currency="USD"):
    owner, _ = Trader.objects.get_or_create(name=trader)
    return Account.objects.create(trader=owner, currency=currency, balance_cents=balance).pk


def balance(account_id):
    return Account.objects.values_list("balance_cents", flat=True).get(pk=account_id)


def balances(*ids):
    return [balance(i) for i in ids]


def run_while_row_changed(account_id, change_cents, fn):
    """Change the account's balance in a transaction that stays open, run `fn` in another thread (its own
    connection), and commit only once that thread is waiting for our row lock (or finished without waiting).
    Returns (waited, outcome) where outcome is ("value", v) or ("error", exc)."""
    outcome = []

    def target():
        try:
            outcome.append(("value", fn()))
        except BaseException as exc:  # reported to the test, not lost in the thread
            outcome.append(("error", exc))
        finally:
            connections.close_all()

    worker = threading.Thread(target=target, daemon=True)
    waited = False
    with transaction.atomic():
        Account.objects.filter(pk=account_id).update(balance_cents=F("balance_cents") + change_cents)
        worker.start()
        deadline = time.monotonic() + LOCK_WAIT_LIMIT
        with connection.cursor() as cursor:
            while worker.is_alive() and time.monotonic() < deadline:
                cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
                if cursor.fetchone()[0]:
                    waited = True
                    break
                time.sleep(0.005)
    worker.join(LOCK_WAIT_LIMIT)
    assert not worker.is_alive(), "the call was still blocked after the other transaction committed"
    return waited, outcome[0]


def add_trigger(model, when):
    table = connection.ops.quote_name(model._meta.db_table)
    event = "UPDATE" if model is Account else "INSERT"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TRIGGER roadmap_fail BEFORE {event} ON {table} FOR EACH ROW WHEN ({when})"
                       " EXECUTE FUNCTION roadmap_injected_failure()")


def drop_trigger(model):
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER IF EXISTS roadmap_fail ON {connection.ops.quote_name(model._meta.db_table)}")


def queries_of(fn):
    with CaptureQueriesContext(connection) as captured:
        result = fn()
    return result, len(captured.captured_queries)


# --- models ------------------------------------------------------------------------------------------------------


@pytest.mark.rule("models")
def test_models_have_the_fields_and_relations():
    for model in MODELS:
        assert model._meta.app_label == "django_orm_accounts", f"{model.__name__} needs Meta.app_label = 'django_orm_accounts'"
    alice = Trader.objects.create(name="alice")
    acct = Account.objects.create(trader=alice, currency="EUR", balance_cents=250)
    other = Account.objects.create(trader=alice, currency="USD", balance_cents=0)
    trade = Trade.objects.create(account=acct, symbol="SAP", qty=3, price_cents=12050)
    move = Transfer.objects.create(source=acct, target=other, amount_cents=10)
    assert list(alice.accounts.order_by("pk")) == [acct, other], "Account.trader needs related_name='accounts'"
    assert list(acct.trades.all()) == [trade], "Trade.account needs related_name='trades'"
    assert list(acct.transfers_out.all()) == [move] and list(other.transfers_in.all()) == [move], (
        "Transfer.source and Transfer.target need related_name='transfers_out' and 'transfers_in'"
    )
    big = 5_000_000_000  # $50M in cents: more than a 32-bit integer column holds
    try:
        rich = Account.objects.create(trader=alice, currency="USD", balance_cents=big)
        Trade.objects.create(account=rich, symbol="BRK.A", qty=1, price_cents=big)
        Transfer.objects.create(source=rich, target=other, amount_cents=big)
    except DatabaseError as exc:
        pytest.fail(f"5,000,000,000 cents must fit: balance_cents, price_cents and amount_cents are BigIntegerField ({exc})",
                    pytrace=False)
    assert balance(rich.pk) == big, f"balance_cents must store {big} exactly, got {balance(rich.pk)}"
    with raises(IntegrityError, "Trader.name must be unique in the database"):
        with transaction.atomic():
            Trader.objects.create(name="alice")


@pytest.mark.rule("balance-check")
def test_the_database_refuses_a_negative_balance():
    acct = account(100)
    Account.objects.filter(pk=acct).update(balance_cents=0)
    assert balance(acct) == 0, "a balance of exactly 0 must be allowed"
    with raises(IntegrityError, "the database must refuse balance_cents = -1 (a CheckConstraint on Account)"):
        with transaction.atomic():
            Account.objects.filter(pk=acct).update(balance_cents=-1)
    with raises(IntegrityError, "creating an account with a negative balance must fail in the database"):
        with transaction.atomic():
            account(-5, trader="bob")


# --- amounts -----------------------------------------------------------------------------------------------------

BAD_AMOUNTS = [0, -5, 1.5, True, "100", None]


@pytest.mark.rule("amounts-validated")
@pytest.mark.parametrize("cents", BAD_AMOUNTS, ids=[repr(c) for c in BAD_AMOUNTS])
def test_bad_amounts_are_refused_everywhere(cents):
    a, b = account(1000), account(1000, trader="bob")
    assert orm_accounts.deposit(a, 1) == 1001, "deposit(a, 1) must work and return the new balance 1001"
    for name, call in [("deposit", lambda: orm_accounts.deposit(a, cents)), ("withdraw", lambda: orm_accounts.withdraw(a, cents)),
                       ("transfer", lambda: orm_accounts.transfer(a, b, cents))]:
        with CaptureQueriesContext(connection) as captured:
            with raises(ValueError, f"{name} with cents={cents!r} must raise ValueError"):
                call()
        sent = [query["sql"] for query in captured.captured_queries]
        assert not sent, f"{name} must refuse cents={cents!r} before touching the database, but it sent {sent}"
    assert balances(a, b) == [1001, 1000], f"a refused amount must change no balance, got {balances(a, b)}"
    assert Transfer.objects.count() == 0, "a refused transfer must record nothing"


# --- deposit -----------------------------------------------------------------------------------------------------


@pytest.mark.rule("deposit")
def test_deposit_adds_and_returns_the_new_balance():
    a, b = account(1000), account(5, trader="bob")
    assert orm_accounts.deposit(a, 250) == 1250, "deposit(a, 250) on 1000 must return 1250"
    assert orm_accounts.deposit(a, 1) == 1251, "a second deposit must add to the first"
    assert balances(a, b) == [1251, 5], f"only the account deposited to changes, got {balances(a, b)}"
    with raises(Account.DoesNotExist, "deposit to an account id that does not exist must raise Account.DoesNotExist"):
        orm_accounts.deposit(999, 10)


@pytest.mark.rule("deposit-race-free")
def test_deposit_does_not_lose_a_concurrent_update():
    a = account(1000)
    assert orm_accounts.deposit(a, 100) == 1100, "deposit(a, 100) on 1000 must return 1100"
    # Another transaction adds 500 and has not committed yet when the deposit starts.
    waited, outcome = run_while_row_changed(a, 500, lambda: orm_accounts.deposit(a, 100))
    assert outcome[0] == "value", f"the deposit raised {outcome[1]!r}"
    assert balance(a) == 1700, (
        f"1100 + 500 (another transaction) + 100 must be 1700, got {balance(a)}: the deposit read the balance, then wrote"
        " old + 100 over the other transaction's change. Let the database add: update(balance_cents=F('balance_cents') + cents)"
    )
    assert outcome[1] == 1700, f"deposit must return the balance after its own update (1700), got {outcome[1]!r}"


# --- withdraw ----------------------------------------------------------------------------------------------------


@pytest.mark.rule("withdraw")
def test_withdraw_takes_out_down_to_exactly_zero():
    a, b = account(1000), account(1000, trader="bob")
    assert orm_accounts.withdraw(a, 300) == 700, "withdraw(a, 300) on 1000 must return 700"
    assert orm_accounts.withdraw(a, 700) == 0, "withdrawing exactly the whole balance must be allowed and leave 0"
    with raises(InsufficientFunds, "withdraw(a, 1) from a balance of 0 must raise InsufficientFunds"):
        orm_accounts.withdraw(a, 1)
    with raises(InsufficientFunds, "withdraw(b, 1001) from 1000 must raise InsufficientFunds"):
        orm_accounts.withdraw(b, 1001)
    assert balances(a, b) == [0, 1000], f"a refused withdrawal must change nothing, got {balances(a, b)}"
    with raises(Account.DoesNotExist, "withdraw from an account id that does not exist must raise Account.DoesNotExist"):
        orm_accounts.withdraw(999, 10)


@pytest.mark.rule("withdraw-race-free")
def test_withdraw_sees_a_concurrent_withdrawal_before_it_checks():
    a = account(1000)
    assert orm_accounts.withdraw(a, 100) == 900, "withdraw(a, 100) on 1000 must return 900"
    # Another transaction takes 600 (900 -> 300) and has not committed when our withdrawal of 500 starts.
    waited, outcome = run_while_row_changed(a, -600, lambda: orm_accounts.withdraw(a, 500))
    assert outcome[0] == "error" and isinstance(outcome[1], InsufficientFunds), (
        f"after a concurrent withdrawal of 600 only 300 is left: withdraw(a, 500) must wait for it and raise"
        f" InsufficientFunds, got {outcome[1]!r}. Read the balance with select_for_update() inside transaction.atomic()"
    )
    assert balance(a) == 300, f"the balance must stay 300, got {balance(a)}"


@pytest.mark.rule("withdraw-race-free")
def test_withdraw_subtracts_from_the_committed_balance():
    a = account(1000)
    waited, outcome = run_while_row_changed(a, -200, lambda: orm_accounts.withdraw(a, 500))
    assert outcome[0] == "value", f"1000 - 200 (concurrent) leaves 800: withdraw(a, 500) must succeed, got {outcome[1]!r}"
    assert balance(a) == 300, (
        f"1000 - 200 (another transaction) - 500 must be 300, got {balance(a)}: the withdrawal checked and wrote a"
        " balance it read before the other transaction committed"
    )
    assert outcome[1] == 300, f"withdraw must return the balance after it (300), got {outcome[1]!r}"


# --- transfer ----------------------------------------------------------------------------------------------------


@pytest.mark.rule("transfer")
def test_transfer_moves_cents_and_records_it():
    a, b, c = account(1000), account(50, trader="bob"), account(7, trader="carol")
    first = orm_accounts.transfer(a, b, 300)
    assert isinstance(first, Transfer) and first.pk, f"transfer must return the saved Transfer, got {first!r}"
    assert balances(a, b, c) == [700, 350, 7], f"300 must move from a to b and nothing else change, got {balances(a, b, c)}"
    second = orm_accounts.transfer(b, c, 350)
    assert balances(a, b, c) == [700, 0, 357], f"moving exactly the whole balance must be allowed, got {balances(a, b, c)}"
    rows = list(Transfer.objects.order_by("pk").values_list("source_id", "target_id", "amount_cents"))
    assert rows == [(a, b, 300), (b, c, 350)], f"each transfer must be recorded as (source, target, amount_cents), got {rows}"
    assert second.pk == Transfer.objects.order_by("pk").last().pk, "transfer must return the Transfer it recorded"


@pytest.mark.rule("transfer-insufficient")
def test_transfer_without_funds_changes_nothing():
    a, b = account(1000), account(50, trader="bob")
    orm_accounts.transfer(a, b, 1)
    with raises(InsufficientFunds, "transfer(a, b, 1000) from 999 must raise InsufficientFunds"):
        orm_accounts.transfer(a, b, 1000)
    assert balances(a, b) == [999, 51], f"a refused transfer must change no balance, got {balances(a, b)}"
    assert Transfer.objects.count() == 1, "a refused transfer must record no Transfer"


@pytest.mark.rule("transfer-atomic")
@pytest.mark.parametrize("failing", ["debit", "credit", "record"])
def test_a_failure_at_any_write_rolls_the_whole_transfer_back(failing):
    a, b = account(1000), account(50, trader="bob")
    if failing == "debit":
        add_trigger(Account, f"NEW.id = {a} AND NEW.balance_cents < OLD.balance_cents")
    elif failing == "credit":
        add_trigger(Account, f"NEW.id = {b} AND NEW.balance_cents > OLD.balance_cents")
    else:
        add_trigger(Transfer, "true")
    with raises(DatabaseError, f"a database error while writing the {failing} must propagate out of transfer()"):
        orm_accounts.transfer(a, b, 300)
    assert balances(a, b) == [1000, 50], (
        f"the {failing} failed, so the transfer must leave no trace, got balances {balances(a, b)}: wrap the whole"
        " transfer in transaction.atomic()"
    )
    assert Transfer.objects.count() == 0, f"the {failing} failed, so no Transfer may be recorded"
    drop_trigger(Transfer if failing == "record" else Account)
    orm_accounts.transfer(a, b, 300)
    assert balances(a, b) == [700, 350], f"after the failure, a transfer must work again, got {balances(a, b)}"


@pytest.mark.rule("transfer-checks")
def test_transfer_to_itself_or_an_unknown_account_is_refused():
    a, b = account(1000), account(50, trader="bob")
    with raises(ValueError, "a transfer from an account to itself must raise ValueError"):
        orm_accounts.transfer(a, a, 100)
    for source, target in [(a, 999), (999, b)]:
        with raises(Account.DoesNotExist, f"transfer({source}, {target}, 100) names an account that does not exist: raise Account.DoesNotExist"):
            orm_accounts.transfer(source, target, 100)
    assert balances(a, b) == [1000, 50], f"a refused transfer must change no balance, got {balances(a, b)}"
    assert Transfer.objects.count() == 0, "a refused transfer must record no Transfer"
    orm_accounts.transfer(a, b, 100)
    assert balances(a, b) == [900, 150], f"a valid transfer must still move the cents, got {balances(a, b)}"


# --- reports: aggregates and N+1 ---------------------------------------------------------------------------------


def book(traders=3, accounts_each=2, trades_each=3):
    """traders t0.. with accounts and trades; the last account of each trader has no trades; one trader has none."""
    ids = []
    for t in range(traders):
        owner = Trader.objects.create(name=f"t{t}")
        for n in range(accounts_each):
            acct = Account.objects.create(trader=owner, currency=["USD", "EUR"][n % 2], balance_cents=100 * t + n)
            ids.append(acct.pk)
            if n < accounts_each - 1:
                for k in range(trades_each):
                    Trade.objects.create(account=acct, symbol=["MSFT", "AAPL", "MSFT"][k % 3], qty=k + 1, price_cents=1000 + t)
    Trader.objects.create(name="zz-no-accounts")
    return ids


def expected_summaries():
    rows = []
    for acct in Account.objects.order_by("pk"):
        trades = list(Trade.objects.filter(account=acct))
        rows.append({"account_id": acct.pk, "trader": acct.trader.name, "currency": acct.currency, "trades": len(trades),
                     "notional_cents": sum(t.qty * t.price_cents for t in trades)})
    return rows


@pytest.mark.rule("account-summaries")
def test_account_summaries_count_and_sum_per_account():
    book()
    Trade.objects.create(account_id=Account.objects.order_by("pk").first().pk, symbol="NVDA", qty=7, price_cents=123456789)
    got = orm_accounts.account_summaries()
    expected = expected_summaries()
    assert got == expected, f"account_summaries() must list every account by id with its trades and notional:\nexpected {expected}\ngot      {got}"
    assert all(type(r["notional_cents"]) is int for r in got), "notional_cents must be an int (0, not None, for an account without trades)"


@pytest.mark.rule("account-summaries", "summaries-one-query")
@pytest.mark.parametrize("traders", [2, 6])
def test_account_summaries_take_one_query(traders):
    book(traders=traders)
    got, count = queries_of(orm_accounts.account_summaries)
    assert got == expected_summaries(), "account_summaries() must first be right (see the rule account-summaries)"
    assert count == 1, f"account_summaries() for {len(got)} accounts must run 1 query (annotate with Count and Sum), it ran {count}"


def expected_blotter(symbol=None):
    trades = Trade.objects.order_by("pk")
    return [{"trade_id": t.pk, "symbol": t.symbol, "qty": t.qty, "price_cents": t.price_cents, "account_id": t.account_id,
             "currency": t.account.currency, "trader": t.account.trader.name}
            for t in trades if symbol is None or t.symbol == symbol]


@pytest.mark.rule("trade-blotter")
def test_trade_blotter_lists_trades_with_account_and_trader():
    book()
    # Rewrite the first trades: PostgreSQL stores the new row versions at the end of the table, so only an
    # ORDER BY still lists them first.
    first_trades = list(Trade.objects.order_by("pk").values_list("pk", flat=True)[:2])
    Trade.objects.filter(pk__in=first_trades).update(qty=F("qty"))
    assert orm_accounts.trade_blotter() == expected_blotter(), (
        f"trade_blotter() must list every trade by id with its account's currency and trader:\nexpected {expected_blotter()}\n"
        f"got      {orm_accounts.trade_blotter()}"
    )
    for query, symbol in [("MSFT", "MSFT"), ("aapl", "AAPL"), (" msft ", "MSFT"), ("TSLA", "TSLA")]:
        got = orm_accounts.trade_blotter(query)
        assert got == expected_blotter(symbol), f"trade_blotter({query!r}) must list only {symbol} trades, got {got}"


@pytest.mark.rule("trade-blotter", "blotter-one-query")
@pytest.mark.parametrize("traders", [2, 6])
def test_trade_blotter_takes_one_query(traders):
    book(traders=traders)
    got, count = queries_of(orm_accounts.trade_blotter)
    assert got == expected_blotter(), "trade_blotter() must first be right (see the rule trade-blotter)"
    assert count == 1, f"trade_blotter() for {len(got)} trades must run 1 query (select_related), it ran {count}"
    got, count = queries_of(lambda: orm_accounts.trade_blotter("aapl"))
    assert count == 1, f"trade_blotter('aapl') must run 1 query, it ran {count}"


def expected_book():
    return [{"trader": t.name,
             "accounts": [{"account_id": a.pk, "currency": a.currency,
                           "symbols": sorted({tr.symbol for tr in Trade.objects.filter(account=a)})}
                          for a in Account.objects.filter(trader=t).order_by("pk")]}
            for t in Trader.objects.order_by("name")]


@pytest.mark.rule("trader-book")
def test_trader_book_nests_accounts_and_symbols():
    book()
    a_first = Trader.objects.create(name="a-first")
    for pk in (900001, 900000):  # created higher id first, so only an ORDER BY lists account 900000 first
        Account.objects.create(pk=pk, trader=a_first, currency="USD")
    got = orm_accounts.trader_book()
    assert got == expected_book(), f"trader_book() must nest accounts (by id) and their traded symbols (sorted, once) under each trader (by name):\nexpected {expected_book()}\ngot      {got}"


@pytest.mark.rule("trader-book", "book-three-queries")
@pytest.mark.parametrize("traders", [2, 6])
def test_trader_book_takes_at_most_three_queries(traders):
    book(traders=traders)
    got, count = queries_of(orm_accounts.trader_book)
    assert got == expected_book(), "trader_book() must first be right (see the rule trader-book)"
    assert count <= 3, f"trader_book() for {len(got)} traders must run at most 3 queries (prefetch_related), it ran {count}"
