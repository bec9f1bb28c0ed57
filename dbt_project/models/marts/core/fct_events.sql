{{ config(**date_partitioned_config(grain=['event_id'])) }}

with

events as (

    select * from {{ ref('stg_events') }}
    where {{ in_date_window('event_date') }}

),

fx_rates as (

    select * from {{ ref('fx_rates') }}

),

final as (

    select
        events.event_id,
        events.event_type,
        events.occurred_at,
        events.event_date,
        events.region,
        events.user_id,
        events.session_id,
        events.country,
        events.device,
        events.latency_ms,
        events.amount,
        events.currency,
        cast(events.amount * fx_rates.rate_to_usd as {{ type_money() }}) as amount_usd,
        events.app_version,
        events.received_at,
        events.edge_id,
        events.edge_region,
        events.ingest_region
    from events
    left join fx_rates
        on events.currency = fx_rates.currency

)

select * from final
