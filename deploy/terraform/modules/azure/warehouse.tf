# No managed warehouse on Azure, by design: Meridian's dbt project targets DuckDB and BigQuery (dbt_project/),
# and Azure has no BigQuery. dbt runs its DuckDB target inside Dagster's run pods, reading the lake's parquet;
# a Synapse or Fabric warehouse would be a third SQL dialect to maintain for one cloud. Hence no resources here
# and warehouse_dataset = null (outputs.tf); Dagster's lake access (identity.tf) is all dbt needs.
