{{ config(**date_partitioned_config(grain=['event_id'])) }}

with

source as (

    select * from {{ bronze_events() }}

),

typed as (

    select
        {{ typed_event_fields() }},
        edge_id,
        edge_region,
        kafka_partition,
        kafka_offset,
        ingested_at,
        ingest_region
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

    -- every copy of an event with a copy in the window, whatever day it gives: copies that disagree
    -- on occurred_at (a conflict, see stg_event_conflicts) still rank together, so the event keeps
    -- one row, on its winner's day, however the days are built
    select dated.*
    from dated
    inner join window_events on dated.event_id = window_events.event_id

),

ranked as (

    -- the earliest copy wins, then the ingesting region's rank, then Kafka position (bronze_copy_order)
    select
        *,
        row_number() over (partition by event_id order by {{ bronze_copy_order() }}) as copy_number
    from copies

),

final as (

    select
        event_id,
        event_type,
        occurred_at,
        event_date,
        region,
        user_id,
        session_id,
        country,
        device,
        latency_ms,
        amount,
        currency,
        schema_version,
        app_version,
        received_at,
        edge_id,
        edge_region,
        kafka_partition,
        kafka_offset,
        ingested_at,
        ingest_region
    from ranked
    where
        copy_number = 1
        and {{ in_date_window('event_date') }}

)

select * from final
