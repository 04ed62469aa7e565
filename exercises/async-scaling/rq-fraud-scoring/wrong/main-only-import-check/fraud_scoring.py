"""The job function. It lives in an importable module, takes JSON-friendly arguments and returns JSON-friendly data,
because a worker in another process finds it again by its dotted path ("fraud_scoring.score_transaction")."""
from decimal import Decimal

FLAG_THRESHOLD = 70  # points out of 100


def score_transaction(txn: dict) -> dict:
    """Rule-based fraud score. Raises KeyError on a malformed payload (that job then fails, loudly)."""
    points = 0
    if Decimal(txn["amount"]) >= Decimal("10000"):
        points += 50
    if txn["country"] != txn["home_country"]:
        points += 30
    if not txn["card_present"]:
        points += 20
    # Integer points, divided once at the end: 50 + 30 + 20 is exactly 100, so the score is exactly 1.0.
    return {"transaction_id": txn["transaction_id"], "score": points / 100, "flagged": points >= FLAG_THRESHOLD}
