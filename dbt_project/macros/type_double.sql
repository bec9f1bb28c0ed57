{#- An 8-byte float everywhere: dbt.type_float() is FLOAT, which DuckDB makes 4 bytes. -#}
{% macro type_double() %}
  {{ return(adapter.dispatch('type_double', 'meridian')()) }}
{% endmacro %}

{% macro default__type_double() %}double precision{% endmacro %}

{% macro duckdb__type_double() %}double{% endmacro %}

{% macro bigquery__type_double() %}float64{% endmacro %}

{#- Money: exact decimals, so sums do not depend on row order (a backfill equals a full refresh). -#}
{% macro type_money() %}
  {{ return(adapter.dispatch('type_money', 'meridian')()) }}
{% endmacro %}

{% macro default__type_money() %}decimal(38, 9){% endmacro %}

{#- NUMERIC(38, 9) is plain NUMERIC with its scale written out, so emulators that map bare NUMERIC
    to a narrower decimal (bqemulator: DuckDB DECIMAL(18, 3)) keep every digit too. -#}
{% macro bigquery__type_money() %}numeric(38, 9){% endmacro %}
