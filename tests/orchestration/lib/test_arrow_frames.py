"""Arrow results from a real DuckDB query become the dtypes the quality suites are fast and exact on."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd
import pytest

from orchestration.lib.frames import arrow_to_frame

SQL = """
select 'e1' as event_id, 'purchase' as event_type,
       timestamptz '2026-11-03 01:30:00+01:00' as received_at,
       timestamp '2026-11-03 00:15:00' as occurred_at,
       date '2026-11-03' as event_date,
       12.345::decimal(38, 9) as amount,
       null::varchar as currency
union all
select 'e2', 'click', null, timestamp '2026-11-03 00:16:00', date '2026-11-03', null, 'USD'
"""


@pytest.fixture
def frame() -> pd.DataFrame:
    con = duckdb.connect()
    con.execute("set timezone = 'Europe/Paris'")  # a session zone other than UTC must not leak through
    return arrow_to_frame(con.sql(SQL).to_arrow_table(), categories=("event_type", "currency"))


def test_timestamps_are_naive_utc_nanoseconds(frame: pd.DataFrame) -> None:
    """GX compares ``datetime64[ns]`` vectorized and other datetime units one row at a time."""
    for column in ("received_at", "occurred_at", "event_date"):
        assert pd.api.types.is_datetime64_ns_dtype(frame[column].dtype), column
    assert frame.loc[0, "received_at"] == pd.Timestamp(datetime(2026, 11, 3, 0, 30))
    assert pd.isna(frame.loc[1, "received_at"])
    assert frame.loc[1, "occurred_at"] == pd.Timestamp(datetime(2026, 11, 3, 0, 16))


def test_decimals_are_floats_and_named_strings_categories(frame: pd.DataFrame) -> None:
    assert frame["amount"].dtype == "float64" and frame.loc[0, "amount"] == pytest.approx(12.345)
    assert isinstance(frame["event_type"].dtype, pd.CategoricalDtype)
    assert frame["currency"].isna().tolist() == [True, False] and frame.loc[1, "currency"] == "USD"
    assert frame["event_id"].dtype == object


def test_an_unknown_category_column_is_an_error() -> None:
    table = duckdb.connect().sql("select 1 as a").to_arrow_table()
    with pytest.raises(ValueError, match="not in the result"):
        arrow_to_frame(table, categories=("region",))
