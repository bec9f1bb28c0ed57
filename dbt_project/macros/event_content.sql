{#- An event's content: every contract field but its id, which all copies of one event must agree on.
    Not its provenance (received_at, edge_id, edge_region), where it sat in Kafka, nor when or in which
    region bronze landed it: those differ between copies of the same event. A test holds this list to
    the contract (tests/dbt_project/test_cross_region_events.py). -#}
{% macro event_content_columns() %}
  {{ return([
    'event_type', 'occurred_at', 'region', 'user_id', 'session_id', 'country', 'device',
    'latency_ms', 'amount', 'currency', 'schema_version', 'app_version',
  ]) }}
{% endmacro %}

{#- The columns as the text of one JSON object, {"<column>": value, ...}: unambiguous to hash, and
    readable by a person. Equal values give equal text on one engine (not across engines). -#}
{% macro json_object_text(columns) %}
  {{ return(adapter.dispatch('json_object_text', 'meridian')(columns)) }}
{% endmacro %}

{% macro default__json_object_text(columns) %}
  {{ exceptions.raise_compiler_error("json_object_text has no implementation for " ~ target.type) }}
{% endmacro %}

{% macro duckdb__json_object_text(columns) %}
  cast(to_json(struct_pack({% for c in columns %}{{ c }} := {{ c }}{{ ', ' if not loop.last }}{% endfor %})) as varchar)
{% endmacro %}

{% macro bigquery__json_object_text(columns) %}
  to_json_string(struct({% for c in columns %}{{ c }} as {{ c }}{{ ', ' if not loop.last }}{% endfor %}))
{% endmacro %}

{#- For an aggregate over the copies of one event: per column, '<column>,' when the copies hold more
    than one value in it (null counting as one), else ''. -#}
{% macro differing_field_flags(columns) %}
  {%- set flags = [] -%}
  {%- for c in columns -%}
    {%- do flags.append(
      "case when count(distinct cast(" ~ c ~ " as " ~ dbt.type_string() ~ "))"
      ~ " + max(case when " ~ c ~ " is null then 1 else 0 end) > 1 then '" ~ c ~ ",' else '' end"
    ) -%}
  {%- endfor -%}
  {{ return(flags) }}
{% endmacro %}

{#- The event's fields typed as silver types them, from bronze's text: stg_events and
    stg_event_conflicts both select these, so two copies compare exactly as silver reads them. -#}
{% macro typed_event_fields() %}
        event_id,
        event_type,
        {{ parse_timestamp_utc('occurred_at') }} as occurred_at,
        region,
        user_id,
        session_id,
        country,
        device,
        cast(latency_ms as {{ type_double() }}) as latency_ms,
        cast(amount as {{ type_double() }}) as amount,
        currency,
        cast(schema_version as {{ dbt.type_int() }}) as schema_version,
        app_version,
        {{ parse_timestamp_utc('received_at', safe=true) }} as received_at
{%- endmacro %}
