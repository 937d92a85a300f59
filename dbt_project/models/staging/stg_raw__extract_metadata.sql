with

source as (

    select * from {{ source('raw', 'extract_metadata') }}

),

final as (

    select
        snapshot_on,
        window_start_on,
        scenario,
        seed,
        applications as application_count,
        target_bad_rate,
        generator_version

    from source

)

select * from final
