{#- Bronze events as silver reads them: `select * from {{ bronze_events() }}`.

    With var bronze_events_index set (a JSON file {"version": 1, "files": ["<uri>", ...]}, written by
    orchestration.lib.warehouse.write_bronze_index), DuckDB reads exactly the files it lists: the
    global build's own and verified replica files, never a listing. The list is read when the model
    runs and rendered as a constant read_parquet([...]): DuckDB takes no subquery as a table
    function's argument, and with a constant list it opens only those files. Otherwise it is the
    source itself: BigQuery's raw table, a unit test's given rows, the glob of var bronze_events_glob.
    source() is called either way, so dbt's and Dagster's lineage keeps bronze.events upstream. -#}
{% macro bronze_events() %}
  {%- set relation = source('bronze', 'events') -%}
  {{ return(adapter.dispatch('bronze_events', 'meridian')(relation)) }}
{% endmacro %}

{% macro default__bronze_events(relation) %}{{ relation }}{% endmacro %}

{#- DuckDB also gives every column bronze gained after its first files (see bronze_late_columns) to
    a read of files that all predate it, as null: union_by_name adds a column only when some file has it. -#}
{% macro duckdb__bronze_events(relation) %}
  {%- set index = var('bronze_events_index', none) -%}
  {%- if index and execute and model.resource_type != 'unit_test' -%}
    {%- set files = bronze_index_files(index) -%}
    {%- set scan -%}
      read_parquet([{% for f in files %}'{{ f | replace("'", "''") }}'{{ ', ' if not loop.last }}{% endfor %}], union_by_name = true)
    {%- endset -%}
  {%- else -%}
    {%- set scan = relation -%}
  {%- endif -%}
  (
    select * from {{ scan }}
    union all by name
    select
      {%- for name, type in bronze_late_columns().items() %}
      cast(null as {{ type }}) as {{ name }}{{ ',' if not loop.last }}
      {%- endfor %}
    where false
  )
{% endmacro %}

{#- Nullable columns bronze files landed before them lack: the edge's provenance, the ingesting region. -#}
{% macro bronze_late_columns() %}
  {{ return({
    'received_at': 'varchar',
    'edge_id': 'varchar',
    'edge_region': 'varchar',
    'ingest_region': 'varchar',
  }) }}
{% endmacro %}

{#- The files a bronze index lists, read on DuckDB (run_query: only when the model executes). -#}
{% macro bronze_index_files(path) %}
  {%- set query -%}
    select version, unnest(coalesce(files, [])) as uri
    from read_json('{{ path | replace("'", "''") }}', columns = {version: 'integer', files: 'varchar[]'})
  {%- endset -%}
  {%- set rows = run_query(query).rows -%}
  {%- if rows | length == 0 -%}
    {{ exceptions.raise_compiler_error(
      "bronze index " ~ path ~ " lists no files: with nothing to read, skip the build rather than index nothing"
    ) }}
  {%- endif -%}
  {%- for row in rows if row['version'] != 1 -%}
    {{ exceptions.raise_compiler_error(
      "bronze index " ~ path ~ " is version " ~ row['version'] ~ ", this project reads version 1"
    ) }}
  {%- endfor -%}
  {{ return(rows | map(attribute='uri') | list) }}
{% endmacro %}

{#- A copy's region in the winner order: its place in var region_order, then any other region, then
    none (files landed before bronze recorded it). -#}
{% macro region_rank(column) %}
  {%- set regions = var('region_order') -%}
  {%- if regions is string or regions is not iterable -%}
    {{ exceptions.raise_compiler_error("var region_order must be a list of region names, got " ~ regions) }}
  {%- endif -%}
  {%- for region in regions if not modules.re.fullmatch('[a-z0-9_-]+', region | string) -%}
    {{ exceptions.raise_compiler_error("var region_order: " ~ region ~ " is not a region name ([a-z0-9_-]+)") }}
  {%- endfor -%}
  case
    {%- for region in regions %}
    when {{ column }} = '{{ region }}' then {{ loop.index0 }}
    {%- endfor %}
    when {{ column }} is null then {{ regions | length + 1 }}
    else {{ regions | length }}
  end
{% endmacro %}

{#- The order of the copies of one event; the first wins. The earliest: when the edge received it,
    else when bronze ingested it (an edge may forward a copy it took first after another one); then
    the ingesting region's rank (var region_order), the region's name among regions ranked alike;
    then Kafka position, which only compares copies within one region's cluster. -#}
{% macro bronze_copy_order() %}
  coalesce({{ epoch_microseconds('received_at') }}, {{ epoch_microseconds('ingested_at') }}),
  {{ region_rank('ingest_region') }},
  ingest_region,
  kafka_partition,
  kafka_offset
{% endmacro %}
