"""Pure logic of the Kafka -> bronze landing: offset ranges, batches, coverage."""
