{#- Restrict a model to the event_date window of this run (vars min_date/max_date), or not at all. -#}
{% macro in_date_window(column) %}
  {%- if var('min_date') and var('max_date') -%}
    {{ column }} between cast('{{ var("min_date") }}' as date) and cast('{{ var("max_date") }}' as date)
  {%- else -%}
    true
  {%- endif -%}
{% endmacro %}

{#- Incremental config shared by every date-partitioned model. -#}
{% macro date_partitioned_config() %}
  {%- if target.type == 'bigquery' -%}
    {{ return({
      'materialized': 'incremental',
      'incremental_strategy': var('bigquery_incremental_strategy'),
      'partition_by': {'field': 'event_date', 'data_type': 'date'},
      'cluster_by': ['region'],
      'on_schema_change': 'fail',
    }) }}
  {%- else -%}
    {{ return({
      'materialized': 'incremental',
      'incremental_strategy': 'delete+insert',
      'unique_key': 'event_date',
      'on_schema_change': 'fail',
    }) }}
  {%- endif -%}
{% endmacro %}
