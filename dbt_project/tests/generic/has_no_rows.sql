{#- For a model whose every row is a finding for a person (stg_event_conflicts): each row fails. -#}
{% test has_no_rows(model) %}
select * from {{ model }}
{% endtest %}
