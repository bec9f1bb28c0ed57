{#- RFC 3339 text (any offset) -> a UTC timestamp. Engines disagree on parsing offsets, so it is dispatched. -#}
{% macro parse_timestamp_utc(column) %}
  {{ return(adapter.dispatch('parse_timestamp_utc', 'meridian')(column)) }}
{% endmacro %}

{% macro default__parse_timestamp_utc(column) %}
  cast({{ column }} as timestamp)
{% endmacro %}

{% macro duckdb__parse_timestamp_utc(column) %}
  cast(cast({{ column }} as timestamptz) at time zone 'UTC' as timestamp)
{% endmacro %}

{% macro bigquery__parse_timestamp_utc(column) %}
  timestamp({{ column }})
{% endmacro %}
