{#- Restrict a model to the event_date window of this run (vars min_date/max_date), or not at all. -#}
{% macro in_date_window(column) %}
  {%- if var('min_date') and var('max_date') -%}
    {{ column }} between cast('{{ var("min_date") }}' as date) and cast('{{ var("max_date") }}' as date)
  {%- else -%}
    true
  {%- endif -%}
{% endmacro %}

{#- Incremental config shared by every date-partitioned model; `grain` is the model's row key,
    `cluster_by` what BigQuery clusters each partition by (none: not clustered).

    BigQuery replaces the run's date partitions (insert_overwrite). Emulators that cannot run
    insert_overwrite's script select `merge` with var bigquery_incremental_strategy: rows are then
    upserted by `grain`, which gives the same tables here because bronze only grows (a rebuilt day
    never loses a row). DuckDB deletes the window's days and inserts them again.

    A column added to a model is added to its existing table by the next incremental run
    (append_new_columns) instead of failing it; days outside that run's window hold null in it until
    a run covers them or a full refresh. No run drops a column or rewrites a type on its own: a
    removed column stays (null in new rows), and a changed type is not applied (inserts cast to the old
    type, or fail) until a full refresh. -#}
{% macro date_partitioned_config(grain, cluster_by=['region']) %}
  {%- if target.type == 'bigquery' -%}
    {%- set strategy = var('bigquery_incremental_strategy') -%}
    {%- set config = {
      'materialized': 'incremental',
      'incremental_strategy': strategy,
      'partition_by': {'field': 'event_date', 'data_type': 'date'},
      'on_schema_change': 'append_new_columns',
    } -%}
    {%- if cluster_by -%}
      {%- do config.update({'cluster_by': cluster_by}) -%}
    {%- endif -%}
    {%- if strategy == 'merge' -%}
      {%- do config.update({'unique_key': grain}) -%}
    {%- endif -%}
    {{ return(config) }}
  {%- else -%}
    {{ return({
      'materialized': 'incremental',
      'incremental_strategy': 'delete+insert',
      'unique_key': 'event_date',
      'on_schema_change': 'append_new_columns',
    }) }}
  {%- endif -%}
{% endmacro %}
