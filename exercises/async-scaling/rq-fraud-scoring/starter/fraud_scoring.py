"""The job function: keep it at module level, with JSON-friendly arguments and return value."""
from decimal import Decimal

FLAG_THRESHOLD = 70  # points out of 100


def score_transaction(txn: dict) -> dict:
    """Score a transaction dict: amount >= 10000 -> 50 points, country != home_country -> 30, card not present -> 20.

    Return {"transaction_id": ..., "score": points / 100, "flagged": points >= FLAG_THRESHOLD}.
    A malformed payload (a missing key) should simply raise: the worker records the failure.
    """
    points = 0
    if Decimal(txn["amount"]) >= Decimal("10000"):
        points += 50
    # TODO: the country and card_present rules
    return {"transaction_id": txn["transaction_id"], "score": points / 100, "flagged": points >= FLAG_THRESHOLD}
