"""Gunicorn settings for the container: uvicorn workers, graceful shutdown."""

import os

# In a container the API must listen on every interface to be reached through its published
# port (HOST's development default, 127.0.0.1, is for `make run`).
bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "uvicorn_worker.UvicornWorker"
# On SIGTERM, workers stop accepting, finish in-flight requests and run the app's shutdown
# (which cancels the outbox dispatcher and releases its lease) within this many seconds.
graceful_timeout = 30
timeout = 60
keepalive = 5
accesslog = None  # the app logs each request once, as JSON with its request id
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    # Prometheus multiprocess mode: a clean directory shared by all workers.
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        os.makedirs(path, exist_ok=True)
        for name in os.listdir(path):
            os.remove(os.path.join(path, name))


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
