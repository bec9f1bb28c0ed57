"""The edge's preStop drain: wait until this pod's disk buffer is forwarded to Kafka, or a deadline passes.

Kubernetes runs it when the pod starts terminating, at the same time as it takes the pod out of the
Service's endpoints. The edge keeps forwarding while it runs; SIGTERM (the edge then stops accepting and
fsyncs) comes only after this exits. So a pod a rollout, a scale-down or a node drain removes leaves an
empty buffer behind, and a pod whose buffer outlives it (a StatefulSet's volume) has the least to replay.

It reads `meridian_edge_buffered_records` from the edge's own /metrics. Usage: edge-drain.py PORT TIMEOUT.
Exit 0 when drained, 1 at the deadline (the kubelet sends SIGTERM either way; the buffer stays on disk).
"""

import sys
import time
import urllib.request

SETTLE_SECONDS = 5.0  # requests already routed here before the endpoint removal reached every proxy


def buffered_records(port: int) -> float | None:
    """The gauge's value, or None when the edge does not answer (it may be restarting)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:  # noqa: S310
            text = response.read().decode()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("meridian_edge_buffered_records "):
            return float(line.split()[1])
    return None


def drain(port: int, timeout: float, poll: float = 1.0) -> bool:
    start = time.monotonic()
    deadline = start + timeout
    while True:
        now = time.monotonic()
        left = buffered_records(port)
        if left == 0 and now - start >= min(SETTLE_SECONDS, timeout):
            print(f"edge drained in {now - start:.1f}s", flush=True)
            return True
        if now >= deadline:
            print(f"edge drain: {left} records still buffered after {timeout:.0f}s", flush=True)
            return False
        time.sleep(min(poll, max(0.0, deadline - now)))


if __name__ == "__main__":
    sys.exit(0 if drain(int(sys.argv[1]), float(sys.argv[2])) else 1)
