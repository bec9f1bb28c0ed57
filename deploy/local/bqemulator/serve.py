"""Start bqemulator offline: its CLI, minus the two DuckDB extension downloads it attempts at start-up.

bqemulator 1.4.0 installs DuckDB's ``spatial`` extension from extensions.duckdb.org and refuses to
start without it, then tries ``avro`` (best effort). Neither is reachable behind a firewall, and
Meridian uses neither GEOGRAPHY nor Avro, so both loading steps are skipped here; everything else
is the emulator as shipped. Run with the emulator's own interpreter: ``serve.py start --rest-port N``.
"""

from bqemulator.cli import main
from bqemulator.storage.engine import DuckDBEngine


def _skip(self: DuckDBEngine) -> None:
    return None


DuckDBEngine._load_spatial = _skip  # type: ignore[method-assign]
DuckDBEngine._load_format_extensions = _skip  # type: ignore[method-assign]

if __name__ == "__main__":
    main()
