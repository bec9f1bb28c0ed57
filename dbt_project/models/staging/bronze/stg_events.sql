{{ config(**date_partitioned_config(grain=['event_id'])) }}

with

source as (

    select * from {{ source('bronze', 'events') }}

),

typed as (

    select
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
        {{ parse_timestamp_utc('received_at', safe=true) }} as received_at,
        edge_id,
        edge_region,
        kafka_partition,
        kafka_offset,
        ingested_at
    from source

),

dated as (

    select
        *,
        cast(occurred_at as date) as event_date
    from typed

),

in_window as (

    select * from dated
    where {{ in_date_window('event_date') }}

),

ranked as (

    -- the earliest copy of an event wins: when the edge received it, else when bronze ingested it
    -- (an edge may forward a copy it took first after another one); Kafka position breaks ties
    select
        *,
        row_number() over (
            partition by event_id
            order by
                coalesce({{ epoch_microseconds('received_at') }}, {{ epoch_microseconds('ingested_at') }}),
                kafka_partition,
                kafka_offset
        ) as copy_number
    from in_window

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
        ingested_at
    from ranked
    where copy_number = 1

)

select * from final
