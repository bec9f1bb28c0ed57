{{ config(**date_partitioned_config(grain=['region', 'event_hour'])) }}

with

events as (

    select * from {{ ref('fct_events') }}
    where {{ in_date_window('event_date') }}

),

hourly as (

    select
        region,
        {{ dbt.date_trunc('hour', 'occurred_at') }} as event_hour,
        event_date,
        event_id,
        user_id,
        event_type,
        amount_usd,
        latency_ms
    from events

),

with_percentile as (

    select
        *,
        {{ percentile_cont_over('latency_ms', 0.95, ['region', 'event_hour']) }} as p95_latency_ms
    from hourly

),

final as (

    select
        region,
        event_hour,
        event_date,
        count(distinct event_id) as events,
        count(distinct user_id) as users,
        sum(case when event_type = 'purchase' then 1 else 0 end) as purchases,
        cast(
            coalesce(sum(case when event_type = 'purchase' then amount_usd end), 0) as {{ type_double() }}
        ) as revenue_usd,
        cast(
            sum(case when event_type = 'error' then 1 else 0 end) as {{ type_double() }}
        ) / count(*) as error_rate,
        max(p95_latency_ms) as p95_latency_ms
    from with_percentile
    group by region, event_hour, event_date

)

select * from final
