"""Gunicorn settings for the P&L API. A first attempt: see README.md for the rules it breaks.

Gunicorn executes this file and keeps every top-level name that is a Gunicorn setting.
"""
import multiprocessing

bind = "127.0.0.1:8000"
workers = multiprocessing.cpu_count()
timeout = 30
graceful_timeout = 30
max_request = 1000
