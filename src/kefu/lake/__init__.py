"""The lake: kefu's canonical tables as Hive-partitioned Parquet, and the Spark job over them."""
