{#- The exact continuous percentile (linear interpolation between closest ranks) per group.
    DuckDB has it as an aggregate; BigQuery only as an analytic function, so the macro returns a
    windowed expression that every row of the group shares, and callers take any_value() of it. -#}
{% macro percentile_cont_over(column, fraction, partition_by) %}
  {{ return(adapter.dispatch('percentile_cont_over', 'meridian')(column, fraction, partition_by)) }}
{% endmacro %}

{% macro default__percentile_cont_over(column, fraction, partition_by) %}
  percentile_cont({{ column }}, {{ fraction }}) over (partition by {{ partition_by | join(', ') }})
{% endmacro %}

{% macro duckdb__percentile_cont_over(column, fraction, partition_by) %}
  quantile_cont({{ column }}, {{ fraction }}) over (partition by {{ partition_by | join(', ') }})
{% endmacro %}
