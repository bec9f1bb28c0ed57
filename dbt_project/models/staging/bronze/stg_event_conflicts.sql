{{ config(**date_partitioned_config(grain=['event_id'], cluster_by=none)) }}

{%- set content_columns = event_content_columns() %}

with

source as (

    select * from {{ bronze_events() }}

),

typed as (

    -- the content typed as stg_events types it, so copies differing only in how they wrote a
    -- value (an offset of occurred_at) agree
    select
        {{ typed_event_fields() }},
        ingested_at,
        ingest_region,
        kafka_partition,
        kafka_offset
    from source

),

dated as (

    select
        *,
        cast(occurred_at as date) as event_date
    from typed

),

window_events as (

    select distinct event_id from dated
    where {{ in_date_window('event_date') }}

),

copies as (

    -- as in stg_events: every copy of the window's events, whatever day it gives
    select dated.*
    from dated
    inner join window_events on dated.event_id = window_events.event_id

),

repeated as (

    -- only an event with two copies or more can conflict: the content is serialised and hashed for
    -- those alone (a few percent of bronze), not for every row of the window
    select event_id
    from copies
    group by event_id
    having count(*) > 1

),

ranked as (

    select
        copies.*,
        {{ json_object_text(content_columns) }} as content_json,
        row_number() over (partition by copies.event_id order by {{ bronze_copy_order() }}) as copy_number
    from copies
    inner join repeated on copies.event_id = repeated.event_id

),

hashed as (

    select
        *,
        {{ dbt.hash('content_json') }} as content_hash
    from ranked

),

events as (

    select
        event_id,
        count(*) as copies,
        count(distinct content_hash) as variants
    from hashed
    group by event_id

),

conflicting_copies as (

    select hashed.*
    from hashed
    inner join events on hashed.event_id = events.event_id
    where events.variants > 1

),

versions as (

    -- one row per distinct content of a conflicting event, numbered by its best-ranked copy:
    -- version 1 is the one stg_events keeps
    select
        event_id,
        content_json,
        row_number() over (partition by event_id order by min(copy_number)) as version_number
    from conflicting_copies
    group by event_id, content_hash, content_json

),

differences as (

    -- which contract fields take more than one value (null counts as a value)
    select
        event_id,
        rtrim({{ dbt.concat(differing_field_flags(content_columns)) }}, ',') as differing_fields
    from conflicting_copies
    group by event_id

),

regions as (

    select distinct
        event_id,
        coalesce(ingest_region, 'unknown') as ingest_region
    from conflicting_copies

),

region_lists as (

    select
        event_id,
        {{ dbt.listagg('ingest_region', "','", 'order by ingest_region') }} as ingest_regions
    from regions
    group by event_id

),

final as (

    select
        winners.event_id,
        winners.event_date,
        events.variants,
        events.copies,
        region_lists.ingest_regions,
        differences.differing_fields,
        first_versions.content_json as first_version,
        second_versions.content_json as second_version
    from conflicting_copies as winners
    inner join events on winners.event_id = events.event_id
    inner join region_lists on winners.event_id = region_lists.event_id
    inner join differences on winners.event_id = differences.event_id
    inner join versions as first_versions
        on winners.event_id = first_versions.event_id and first_versions.version_number = 1
    inner join versions as second_versions
        on winners.event_id = second_versions.event_id and second_versions.version_number = 2
    where
        winners.copy_number = 1
        and {{ in_date_window('winners.event_date') }}

)

select * from final
