{{ config(materialized='table') }}

with

regions as (

    select * from {{ ref('regions') }}

),

final as (

    select
        region,
        display_name,
        cloud_region
    from regions

)

select * from final
