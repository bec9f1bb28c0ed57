{#- RFC 3339 text (any offset) -> a UTC timestamp. Engines disagree on parsing offsets, so it is dispatched.

    safe=false, for text the contract has already checked (occurred_at): text that does not parse is
    an error, so a contract gap stops the build instead of quietly emptying event_date.
    safe=true, for text nobody checked (received_at: the contract does not define it): null stays null,
    and anything but RFC 3339 with an explicit offset (T or space, at most 6 fractional digits, Z or
    +hh:mm) or a real instant becomes null on every engine. The pattern comes first so the engines agree
    on what parses: DuckDB alone would read text without an offset in the session's time zone,
    BigQuery in UTC. The pattern avoids backslashes, which the engines' string literals escape differently. -#}
{% macro parse_timestamp_utc(column, safe=false) %}
  {{ return(adapter.dispatch('parse_timestamp_utc', 'meridian')(column, safe)) }}
{% endmacro %}

{% macro rfc3339_pattern() -%}
  ^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$
{%- endmacro %}

{% macro default__parse_timestamp_utc(column, safe) %}
  {%- if safe -%}
    {{ dbt.safe_cast(column, api.Column.translate_type('timestamp')) }}
  {%- else -%}
    cast({{ column }} as timestamp)
  {%- endif -%}
{% endmacro %}

{% macro duckdb__parse_timestamp_utc(column, safe) %}
  {%- if safe -%}
    case
      when regexp_full_match({{ column }}, '{{ rfc3339_pattern() }}')
        then cast(try_cast({{ column }} as timestamptz) at time zone 'UTC' as timestamp)
    end
  {%- else -%}
    cast(cast({{ column }} as timestamptz) at time zone 'UTC' as timestamp)
  {%- endif -%}
{% endmacro %}

{% macro bigquery__parse_timestamp_utc(column, safe) %}
  {%- if safe -%}
    case when regexp_contains({{ column }}, '{{ rfc3339_pattern() }}') then safe.timestamp({{ column }}) end
  {%- else -%}
    timestamp({{ column }})
  {%- endif -%}
{% endmacro %}
