"""Brokerage accounts on the Django ORM: atomic transfers, row locks, F() updates, aggregates, no N+1.

Django is configured by whoever imports this module (the verifier, or your own script): never call
settings.configure() here. Finish the models, then write the functions. See README.md.
"""
from django.db import models

APP_LABEL = "django_orm_accounts"


class InsufficientFunds(Exception):
    """The account's balance is lower than the amount to take out."""


class Trader(models.Model):
    name = models.CharField(max_length=100)  # TODO: unique

    class Meta:
        app_label = APP_LABEL


class Account(models.Model):
    trader = models.ForeignKey(Trader, on_delete=models.CASCADE)  # TODO: related_name
    currency = models.CharField(max_length=3)
    balance_cents = models.BigIntegerField(default=0)

    class Meta:
        app_label = APP_LABEL
        # TODO: a CheckConstraint that keeps balance_cents >= 0 in the database


class Trade(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE)  # TODO: related_name
    symbol = models.CharField(max_length=10)
    qty = models.IntegerField()
    price_cents = models.BigIntegerField()

    class Meta:
        app_label = APP_LABEL


class Transfer(models.Model):
    # TODO: source and target (foreign keys to Account, see README for their related names)
    amount_cents = models.BigIntegerField()

    class Meta:
        app_label = APP_LABEL


def deposit(account_id, cents):
    raise NotImplementedError("deposit: add cents with one UPDATE using F()")


def withdraw(account_id, cents):
    raise NotImplementedError("withdraw: lock the row, check the balance, subtract")


def transfer(source_id, target_id, cents):
    raise NotImplementedError("transfer: all of it in one transaction.atomic()")


def account_summaries():
    raise NotImplementedError("account_summaries: annotate with Count and Sum")


def trade_blotter(symbol=None):
    raise NotImplementedError("trade_blotter: select_related")


def trader_book():
    raise NotImplementedError("trader_book: prefetch_related")
