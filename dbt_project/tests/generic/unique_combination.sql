{#- No dbt_utils: hub packages download from GitHub, which our users behind firewalls cannot reach. -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as copies
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
