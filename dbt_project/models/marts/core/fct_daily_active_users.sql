{{ config(**date_partitioned_config(grain=['region', 'event_date'])) }}

with

events as (

    select * from {{ ref('fct_events') }}
    where {{ in_date_window('event_date') }}

),

final as (

    select
        region,
        event_date,
        count(distinct user_id) as users
    from events
    group by region, event_date

)

select * from final
