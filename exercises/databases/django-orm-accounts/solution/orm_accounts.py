"""Brokerage accounts on the Django ORM: atomic transfers, row locks, F() updates, aggregates, no N+1."""
import django
from django.db import models, transaction
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce

APP_LABEL = "django_orm_accounts"


class InsufficientFunds(Exception):
    """The account's balance is lower than the amount to take out."""


def _balance_not_negative():
    # Django 5.1 renamed CheckConstraint(check=...) to condition=; 3.2 only knows check=.
    keyword = "condition" if django.VERSION >= (5, 1) else "check"
    return models.CheckConstraint(name="account_balance_not_negative", **{keyword: Q(balance_cents__gte=0)})


class Trader(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        app_label = APP_LABEL


class Account(models.Model):
    trader = models.ForeignKey(Trader, on_delete=models.CASCADE, related_name="accounts")
    currency = models.CharField(max_length=3)
    balance_cents = models.BigIntegerField(default=0)

    class Meta:
        app_label = APP_LABEL
        constraints = [_balance_not_negative()]


class Trade(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="trades")
    symbol = models.CharField(max_length=10)
    qty = models.IntegerField()
    price_cents = models.BigIntegerField()

    class Meta:
        app_label = APP_LABEL


class Transfer(models.Model):
    source = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="transfers_out")
    target = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="transfers_in")
    amount_cents = models.BigIntegerField()

    class Meta:
        app_label = APP_LABEL


def _check_cents(cents):
    if isinstance(cents, bool) or not isinstance(cents, int) or cents <= 0:
        raise ValueError(f"amount must be a positive whole number of cents, got {cents!r}")


def deposit(account_id, cents):
    """Add cents in one UPDATE: the database adds to whatever the balance is when the row is written."""
    _check_cents(cents)
    updated = Account.objects.filter(pk=account_id).update(balance_cents=F("balance_cents") + cents)
    if not updated:
        raise Account.DoesNotExist(f"account {account_id} does not exist")
    return Account.objects.values_list("balance_cents", flat=True).get(pk=account_id)


def withdraw(account_id, cents):
    """Lock the row, check, write: no other transaction can change the balance between the check and the write."""
    _check_cents(cents)
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account_id)
        if account.balance_cents < cents:
            raise InsufficientFunds(f"account {account_id} has {account.balance_cents}, needs {cents}")
        account.balance_cents -= cents
        account.save(update_fields=["balance_cents"])
    return account.balance_cents


def transfer(source_id, target_id, cents):
    """Move cents and record the Transfer: all of it or none of it."""
    _check_cents(cents)
    if source_id == target_id:
        raise ValueError("source and target must be different accounts")
    with transaction.atomic():
        # Lock both rows in id order, so two opposite transfers cannot deadlock.
        locked = {a.pk: a for a in Account.objects.select_for_update().filter(pk__in=[source_id, target_id]).order_by("pk")}
        if source_id not in locked or target_id not in locked:
            raise Account.DoesNotExist(f"account {source_id if source_id not in locked else target_id} does not exist")
        source = locked[source_id]
        if source.balance_cents < cents:
            raise InsufficientFunds(f"account {source_id} has {source.balance_cents}, needs {cents}")
        Account.objects.filter(pk=source_id).update(balance_cents=F("balance_cents") - cents)
        Account.objects.filter(pk=target_id).update(balance_cents=F("balance_cents") + cents)
        return Transfer.objects.create(source_id=source_id, target_id=target_id, amount_cents=cents)


def account_summaries():
    """One query: every account with its trade count and notional, accounts without trades included."""
    rows = (
        Account.objects.annotate(
            trade_count=Count("trades"),
            notional=Coalesce(Sum(F("trades__qty") * F("trades__price_cents")), Value(0), output_field=models.BigIntegerField()),
        )
        .order_by("pk")
        .values("pk", "trader__name", "currency", "trade_count", "notional")
    )
    return [
        {"account_id": r["pk"], "trader": r["trader__name"], "currency": r["currency"], "trades": r["trade_count"],
         "notional_cents": r["notional"]}
        for r in rows
    ]


def trade_blotter(symbol=None):
    """One query: select_related follows the foreign keys in the same SELECT (a JOIN)."""
    trades = Trade.objects.select_related("account__trader").order_by("pk")
    if symbol is not None:
        trades = trades.filter(symbol=symbol.strip().upper())
    return [
        {"trade_id": t.pk, "symbol": t.symbol, "qty": t.qty, "price_cents": t.price_cents, "account_id": t.account_id,
         "currency": t.account.currency, "trader": t.account.trader.name}
        for t in trades
    ]


def trader_book():
    """Three queries whatever the number of rows: prefetch_related loads each reverse relation in one IN (...) query."""
    traders = Trader.objects.order_by("name").prefetch_related(
        models.Prefetch("accounts", queryset=Account.objects.order_by("pk").prefetch_related("trades"))
    )
    return [
        {"trader": trader.name,
         "accounts": [{"account_id": a.pk, "currency": a.currency, "symbols": sorted({t.symbol for t in a.trades.all()})}
                      for a in trader.accounts.all()]}
        for trader in traders
    ]
