{#- Microseconds since the Unix epoch: one comparable instant for a timestamp with or without a time zone.
    DuckDB compares TIMESTAMP with TIMESTAMPTZ (silver's parsed times with bronze's ingested_at) by
    reading the former in the session's time zone; epoch_us reads it as UTC, as silver means it. -#}
{% macro epoch_microseconds(column) %}
  {{ return(adapter.dispatch('epoch_microseconds', 'meridian')(column)) }}
{% endmacro %}

{% macro default__epoch_microseconds(column) %}
  cast(extract(epoch from {{ column }}) * 1000000 as {{ dbt.type_bigint() }})
{% endmacro %}

{% macro duckdb__epoch_microseconds(column) %}epoch_us({{ column }}){% endmacro %}

{% macro bigquery__epoch_microseconds(column) %}unix_micros({{ column }}){% endmacro %}
