"""Query results as the pandas frames the quality suites validate, the same from DuckDB and BigQuery.

Both engines hand us Arrow; how it becomes pandas decides whether Great Expectations takes its
vectorized path or a Python loop per row, so the dtypes are chosen here, once, on purpose:

- timestamps become naive UTC ``datetime64[ns]``: GX's ``column_values.between`` only vectorizes
  nanosecond datetimes and calls a Python function per row for ``datetime64[us]`` (DuckDB's own
  ``.df()`` gives microseconds: 10M rows took ~90 s instead of ~1 s);
- dates become ``datetime64[ns]`` too (midnight), decimals ``float64`` (money is compared with a
  tolerance, and GX compares floats vectorized but ``Decimal`` objects one by one);
- the low-cardinality string columns a caller names become ``category`` (``isin`` and the row
  conditions GX evaluates are 3-6x faster than on Python strings); other strings stay ``object``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


def arrow_to_frame(
    table: pa.Table, categories: Collection[str] = (), arrow_strings: Collection[str] = ()
) -> pd.DataFrame:
    """``table`` as a DataFrame with the dtypes described in this module's docstring.

    ``arrow_strings``: string columns to keep Arrow-backed (no Python object per value; 10M ids
    take ~1.5 s to become objects) because nothing but a failing-row sample reads them.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    unknown = (set(categories) | set(arrow_strings)) - set(table.column_names)
    if unknown:
        raise ValueError(f"columns not in the result: {sorted(unknown)}")
    columns: dict[str, pd.Series] = {}
    for name in table.column_names:
        column = table.column(name)
        kind = column.type
        if pa.types.is_timestamp(kind):
            if kind.tz is not None:
                column = pc.cast(column, pa.timestamp(kind.unit, tz="UTC"))
            column = pc.cast(column, pa.timestamp("ns", tz=kind.tz and "UTC"))
            series = column.to_pandas()
            if isinstance(series.dtype, pd.DatetimeTZDtype):
                series = series.dt.tz_localize(None)
        elif pa.types.is_date(kind):
            series = pc.cast(column, pa.timestamp("ns")).to_pandas()
        elif pa.types.is_decimal(kind):
            series = pc.cast(column, pa.float64()).to_pandas()
        elif name in categories:
            series = column.dictionary_encode().to_pandas()
        elif name in arrow_strings:
            series = column.to_pandas(types_mapper=pd.ArrowDtype)
        else:
            series = column.to_pandas()
        columns[name] = series.reset_index(drop=True)
    return pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows))
